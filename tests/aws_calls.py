"""pytest plugin: records every AWS call the app makes, as IAM actions on resources.

A botocore API call (or presigned URL, which S3 authorises with the signer's rights)
counts when app.py (a request) or the authorizer's module is on the stack, i.e. it happened
while serving a request; test set-up calls (create_table, create_stack, ...) do not. tests/test_infra.py holds
.chalice/policy-<stage>.json to exactly this set, so a new table or AWS call in the
code fails the suite until the policy grants it.
"""
import json
import os
import sys
from dataclasses import asdict, dataclass

import botocore.client
import botocore.signers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENTRY_FILES = {os.path.join(ROOT, "app.py"),                          # API requests
               os.path.join(ROOT, "chalicelib", "auth", "gateway.py")}     # the authorizer
LOG_ENV = "AWS_CALLS_LOG"        # set: dump this session's calls there as JSON
LAST = "after_other_tests"       # marker: run after every other test of the session


@dataclass(frozen=True, order=True)
class Call:
    action: str        # IAM action, "dynamodb:PutItem"
    kind: str          # table | index | bucket | object | secret
    name: str          # table name, "table/index", bucket, "bucket/<key prefix>" or secret id


CALLS: set[Call] = set()

_TRANSACT_ITEM = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                  "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
# The IAM action each S3 operation needs (AWS service authorization reference for S3).
_S3_ACTIONS = {
    "HeadObject": ("s3:GetObject", "object"), "GetObject": ("s3:GetObject", "object"),
    "PutObject": ("s3:PutObject", "object"), "CreateMultipartUpload": ("s3:PutObject", "object"),
    "UploadPart": ("s3:PutObject", "object"), "CompleteMultipartUpload": ("s3:PutObject", "object"),
    "DeleteObject": ("s3:DeleteObject", "object"),
    "AbortMultipartUpload": ("s3:AbortMultipartUpload", "object"),
    "ListParts": ("s3:ListMultipartUploadParts", "object"),
    "HeadBucket": ("s3:ListBucket", "bucket"), "ListObjects": ("s3:ListBucket", "bucket"),
    "ListObjectsV2": ("s3:ListBucket", "bucket"),
    "ListMultipartUploads": ("s3:ListBucketMultipartUploads", "bucket"),
}
# A call naming a VersionId needs the version's own action.
_VERSIONED = {"s3:GetObject": "s3:GetObjectVersion", "s3:DeleteObject": "s3:DeleteObjectVersion"}


def iam_calls(service: str, operation: str, params: dict) -> list[Call]:
    """The IAM actions (and resources) one API call needs."""
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            return [Call("dynamodb:" + _TRANSACT_ITEM[kind], "table", body["TableName"])
                    for item in params["TransactItems"] for kind, body in item.items()]
        if operation in ("BatchWriteItem", "BatchGetItem"):
            return [Call("dynamodb:" + operation, "table", table) for table in params["RequestItems"]]
        if params.get("IndexName"):
            return [Call("dynamodb:" + operation, "index",
                         f"{params['TableName']}/{params['IndexName']}")]
        return [Call("dynamodb:" + operation, "table", params["TableName"])]
    if service == "s3":
        if operation in ("CopyObject", "UploadPartCopy"):     # read the source, write the key
            source = params["CopySource"]
            return [*iam_calls("s3", "GetObject", source),
                    *iam_calls("s3", "PutObject", params)]
        if operation == "HeadObject" and not params.get("VersionId"):
            # Without s3:ListBucket, S3 answers a missing object 403 instead of 404.
            return [*iam_calls("s3", "GetObject", params), *iam_calls("s3", "HeadBucket", params)]
        if operation not in _S3_ACTIONS:
            raise KeyError(f"tests/aws_calls.py: map S3 {operation} to its IAM action")
        action, kind = _S3_ACTIONS[operation]
        if params.get("VersionId") and action in _VERSIONED:
            action = _VERSIONED[action]
        if kind == "object":        # keys are "<prefix>/...": grant per top-level prefix
            return [Call(action, kind, f"{params['Bucket']}/{params['Key'].split('/')[0]}")]
        return [Call(action, kind, params["Bucket"])]
    if service == "secretsmanager":
        return [Call("secretsmanager:" + operation, "secret", params["SecretId"])]
    raise KeyError(f"tests/aws_calls.py: map {service} {operation} to IAM actions and resources")


def _from_app() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename in ENTRY_FILES:
            return True
        frame = frame.f_back
    return False


_make_api_call = botocore.client.BaseClient._make_api_call
_generate_presigned_url = botocore.signers.generate_presigned_url


