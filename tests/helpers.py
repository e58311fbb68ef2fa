"""Building blocks for tests: image ids, image JSON and payload checksums (spec §4.13.1)."""
import dataclasses
import hashlib
import json
import os

import boto3


def new_id() -> str:
    return os.urandom(32).hex()


def image_json(image_id: str, parent: str | None = None) -> bytes:
    data = {"id": image_id, "created": "2015-05-01T10:00:00.123456Z", "Size": 0}
    if parent:
        data["parent"] = parent
    # Key order and spacing a re-serialising server would change.
    return json.dumps(data, indent=1).encode()


def payload_checksum(json_bytes: bytes, layer: bytes) -> str:
    return "sha256:" + hashlib.sha256(json_bytes + b"\n" + layer).hexdigest()


# ---- calls through chalice.test.Client's `client.http` (unit tests) ----
JSON_HEADERS = {"Content-Type": "application/json"}
LAYER_HEADERS = {"Content-Type": "application/octet-stream"}


@dataclasses.dataclass(frozen=True)
class PushedImage:
    id: str
    json: bytes
    layer: bytes

    @property
    def checksum(self) -> str:
        return payload_checksum(self.json, self.layer)


def error_of(response) -> str:
    """The message of a `{"error": ...}` body (spec §1.3), checking its shape."""
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.body)
    assert list(body) == ["error"], body
    return body["error"]


def put_image(http, parent: str | None = None, layer: bytes = b"layer bytes",
              complete: bool = True, image_id: str | None = None) -> PushedImage:
    """PUT json, layer and (if `complete`) checksum, asserting each answers 200 `true`."""
    image_id = image_id or new_id()
    image = PushedImage(image_id, image_json(image_id, parent), layer)
    steps = [("json", image.json, JSON_HEADERS), ("layer", layer, LAYER_HEADERS)]
    if complete:
        steps.append(("checksum", b"", {"X-Docker-Checksum-Payload": image.checksum}))
    for resource, body, headers in steps:
        response = http.put(f"/v1/images/{image.id}/{resource}", body=body, headers=headers)
        assert (response.status_code, response.body) == (200, b"true"), (resource, response.body)
    return image


def create_repository(http, name: str) -> str:
    """`PUT /v1/repositories/<name>/` (§3.4), the only way a repository comes to exist;
    the write token it returns."""
    response = http.put(f"/v1/repositories/{name}/", body=b"[]",
                        headers={**JSON_HEADERS, "X-Docker-Token": "true"})
    assert response.status_code == 200, response.body
    return response.headers["X-Docker-Token"]


def put_tag(http, name: str, tag: str, image_id: str, headers: dict | None = None):
    return http.put(f"/v1/repositories/{name}/tags/{tag}", body=json.dumps(image_id).encode(),
                    headers={**JSON_HEADERS, **(headers or {})})


# A successful login remembers its source address (auth/accounts.py: sources a user logs in
# from are spared the per-user lockout). A refused call whose credential verified records
# that too: bookkeeping of the login, not something the refused call changed.
LOGIN_BOOKKEEPING = {"trusted_sources"}


def from_source(monkeypatch, address: str) -> None:
    """Requests of Chalice's test client come from `address`, where API Gateway puts it
    (requestContext.identity.sourceIp)."""
    from chalice import app as chalice_app
    real_init = chalice_app.Request.__init__

    def with_source(self, event_dict, *args, **kwargs):
        event_dict["requestContext"].setdefault("identity", {})["sourceIp"] = address
        real_init(self, event_dict, *args, **kwargs)
    monkeypatch.setattr(chalice_app.Request, "__init__", with_source)


def stored_state(settings) -> dict:
    """Every DynamoDB item and S3 object of the registry, to compare before/after a call
    (less LOGIN_BOOKKEEPING). `settings.aws_endpoint` set: the moto server of a local
    stack, else moto in process."""
    connect = {"region_name": settings.region, "endpoint_url": settings.aws_endpoint}
    if settings.aws_endpoint:
        connect.update(aws_access_key_id="local", aws_secret_access_key="local")
    dynamodb, s3 = boto3.client("dynamodb", **connect), boto3.client("s3", **connect)
    state = {}
    for table in dynamodb.list_tables()["TableNames"]:
        items = dynamodb.scan(TableName=table)["Items"]
        state[table] = sorted(json.dumps({name: value for name, value in item.items()
                                          if name not in LOGIN_BOOKKEEPING}, sort_keys=True)
                              for item in items)
    listing = s3.list_objects_v2(Bucket=settings.bucket).get("Contents", [])
    state["s3"] = sorted((obj["Key"], obj["Size"], obj["ETag"]) for obj in listing)
    return state
