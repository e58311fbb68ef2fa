"""Applies infra/api.yaml's Gateway Responses to an API deployed by `chalice deploy`.

`chalice deploy` overwrites the API definition each time, so run this after every deploy
(`make deploy STAGE=dev` does both):

    python infra/gateway_responses.py "$(chalice url --stage dev)"
"""
import argparse
import os
import re

import boto3
from chalice.package import YAMLTemplateSerializer

API_TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "api.yaml")
API_URL = re.compile(r"https://(?P<api_id>\w+)\.execute-api\.(?P<region>[\w-]+)\.amazonaws\.com"
                     r"/(?P<stage>[^/]+)/?$")


def gateway_responses() -> list[dict]:
    """The GatewayResponse resources' properties in infra/api.yaml."""
    with open(API_TEMPLATE) as file:
        template = YAMLTemplateSerializer().load_template(file.read())
    return [resource["Properties"] for resource in template["Resources"].values()
            if resource["Type"] == "AWS::ApiGateway::GatewayResponse"]


def apply(client, api_id: str, stage: str) -> None:
    for response in gateway_responses():
        optional = {"statusCode": response.get("StatusCode"),
                    "responseParameters": response.get("ResponseParameters"),
                    "responseTemplates": response.get("ResponseTemplates")}
        client.put_gateway_response(restApiId=api_id, responseType=response["ResponseType"],
                                    **{key: value for key, value in optional.items() if value})
    client.create_deployment(restApiId=api_id, stageName=stage)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the API's URL, as printed by `chalice url --stage <stage>`")
    match = API_URL.match(parser.parse_args().url.strip())
    if not match:
        parser.error("expected https://<api id>.execute-api.<region>.amazonaws.com/<stage>/")
    apply(boto3.client("apigateway", region_name=match["region"]), match["api_id"], match["stage"])
    print(f"Gateway responses applied to {match['api_id']} ({match['stage']})")


if __name__ == "__main__":
    main()
