"""Accounts, source addresses and hand-made upload steps for the end-to-end trust tests
(tests/test_e2e_trust.py, tests/test_e2e_throttle.py): real accounts registered through
`POST /v1/users/`, calls from a chosen loopback address, layer uploads through presigned
URLs (README "Layer uploads"), and what a docker pull of a tag serves. The docker steps
themselves are tests/docker_v1.py's."""
import base64
import hashlib
import json

import requests
from requests.adapters import HTTPAdapter

import docker_v1

PASSWORD = "secret-pw"
JSON = {"Content-Type": "application/json; charset=utf-8"}
CHALLENGE = 'Basic realm="auth required",Token'


class FromAddress(HTTPAdapter):
    """Connections bound to one local address: all of 127.0.0.0/8 is loopback, so
    127.0.0.2, 127.0.0.3, ... reach the stack as distinct sources."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def http_from(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


def basic(auth: tuple[str, str]) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(":".join(auth).encode()).decode()}


def token(value: str) -> dict:
    return {"Authorization": f"Token {value}"}


def error_of(response: requests.Response) -> tuple[int, str]:
    """(status, the `error` of a `{"error": ...}` body); fails on any other answer (§1.3)."""
    answer = f"{response.request.method} {response.url} answered {response.status_code} " \
             f"{response.text[:300]!r}"
    assert response.headers.get("Content-Type", "").startswith("application/json"), answer
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str), answer
    return response.status_code, body["error"]


def register(stack, username: str, password: str = PASSWORD, http=requests):
    """§3.1 as docker 1.6–1.10 send it."""
    body = {"username": username, "password": password, "auth": "", "email": ""}
    return http.post(f"{stack.url}/v1/users/", data=json.dumps(body), headers=JSON)


def account(stack, username: str, http=requests) -> tuple[str, str]:
    response = register(stack, username, http=http)
    assert (response.status_code, response.text) == (201, '"User Created"'), response.text
    return username, PASSWORD


def login(stack, auth: tuple[str, str], http=requests):
    """§3.2, the only login call of docker 1.11+."""
    return http.get(f"{stack.url}/v1/users/", headers=basic(auth))


def set_access(stack, name: str, access: str, auth: tuple[str, str]) -> None:
    response = requests.put(f"{stack.url}/v1/repositories/{name}/properties",
                            data=json.dumps({"access": access}), headers={**basic(auth), **JSON})
    assert response.status_code == 200, response.text


def redirect_url(session: docker_v1.Session, image_id: str) -> str:
    """`PUT layer` with `X-Registry-Upload: redirect` and no body: 307 to a presigned S3 PUT."""
    response = session.registry("PUT", f"/v1/images/{image_id}/layer", data=b"",
                                headers={"X-Registry-Upload": "redirect"})
    assert response.status_code == 307, response.text
    return response.headers["Location"]


def multipart_plan(session: docker_v1.Session, image_id: str, size: int) -> dict:
    """`PUT layer` with `X-Registry-Upload: multipart`: `{"upload_id", "part_size", "parts"}`."""
    response = session.registry("PUT", f"/v1/images/{image_id}/layer", data=b"", headers={
        "X-Registry-Upload": "multipart", "X-Registry-Layer-Size": str(size)})
    assert response.status_code == 200, response.text
    return response.json()


def complete_multipart(session: docker_v1.Session, image_id: str, upload_id: str,
                       parts: list[dict]) -> requests.Response:
    return session.registry("POST", f"/v1/images/{image_id}/layer/multipart",
                            data=json.dumps({"upload_id": upload_id, "parts": parts}),
                            headers={"Content-Type": "application/json"})


def content(image_json: bytes, layer: bytes) -> tuple[bytes, str]:
    """What tests compare: the exact JSON bytes and the layer's sha256 (short to print)."""
    return image_json, hashlib.sha256(layer).hexdigest()


def content_of(image: docker_v1.Image) -> tuple[bytes, str]:
    return content(image.json, image.layer)


def served(stack, name: str, auth: tuple[str, str] | None = None) -> tuple[bytes, str]:
    """`content` of the image `latest` names, pulled as docker does (§5.5)."""
    pulled = docker_v1.pull(stack.url, name, auth=auth)
    image = pulled.images[pulled.image_id]
    assert image.size == len(image.layer)          # X-Docker-Size tells the served length
    return content(image.json, image.layer)
