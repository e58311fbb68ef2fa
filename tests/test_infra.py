"""Deploying to AWS, checked without an AWS account.

- infra/template.yaml, deployed into moto's CloudFormation, holds a push and a pull (§5.4, §5.5);
  its tables are the PynamoDB models' and its outputs are the Chalice stages' names;
- `chalice package` (merged with infra/api.yaml) has every route and method, the authorizer where
  app.py attaches it, the stage's settings and .chalice/policy-<stage>.json, which grants exactly
  the AWS calls the app made during this test session (recorded by tests/aws_calls.py);
- its deployment.zip (`make package`) holds at most 5 MB of function code and none of the Lambda
  runtime's boto3/botocore; its handlers import and answer with the runtime's (older) SDK;
- cfn-lint passes on the data template and on the packaged one.
"""
import base64
import glob
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile

import boto3
import pytest
import requests
from chalice.package import YAMLTemplateSerializer
from chalice.test import Client
from moto import mock_aws

import aws_calls
from aws_calls import ROOT, chalice_config, stage_names
from helpers import new_id, payload_checksum

INFRA = os.path.join(ROOT, "infra")
TEMPLATE = os.path.join(INFRA, "template.yaml")
STAGES = ("dev", "prod")
BIN = os.path.dirname(sys.executable)
LOG_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


