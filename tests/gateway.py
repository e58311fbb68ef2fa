"""Requests as API Gateway hands them to the Lambda: the proxy event with what the gateway
adds to `requestContext` (the authorizer's context, possibly cached from an earlier request;
the domain name the request came in on), which neither chalice local nor its test client
set. Chalice's own converter builds the rest, as for its local server."""
import json
from dataclasses import dataclass

from chalice.local import LambdaContext, LambdaEventConverter, RouteMatcher


@dataclass(frozen=True)
class Answer:
    status_code: int
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


def stringified(context: dict) -> dict:
    """An authorizer context as API Gateway passes it on: flat string values."""
    return {key: str(value) for key, value in context.items()}


def request(method: str, path: str, headers: dict | None = None, body: bytes = b"",
            authorizer: dict | None = None, domain_name: str | None = None) -> Answer:
    """The app's answer to one API Gateway event (a route must match `path`)."""
    from app import app
    converter = LambdaEventConverter(RouteMatcher(list(app.routes)), app.api.binary_types)
    event = converter.create_lambda_event(method, path, headers or {}, body)
    if authorizer is not None:
        event["requestContext"]["authorizer"] = {"principalId": "caller", **authorizer}
    if domain_name is not None:
        event["requestContext"]["domainName"] = domain_name
    response = app(event, LambdaContext("api_handler", 1024, 30_000))
    body = response.get("body") or ""
    return Answer(response["statusCode"],
                  {**response.get("headers", {}), **response.get("multiValueHeaders", {})},
                  body.encode() if isinstance(body, str) else body)
