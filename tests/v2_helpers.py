"""Building blocks of the Registry v2 tests (spec v2-pull): images pushed through v1 the
way docker 1.x and v1reg push them, and v2 calls through the chalice test client."""
import base64
import gzip
import hashlib
import json
import os
from dataclasses import dataclass

import docker_save
from helpers import JSON_HEADERS, LAYER_HEADERS, create_repository, payload_checksum, put_tag
from v1reg import archive

SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json"
OCI = "application/vnd.oci.image.manifest.v1+json"
DOCKER_20 = ("docker/20.10.24+dfsg1 go/go1.19.8 git-commit/5d6db84 kernel/6.1.0 os/linux "
             "arch/amd64 UpstreamClient(Docker-Client/20.10.24+dfsg1 \\(linux\\))")
DOCKER_1_13 = "docker/1.13.1 go/go1.7.5 git-commit/092cba3 kernel/4.9.0 os/linux arch/amd64"
HOST = {"Host": "registry.example.com", "X-Forwarded-Proto": "https"}   # as API Gateway passes
EMPTY_TAR_DIFF_ID = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class V1:
    """One v1 image as pushed: its id, exact JSON and layer bytes."""
    id: str
    json: bytes
    layer: bytes


def push(http, name: str, tag: str, chain: list[V1]) -> None:
    """§5.4 through the test client: each image's json, layer and checksum with a write
    token of `name`, then the tag."""
    token = create_repository(http, name)
    headers = {"Authorization": f"Token {token}"}
    for image in chain:
        for resource, body, extra in (
                ("json", image.json, JSON_HEADERS), ("layer", image.layer, LAYER_HEADERS),
                ("checksum", b"", {"X-Docker-Checksum-Payload":
                                   payload_checksum(image.json, image.layer)})):
            response = http.put(f"/v1/images/{image.id}/{resource}", body=body,
                                headers={**headers, **extra})
            assert response.status_code in (200, 409), (resource, response.body)
    response = put_tag(http, name, tag, chain[-1].id)
    assert response.status_code == 200, response.body


def docker_1x_chain(layers: list[bytes], **top_fields) -> list[V1]:
    """Images as docker 1.x pushes them: random ids, full v1 JSON, gzip layers."""
    chain, parent = [], None
    for number, layer in enumerate(layers):
        image_id = os.urandom(32).hex()
        data = {"id": image_id, "created": f"2015-05-01T10:00:0{number}.120000000Z",
                "container_config": {"Cmd": ["/bin/sh", "-c", f"#(nop) ADD layer{number}"]},
                "config": {"Cmd": ["sh"], "Env": ["A=<b>&c"]}, "docker_version": "1.6.2",
                "architecture": "amd64", "os": "linux", "Size": len(layer)}
        if parent:
            data["parent"] = parent
        if number == len(layers) - 1:
            data.update(top_fields)
        chain.append(V1(image_id, json.dumps(data, indent=1).encode(), gzip.compress(layer)))
        parent = image_id
    return chain


def built_config(layers: list[bytes], empty_rows: int = 2) -> bytes:
    """A config as docker build writes it (Go's layout: sorted keys, compact), with
    history rows that add no layer between and after the layers."""
    history = []
    for number, _ in enumerate(layers):
        history.append({"created": f"2024-05-01T10:00:0{number}.25Z",
                        "created_by": f"/bin/sh -c #(nop) ADD file:{number} in / "})
        if number < empty_rows:
            history.append({"created": f"2024-05-01T10:01:0{number}Z", "author": "tests",
                            "created_by": f'/bin/sh -c #(nop)  ENV N{number}=<{number}>',
                            "comment": f"row {number}", "empty_layer": True})
    config = {"architecture": "amd64", "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"],
                                                  "Labels": {"by": "tests"}},
              "created": "2024-05-01T10:01:01Z", "docker_version": "20.10.24",
              "history": history, "os": "linux",
              "rootfs": {"type": "layers", "diff_ids": [digest(layer) for layer in layers]}}
    return json.dumps(config, separators=(",", ":"), sort_keys=True).encode()


def v1reg_chain(config: bytes, layers: list[bytes]) -> list[V1]:
    """The chain `v1reg push` writes for a `docker save` of that image (v2-pull §4.7),
    layers gzipped as it gzips them."""
    diff_ids = json.loads(config)["rootfs"]["diff_ids"]
    chain = archive.history_chain(config, diff_ids, [archive.InMemory(layer) for layer in layers])
    return [V1(image.id, image.json, _gzipped(b"".join(image.layer.chunks()))) for image in chain]


def _gzipped(data: bytes) -> bytes:
    return data if data.startswith(b"\x1f\x8b") else gzip.compress(data, mtime=0)


def random_layers(count: int) -> list[bytes]:
    return docker_save.random_layers(count, size=2048)


def bearer(http, scopes: list[str] = (), authorization: str = "", offline: bool = False,
           user_agent: str = DOCKER_20) -> dict:
    """GET /v2/token (§2.2) as docker asks it."""
    query = "&".join(["service=registry", *(f"scope={scope}" for scope in scopes),
                      *(["offline_token=true&client_id=docker"] if offline else [])])
    response = http.get(f"/v2/token?{query}", headers={
        "Authorization": authorization, "User-Agent": user_agent, **HOST})
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def post_token(http, form: str, user_agent: str = DOCKER_20):
    """POST /v2/token (§2.4), a form as docker and containerd send it."""
    return http.post("/v2/token", body=form.encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "User-Agent": user_agent, **HOST})


def v2_get(http, path: str, token: str | None = None, method: str = "GET", **headers):
    headers = {"User-Agent": DOCKER_20, "Authorization": f"Bearer {token}" if token else "",
               **HOST, **headers}
    return http.request(method, path, headers=headers)


def errors_of(response) -> list[dict]:
    """The distribution error body (§1.9), checking its shape."""
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(response.body)
    assert list(body) == ["errors"], body
    return body["errors"]


def code_of(response) -> str:
    (error,) = errors_of(response)
    return error["code"]


def basic_auth(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