def infra_script(name: str):
    """A script of infra/ as a module (infra/ is not on sys.path: it has its own local_stack.py)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(INFRA, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_template(path: str) -> dict:
    with open(path) as file:
        return YAMLTemplateSerializer().load_template(file.read())


def resources(template: dict, resource_type: str) -> dict:
    return {name: resource["Properties"] for name, resource in template["Resources"].items()
            if resource["Type"] == resource_type}


def policy(stage: str) -> dict:
    path = os.path.join(ROOT, ".chalice", chalice_config()["stages"][stage]["iam_policy_file"])
    with open(path) as file:
        return json.load(file)


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def substitute(value, stage: str) -> str:
    """A template value `!Sub "...${Stage}..."` for one stage."""
    return value["Fn::Sub"].replace("${Stage}", stage)


# ---- the data template against the models and the stage config ----

def model_table(model) -> dict:
    """The parts of an AWS::DynamoDB::Table a model needs, from its PynamoDB schema."""
    schema = model._get_schema()
    definitions = {(d["AttributeName"], d["AttributeType"]) for d in schema["attribute_definitions"]}
    for index in schema["global_secondary_indexes"]:
        definitions |= {(d["AttributeName"], d["AttributeType"]) for d in index["attribute_definitions"]}
    return {"keys": {(k["AttributeName"], k["KeyType"]) for k in schema["key_schema"]},
            "definitions": definitions,
            "indexes": {index["index_name"]: (
                {(k["AttributeName"], k["KeyType"]) for k in index["key_schema"]},
                index["projection"]["ProjectionType"],
                frozenset(index["projection"].get("NonKeyAttributes", [])))
                for index in schema["global_secondary_indexes"]},
            "local_indexes": [index["index_name"] for index in schema["local_secondary_indexes"]]}


def template_table(properties: dict) -> dict:
    return {"keys": {(k["AttributeName"], k["KeyType"]) for k in properties["KeySchema"]},
            "definitions": {(d["AttributeName"], d["AttributeType"])
                            for d in properties["AttributeDefinitions"]},
            "indexes": {index["IndexName"]: (
                {(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]},
                index["Projection"]["ProjectionType"],
                frozenset(index["Projection"].get("NonKeyAttributes", [])))
                for index in properties.get("GlobalSecondaryIndexes", [])},
            "local_indexes": [i["IndexName"] for i in properties.get("LocalSecondaryIndexes", [])]}


def template_tables(stage: str) -> dict:
    return {substitute(properties["TableName"], stage): properties
            for properties in resources(load_template(TEMPLATE), "AWS::DynamoDB::Table").values()}


@pytest.mark.parametrize("stage", STAGES)
def test_template_has_one_table_per_model_with_its_keys_and_indexes(stage):
    from chalicelib.store import models
    prefix = stage_names(stage)["REGISTRY_TABLE_PREFIX"]
    tables = template_tables(stage)
    expected = {f"{prefix}-{model.Meta.table_suffix}": model for model in models.ALL_MODELS}
    assert set(tables) == set(expected)
    for name, model in expected.items():
        assert template_table(tables[name]) == model_table(model), name


@pytest.mark.parametrize("stage", STAGES)
def test_template_tables_are_on_demand_recoverable_encrypted_and_expire_by_ttl(stage):
    from chalicelib.store import models
    prefix = stage_names(stage)["REGISTRY_TABLE_PREFIX"]
    tables = template_tables(stage)
    for model in models.ALL_MODELS:
        properties = tables[f"{prefix}-{model.Meta.table_suffix}"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["SSESpecification"] == {"SSEEnabled": True}
        ttl = properties.get("TimeToLiveSpecification")
        if model._ttl_attribute() is not None:
            assert ttl == {"AttributeName": model._ttl_attribute().attr_name, "Enabled": True}
        if ttl is not None:       # a TTL on an attribute the model writes as epoch seconds
            attribute = model.get_attributes()[ttl["AttributeName"]]
            assert attribute.attr_type == "N" and ttl["Enabled"] is True


def test_template_bucket_is_private_encrypted_versioned_and_cleans_up():
    (bucket,) = resources(load_template(TEMPLATE), "AWS::S3::Bucket").values()
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True,
        "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert any(r.get("AbortIncompleteMultipartUpload") and r["Status"] == "Enabled" for r in rules)
    assert any(r.get("NoncurrentVersionExpiration") and r["Status"] == "Enabled" for r in rules)
    # uploads are never served: expired after a day with every version (issue 10)
    assert {"Id": "expire-uploads", "Status": "Enabled", "Prefix": "uploads/",
            "ExpirationInDays": 1, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}} in rules
    assert "CorsConfiguration" not in bucket       # presigned URLs are fetched by docker, not browsers


def deploy_data_stack(stage: str) -> dict:
    """infra/template.yaml as a stack in moto's CloudFormation; its outputs."""
    cloudformation = boto3.client("cloudformation")
    with open(TEMPLATE) as file:
        cloudformation.create_stack(StackName=f"v1registry-{stage}-data", TemplateBody=file.read(),
                                    Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}])
    (stack,) = cloudformation.describe_stacks(StackName=f"v1registry-{stage}-data")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    create_secrets_moto_skips(stage)
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}
    apply_bucket_settings_moto_skips(outputs["BucketName"])
    return outputs


def apply_bucket_settings_moto_skips(bucket_name: str) -> None:
    """moto's CloudFormation creates the bucket without its VersioningConfiguration and
    LifecycleConfiguration: apply the template's through moto's S3 API (the registry
    refuses to complete an upload in an unversioned bucket)."""
    (bucket,) = resources(load_template(TEMPLATE), "AWS::S3::Bucket").values()
    s3 = boto3.client("s3")
    s3.put_bucket_versioning(Bucket=bucket_name,
                             VersioningConfiguration=bucket["VersioningConfiguration"])
    assert s3.get_bucket_versioning(Bucket=bucket_name)["Status"] == "Enabled"


def create_secrets_moto_skips(stage: str) -> None:
    """moto's CloudFormation has no AWS::SecretsManager::Secret (it warns and skips it): create
    the template's secret through moto's Secrets Manager API, with its name and generator."""
    client = boto3.client("secretsmanager")
    for secret in resources(load_template(TEMPLATE), "AWS::SecretsManager::Secret").values():
        value = client.get_random_password(**secret["GenerateSecretString"])["RandomPassword"]
        client.create_secret(Name=substitute(secret["Name"], stage), SecretString=value)