def _recording_api_call(self, operation_name, api_params):
    if _from_app():
        CALLS.update(iam_calls(self.meta.service_model.service_name, operation_name, api_params))
    return _make_api_call(self, operation_name, api_params)


def _recording_presign(self, ClientMethod, Params=None, ExpiresIn=3600, HttpMethod=None):
    if _from_app():
        operation = self.meta.method_to_api_mapping[ClientMethod]
        CALLS.update(iam_calls(self.meta.service_model.service_name, operation, Params or {}))
    return _generate_presigned_url(self, ClientMethod, Params, ExpiresIn, HttpMethod)


def chalice_config() -> dict:
    with open(os.path.join(ROOT, ".chalice", "config.json")) as file:
        return json.load(file)


def stage_names(stage: str) -> dict:
    """A Chalice stage's environment from .chalice/config.json (the names the policy grants)."""
    config = chalice_config()
    return {**config.get("environment_variables", {}),
            **config["stages"][stage].get("environment_variables", {})}


def _table_suffix(table: str) -> str:
    from chalicelib.store.models import ALL_MODELS
    suffixes = [m.Meta.table_suffix for m in ALL_MODELS if table.endswith("-" + m.Meta.table_suffix)]
    if not suffixes:
        raise KeyError(f"the app called table {table}, which is no model's in chalicelib/store/models.py")
    return max(suffixes, key=len)         # "repository-images", not "images"


def resource_pattern(call: Call, stage: str) -> str:
    """The policy Resource that grants `call` in `stage`: one named resource, any region/account."""
    names = stage_names(stage)
    if call.kind in ("table", "index"):
        table, _, index = call.name.partition("/")
        arn = f"arn:aws:dynamodb:*:*:table/{names['REGISTRY_TABLE_PREFIX']}-{_table_suffix(table)}"
        return f"{arn}/index/{index}" if index else arn
    if call.kind == "bucket":
        return f"arn:aws:s3:::{names['REGISTRY_BUCKET']}"
    if call.kind == "object":
        return f"arn:aws:s3:::{names['REGISTRY_BUCKET']}/{call.name.partition('/')[2]}/*"
    # Secrets Manager appends "-" and six random characters to a secret's name in its ARN.
    return f"arn:aws:secretsmanager:*:*:secret:{names['REGISTRY_TOKEN_SECRET_ID']}-??????"


def grants(calls: set[Call], stage: str) -> set[tuple[str, str]]:
    """(action, resource) pairs a stage's policy needs for `calls`."""
    return {(call.action, resource_pattern(call, stage)) for call in calls}


def load(path: str) -> set[Call]:
    with open(path) as file:
        return {Call(**row) for row in json.load(file)}


def policy(calls: set[Call], stage: str) -> dict:
    """A stage's policy granting exactly `calls`, one statement per resource, plus its logs."""
    by_resource: dict[str, set[str]] = {}
    for action, resource in grants(calls, stage):
        by_resource.setdefault(resource, set()).add(action)
    logs = {"Sid": "Logs", "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:*:*:log-group:/aws/lambda/v1registry-{stage}*"}
    return {"Version": "2012-10-17", "Statement": [logs, *(
        {"Effect": "Allow", "Action": sorted(actions), "Resource": resource}
        for resource, actions in sorted(by_resource.items()))]}


# ---- pytest hooks ----

PARTIAL_FILES: set[str] = set()      # test files only partly run in this session


def pytest_configure(config):
    botocore.client.BaseClient._make_api_call = _recording_api_call
    botocore.signers.generate_presigned_url = _recording_presign
    config.addinivalue_line("markers", f"{LAST}: runs after every other test of the session")
    PARTIAL_FILES.update(os.path.abspath(arg.split("::")[0]) for arg in config.args if "::" in arg)


def pytest_deselected(items):
    PARTIAL_FILES.update(str(item.path) for item in items)


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker(LAST) is not None)


def pytest_sessionfinish(session):
    if os.environ.get(LOG_ENV):
        with open(os.environ[LOG_ENV], "w") as file:
            json.dump([asdict(call) for call in sorted(CALLS)], file)


if __name__ == "__main__":
    # Rewrite the policy files from a recorded run:
    #   AWS_CALLS_LOG=/tmp/calls.json make test; .venv/bin/python tests/aws_calls.py /tmp/calls.json
    sys.path.insert(0, ROOT)
    recorded = load(sys.argv[1])
    for name, stage in chalice_config()["stages"].items():
        if "iam_policy_file" in stage:
            with open(os.path.join(ROOT, ".chalice", stage["iam_policy_file"]), "w") as file:
                file.write(json.dumps(policy(recorded, name), indent=2) + "\n")