@pytest.fixture
def data_stack(env):
    """The dev stage's data stack in moto; the app reads the stack's secret, not the test key."""
    from chalicelib.auth import tokens
    from chalicelib.store import s3 as storage
    env.delenv("REGISTRY_TOKEN_SECRET", raising=False)
    storage._client.cache_clear()
    tokens._secret_string.cache_clear()
    with mock_aws():
        yield deploy_data_stack("dev")
    storage._client.cache_clear()
    tokens._secret_string.cache_clear()


@pytest.mark.filterwarnings("ignore:Tried to parse AWS::")
@pytest.mark.parametrize("stage", STAGES)
def test_stack_outputs_are_the_names_the_chalice_stage_reads(env, stage):
    with mock_aws():
        outputs = deploy_data_stack(stage)
        tables = set(boto3.client("dynamodb").list_tables()["TableNames"])
    names = stage_names(stage)
    assert outputs == {"TablePrefix": names["REGISTRY_TABLE_PREFIX"],
                       "BucketName": names["REGISTRY_BUCKET"],
                       "TokenSecretId": names["REGISTRY_TOKEN_SECRET_ID"]}
    assert tables == set(template_tables(stage))


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.filterwarnings("ignore:Tried to parse AWS::")
def test_push_5_4_and_pull_5_5_on_the_tables_and_bucket_the_stack_created(data_stack):
    from app import app
    user, password = "alice", "correct horse battery"
    image_id, layer = new_id(), os.urandom(50_000)
    image_json = json.dumps({"id": image_id, "created": "2015-05-01T10:00:00Z"}).encode()
    repository = f"/v1/repositories/{user}/web"
    # The dev stage's own configuration: names, bcrypt cost and secret id from .chalice/config.json.
    with Client(app, stage_name="dev", project_dir=ROOT) as client:
        http = client.http
        created = http.post("/v1/users", body=json.dumps(
            {"username": user, "password": password, "email": "alice@example.com"}).encode())
        assert created.status_code == 201, created.body
        start = http.put(repository, headers={**basic(user, password), "X-Docker-Token": "true"},
                         body=json.dumps([{"id": image_id}]).encode())
        assert start.status_code == 200, start.body
        token = {"Authorization": "Token " + start.headers["X-Docker-Token"]}
        for path, body, headers in [
                (f"/v1/images/{image_id}/json", image_json, {}),
                (f"/v1/images/{image_id}/layer", layer, {"Content-Type": "application/octet-stream"}),
                (f"/v1/images/{image_id}/checksum", b"",
                 {"X-Docker-Checksum-Payload": payload_checksum(image_json, layer)}),
                (f"{repository}/tags/latest", json.dumps(image_id).encode(), {})]:
            response = http.put(path, headers={**token, **headers}, body=body)
            assert response.status_code == 200, (path, response.body)
        finish = http.put(f"{repository}/images", headers=basic(user, password),
                          body=json.dumps([{"id": image_id, "checksum": payload_checksum(
                              image_json, layer)}]).encode())
        assert finish.status_code == 204, finish.body

        pull = http.get(f"{repository}/images", headers={**basic(user, password),
                                                         "X-Docker-Token": "true"})
        assert pull.status_code == 200
        token = {"Authorization": "Token " + pull.headers["X-Docker-Token"]}
        assert json.loads(http.get(f"{repository}/tags", headers=token).body) == {"latest": image_id}
        assert json.loads(http.get(f"/v1/images/{image_id}/ancestry", headers=token).body) == [image_id]
        assert http.get(f"/v1/images/{image_id}/json", headers=token).body == image_json
        redirect = http.get(f"/v1/images/{image_id}/layer", headers=token)
        assert redirect.status_code == 302
        assert requests.get(redirect.headers["Location"]).content == layer

    # Everything landed in the stack's resources: its tables (no others exist) and its bucket.
    dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    assert set(dynamodb.list_tables()["TableNames"]) == set(template_tables("dev"))
    image = dynamodb.get_item(TableName=f"{data_stack['TablePrefix']}-namespaced-images",
                              Key={"namespace": {"S": user}, "image_id": {"S": image_id}})["Item"]
    assert image["status"] == {"S": "complete"}
    # The layer's blob and the v2 config made at the tag (v2-pull §6); the upload is gone.
    stored = {(item["Key"], item["Size"])
              for item in s3.list_objects_v2(Bucket=data_stack["BucketName"])["Contents"]}
    tag = dynamodb.get_item(TableName=f"{data_stack['TablePrefix']}-tags",
                            Key={"repository": {"S": f"{user}/web"}, "tag": {"S": "latest"}})["Item"]
    config = json.loads(tag["manifest"]["S"])["config"]
    assert stored == {("blobs/sha256/" + hashlib.sha256(layer).hexdigest(), len(layer)),
                      ("blobs/sha256/" + config["digest"].split(":")[1], config["size"])}


# ---- chalice package ----

def chalice_package(project_dir: str, out) -> None:
    """`chalice package --stage dev --merge-template infra/api.yaml`. Chalice runs
    `pip download` for the Lambda's manylinux wheels: this needs PyPI."""
    result = subprocess.run(
        [os.path.join(BIN, "chalice"), "package", "--stage", "dev",
         "--merge-template", os.path.join(INFRA, "api.yaml"), str(out)],
        cwd=project_dir, env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    """`make package` (README's pipeline path): vendor/, then `chalice package` as above, with
    .pyc compiled into deployment.zip. `-o` keeps make from rebuilding the venv this runs in."""
    out = tmp_path_factory.mktemp("package") / "out"
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed-stamp", "package", "STAGE=dev",
         f"OUT={out}"],
        cwd=ROOT, env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def packaged_template(packaged) -> dict:
    return load_template(str(packaged / "sam.yaml"))


def swagger(packaged) -> dict:
    return packaged_template(packaged)["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]


def test_package_has_every_route_and_method_with_the_authorizer_where_app_attaches_it(packaged):
    from app import app
    paths = swagger(packaged)["paths"]
    expected = {(path, method.lower()) for path, methods in app.routes.items() for method in methods}
    packaged_routes = {(path, method) for path, methods in paths.items() for method in methods
                       if method != "options"}
    assert packaged_routes == expected
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            operation = paths[path][method.lower()]
            if entry.authorizer is None:
                assert "security" not in operation, (method, path)
            else:
                assert operation["security"] == [{entry.authorizer.name: []}], (method, path)


def test_package_authorizer_ttl_and_binary_media_types_are_the_apps(packaged):
    from app import app
    definition = swagger(packaged)
    authorizers = {entry.authorizer.name: entry.authorizer for methods in app.routes.values()
                   for entry in methods.values() if entry.authorizer is not None}
    assert authorizers, "app.py attaches no authorizer"
    for name, authorizer in authorizers.items():
        packaged_authorizer = definition["securityDefinitions"][name]["x-amazon-apigateway-authorizer"]
        assert packaged_authorizer["authorizerResultTtlInSeconds"] == authorizer.config.ttl_seconds
    # Layer PUTs are application/octet-stream: API Gateway must pass them to Lambda as binary.
    assert "application/octet-stream" in definition["x-amazon-apigateway-binary-media-types"]
    assert set(definition["x-amazon-apigateway-binary-media-types"]) == set(app.api.binary_types)


def test_package_functions_have_the_stage_settings_and_policy(packaged):
    config, stage = chalice_config(), chalice_config()["stages"]["dev"]
    template = packaged_template(packaged)
    functions = resources(template, "AWS::Serverless::Function")
    assert "APIHandler" in functions and len(functions) >= 2       # the API and its authorizer
    for function in functions.values():
        # bcrypt at cost 12 runs in the authorizer and in /v1/users: ~250 ms on a full vCPU,
        # and Lambda's CPU share grows with memory (1,769 MB = 1 vCPU).
        assert function["MemorySize"] == stage["lambda_memory_size"] >= 1024
        assert function["Timeout"] == stage["lambda_timeout"] <= 30     # API Gateway cuts at 29 s
        role_name = function["Role"]["Fn::GetAtt"][0]
        (role_policy,) = template["Resources"][role_name]["Properties"]["Policies"]
        assert role_policy["PolicyDocument"] == policy("dev")
    assert stage["autogen_policy"] is False
    assert functions["APIHandler"]["Environment"]["Variables"] == {
        **config["environment_variables"], **stage["environment_variables"]}
    assert stage["environment_variables"]["REGISTRY_BCRYPT_ROUNDS"] == "12"


# The Lambda runtime's boto3 and its dependencies, as AWS's runtimes page listed them for
# python3.11 (boto/botocore#3082). AWS updates them: the package must not need newer ones.
RUNTIME_SDK = ("boto3==1.27.1", "botocore==1.30.1")
RUNTIME_PACKAGES = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"}


@pytest.fixture(scope="module")
def runtime_sdk(tmp_path_factory):
    target = tmp_path_factory.mktemp("runtime-sdk")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                             "--disable-pip-version-check", "--target", str(target), *RUNTIME_SDK],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return target


@pytest.fixture
def moto_server():
    """moto's DynamoDB and S3 over HTTP on 127.0.0.1 (the Lambda below runs in another process)."""
    from moto.server import ThreadedMotoServer
    from local_stack import free_port
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


# A Lambda container of the package: the unzipped package first on sys.path, then the runtime's
# SDK, nothing else (python -S: no site-packages). Imports every handler, records which modules
# of the package Python compiled from source (it reads its .pyc if usable), then answers the
# requests given, after creating the tables (moto over HTTP).
LAMBDA_CONTAINER = r"""
import importlib, importlib.machinery, json, sys
task, runtime, handlers, requests = sys.argv[1], sys.argv[2], *map(json.loads, sys.argv[3:])
sys.path[:0] = [task, runtime]
compiled = []
compile_source = importlib.machinery.SourceFileLoader.source_to_code
def recording(self, data, path, **kwargs):
    if path.startswith(task):
        compiled.append(path)
    return compile_source(self, data, path, **kwargs)
importlib.machinery.SourceFileLoader.source_to_code = recording
callables = {}
for handler in handlers:
    module, _, name = handler.rpartition(".")
    callables[handler] = getattr(importlib.import_module(module), name)
    assert callable(callables[handler]), handler
from chalicelib import config
from chalicelib.store import models
models.bind(config.settings())
models.create_tables()
answers = []
for method, resource, parameters in requests:
    path = resource.format(**parameters)
    event = {"resource": resource, "path": path, "httpMethod": method,
             "headers": {"Host": "registry.example.com"}, "multiValueHeaders": {},
             "queryStringParameters": None, "multiValueQueryStringParameters": None,
             "pathParameters": parameters or None, "stageVariables": None, "body": None,
             "isBase64Encoded": False,
             "requestContext": {"resourcePath": resource, "httpMethod": method, "stage": "api",
                                "path": "/api" + path, "identity": {"sourceIp": "203.0.113.1"}}}
    response = callables["app.app"](event, None)
    answers.append([response["statusCode"], json.loads(response["body"])])
print(json.dumps({"answers": answers, "compiled": compiled,
                  "files": {name: module.__file__ for name, module in sys.modules.items()
                            if getattr(module, "__file__", None) and "." not in name},
                  "botocore": sys.modules["botocore"].__version__}))
"""


def test_package_handlers_run_on_the_runtime_sdk_from_their_pyc(packaged, tmp_path, runtime_sdk,
                                                              moto_server):
    """Lambda imports each function's Handler (`module.attribute`) from deployment.zip (the
    API's `app.app` and the authorizer, in a blueprint module) into a read-only /var/task:
    with the runtime's boto3/botocore, and from the zip's .pyc, never compiling a module."""
    functions = resources(packaged_template(packaged), "AWS::Serverless::Function")
    assert {function["Runtime"] for function in functions.values()} == {
        f"python{sys.version_info.major}.{sys.version_info.minor}"}
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        archive.extractall(tmp_path / "task")
    handlers = {function["Handler"] for function in functions.values()}
    assert "app.app" in handlers and len(handlers) == len(functions)
    calls = [["GET", "/v1/_ping", {}], ["GET", "/v1/images/{image_id}/json", {"image_id": new_id()}]]
    stage = {**chalice_config()["environment_variables"],
             **chalice_config()["stages"]["dev"]["environment_variables"]}
    env = {"PATH": os.environ["PATH"], "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "lambda",
           "AWS_SECRET_ACCESS_KEY": "lambda", **stage, "REGISTRY_AWS_ENDPOINT": moto_server}
    result = subprocess.run([sys.executable, "-S", "-B", "-c", LAMBDA_CONTAINER,
                             str(tmp_path / "task"), str(runtime_sdk),
                             json.dumps(sorted(handlers)), json.dumps(calls)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    container = json.loads(result.stdout)
    assert container["answers"] == [[200, True], [401, {"error": "Requires authorization"}]]
    assert container["botocore"] == "1.30.1"
    for name, path in container["files"].items():
        if name in {package.removesuffix(".py") for package in RUNTIME_PACKAGES}:
            assert path.startswith(str(runtime_sdk)), (name, path)
        elif name in ("app", "chalicelib", "chalice", "pynamodb", "bcrypt"):
            assert path.startswith(str(tmp_path / "task")), (name, path)
    assert container["compiled"] == []


def test_package_gateway_responses_4_21_make_unknown_routes_404_json(packaged):
    responses = resources(packaged_template(packaged), "AWS::ApiGateway::GatewayResponse")
    by_type = {response["ResponseType"]: response for response in responses.values()}
    assert all(response["RestApiId"] == {"Ref": "RestAPI"} for response in responses.values())
    unknown = by_type["MISSING_AUTHENTICATION_TOKEN"]
    assert unknown["StatusCode"] == "404"
    assert json.loads(unknown["ResponseTemplates"]["application/json"]) == {"error": "Not found"}
    unauthorized = by_type["UNAUTHORIZED"]
    assert unauthorized["StatusCode"] == "401"
    assert json.loads(unauthorized["ResponseTemplates"]["application/json"]) == {
        "error": "Requires authorization"}
    # A credential refused at the gateway is a 401 with the challenge, as in the handlers
    # (§4.3, §5.8: docker 1.x expects 401, not 403).
    for response_type in ("UNAUTHORIZED", "ACCESS_DENIED"):
        assert by_type[response_type]["StatusCode"] == "401"
        assert by_type[response_type]["ResponseParameters"] == {
            "gatewayresponse.header.WWW-Authenticate": "'Basic realm=\"auth required\",Token'"}


def test_package_zip_holds_the_app_and_its_dependencies_but_not_the_runtimes(packaged):
    """Issue 13: at most 5 MB of function code; boto3/botocore are the Lambda runtime's."""
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        top = {name.split("/")[0] for name in archive.namelist()}
        unzipped = sum(info.file_size for info in archive.infolist())
    assert {"app.py", "chalicelib", "pynamodb", "bcrypt"} <= top
    assert not top & RUNTIME_PACKAGES
    assert not top & {"tests", "infra", "bench", "docs", "moto", "pytest", "requests", ".chalice"}
    assert unzipped <= 5_000_000


def test_package_pyc_are_this_pythons_and_check_their_source(packaged):
    """Compiled by the interpreter whose version chalice makes the runtime (the test above
    checks they load); hash-based, so a source changed in place is compiled again."""
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        names = set(archive.namelist())
        sources = {name for name in names if name.endswith(".py")}
        compiled = {name for name in names if name.endswith(".pyc")}
        assert compiled == {importlib.util.cache_from_source(name) for name in sources}
        for name in compiled:
            header = archive.read(name)[:8]
            assert header[:4] == importlib.util.MAGIC_NUMBER, name
            assert int.from_bytes(header[4:8], "little") == 0b11, name    # checked hash


def test_package_custom_domain_of_the_readme_serves_the_api_at_the_host_root(tmp_path):
    """docker needs the registry at `https://<host>/v1/...`: README step 3's custom domain
    maps the stage to the domain's root (API Gateway's own URL has the stage in the path)."""
    for name in ("app.py", "chalicelib", "requirements.txt", ".chalice"):
        copy = shutil.copytree if os.path.isdir(os.path.join(ROOT, name)) else shutil.copy
        copy(os.path.join(ROOT, name), tmp_path / name)
    config = chalice_config()
    config["stages"]["dev"].update({
        "api_gateway_endpoint_type": "REGIONAL",
        "api_gateway_custom_domain": {
            "domain_name": "registry.example.com",
            "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/example"}})
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    chalice_package(str(tmp_path), tmp_path / "out")
    template = load_template(str(tmp_path / "out" / "sam.yaml"))
    (domain,) = resources(template, "AWS::ApiGateway::DomainName").values()
    assert domain["DomainName"] == "registry.example.com"
    (mapping,) = resources(template, "AWS::ApiGateway::BasePathMapping").values()
    assert mapping["BasePath"] == "(none)" and mapping["RestApiId"] == {"Ref": "RestAPI"}


@pytest.mark.parametrize("template", ["infra/template.yaml", "packaged sam.yaml"])
def test_cfn_lint_passes(template, packaged):
    path = str(packaged / "sam.yaml") if template == "packaged sam.yaml" else os.path.join(ROOT, template)
    result = subprocess.run([os.path.join(BIN, "cfn-lint"), path], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


# ---- gateway responses for `chalice deploy` ----

def test_gateway_responses_script_applies_api_yaml_to_a_deployed_api(env):
    gateway_responses = infra_script("gateway_responses")
    with mock_aws():
        client = boto3.client("apigateway")
        api_id = client.create_rest_api(name="v1registry")["id"]
        root = client.get_resources(restApiId=api_id)["items"][0]["id"]
        client.put_method(restApiId=api_id, resourceId=root, httpMethod="GET",
                          authorizationType="NONE")
        client.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
        gateway_responses.apply(client, api_id, "api")
        applied = {r["responseType"]: r for r in client.get_gateway_responses(restApiId=api_id)["items"]}
        assert [d["id"] for d in client.get_deployments(restApiId=api_id)["items"]]
    declared = gateway_responses.gateway_responses()
    assert {r["ResponseType"] for r in declared} == set(applied)
    for response in declared:
        assert applied[response["ResponseType"]].get("statusCode") == response.get("StatusCode")
        assert applied[response["ResponseType"]].get("responseTemplates") == response["ResponseTemplates"]
    assert applied["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"


# ---- the IAM policy: exactly the recorded AWS calls ----

@pytest.fixture(scope="module")
def recorded_calls(request, tmp_path_factory):
    """The app's AWS calls over the whole suite: this session's, plus a run of every test file
    this session did not run in full (so `pytest tests/test_infra.py` checks the same set)."""
    ran = {str(item.path) for item in request.session.items}
    others = [path for path in sorted(glob.glob(os.path.join(ROOT, "tests", "test_*.py")))
              if path != __file__]
    missing = [path for path in others if path not in ran or path in aws_calls.PARTIAL_FILES]
    calls = set(aws_calls.CALLS)
    if missing:
        log = tmp_path_factory.mktemp("calls") / "calls.json"
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *missing],
                       cwd=ROOT, env={**os.environ, aws_calls.LOG_ENV: str(log)},
                       capture_output=True, timeout=1800)
        calls |= aws_calls.load(str(log))
    return calls


def granted(stage: str) -> set[tuple[str, str]]:
    return {(action, resource) for statement in policy(stage)["Statement"]
            if statement.get("Sid") != "Logs"
            for action in as_list(statement["Action"]) for resource in as_list(statement["Resource"])}


@pytest.mark.after_other_tests
@pytest.mark.parametrize("stage", STAGES)
def test_policy_grants_exactly_the_aws_calls_the_app_made(stage, recorded_calls):
    assert {call.action.split(":")[0] for call in recorded_calls} >= {"dynamodb", "s3"}
    assert granted(stage) == aws_calls.grants(recorded_calls, stage)


@pytest.mark.parametrize("stage", STAGES)
def test_policy_has_no_wildcard_action_and_names_the_stage_resources(stage):
    statements = policy(stage)["Statement"]
    assert all(statement["Effect"] == "Allow" for statement in statements)
    (logs,) = [statement for statement in statements if statement.get("Sid") == "Logs"]
    assert sorted(as_list(logs["Action"])) == LOG_ACTIONS
    assert as_list(logs["Resource"]) == [f"arn:aws:logs:*:*:log-group:/aws/lambda/v1registry-{stage}*"]
    for statement in statements:
        for action in as_list(statement["Action"]):
            assert "*" not in action
        for resource in as_list(statement["Resource"]):
            assert f"v1registry-{stage}" in resource and resource.startswith("arn:aws:"), resource


# ---- teardown ----

@pytest.mark.filterwarnings("ignore:Tried to parse AWS::")
def test_teardown_deletes_the_stacks_and_the_versioned_bucket(env):
    delete_bucket = infra_script("delete_bucket")
    with mock_aws():
        outputs = deploy_data_stack("dev")
        s3, bucket = boto3.client("s3"), outputs["BucketName"]
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        for number in range(3):
            s3.put_object(Bucket=bucket, Key="layers/a/b", Body=b"v%d" % number)
        s3.delete_object(Bucket=bucket, Key="layers/a/b")            # a delete marker
        boto3.client("cloudformation").delete_stack(StackName="v1registry-dev-data")
        assert delete_bucket.delete_bucket(s3, bucket) == 4
        assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
        assert boto3.client("dynamodb").list_tables()["TableNames"] == []


def test_local_stack_answers_as_the_gateway_responses_do_on_aws(stack):
    """`make run` mimics infra/api.yaml, so local clients see AWS's answers (§1.3, §4.21)."""
    gateway_responses = infra_script("gateway_responses")
    declared = {r["ResponseType"]: r for r in gateway_responses.gateway_responses()}
    image_json = f"{stack.url}/v1/images/{new_id()}/json"          # a guarded route
    forged = 'Token signature=forged,repository="alice/web",access=write'
    answers = {
        "MISSING_AUTHENTICATION_TOKEN": requests.get(f"{stack.url}/v1/no/such/route"),
        "UNAUTHORIZED": requests.put(image_json, data=b"{}"),
    }
    for response_type, answer in answers.items():
        expected = declared[response_type]
        assert answer.status_code == int(expected["StatusCode"]), response_type
        assert answer.json() == json.loads(expected["ResponseTemplates"]["application/json"])
        for name, value in expected.get("ResponseParameters", {}).items():
            assert answer.headers[name.rpartition(".")[2]] == value.strip("'")
    # The authorizer lets a forged token through; the handler refuses it as the gateway's
    # ACCESS_DENIED would: 401 with the challenge.
    refused = requests.put(image_json, data=b"{}", headers={"Authorization": forged})
    access_denied = declared["ACCESS_DENIED"]
    assert refused.status_code == int(access_denied["StatusCode"]) == 401
    assert refused.headers["WWW-Authenticate"] == access_denied["ResponseParameters"][
        "gatewayresponse.header.WWW-Authenticate"].strip("'")
    assert refused.json() == {"error": "Invalid or expired token"}
