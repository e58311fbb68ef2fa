"""A small Hub for permission tests: users alice (owner) and bobby (other) and the
admin, alice's repositories and images, and the credentials of every kind of caller."""
import json
from dataclasses import dataclass, replace

from conftest import ADMIN, DefaultAuthorization, basic
from helpers import JSON_HEADERS, PushedImage, put_image, put_tag

PASSWORD = "secret-pw"


class As(DefaultAuthorization):
    """`client.http` sending exactly one Authorization header (or none) on every call."""

    def request(self, method, path, headers=None, body=b""):
        headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
        if self._authorization is not None:
            headers["Authorization"] = self._authorization
        return self._http.request(method, path, headers=headers, body=body)


def register(http, username: str) -> None:
    body = json.dumps({"username": username, "password": PASSWORD, "email": ""}).encode()
    assert http.post("/v1/users/", body=body, headers=JSON_HEADERS).status_code == 201


def start_push(caller: As, name: str, image_ids: list[str]) -> str:
    """PUT /v1/repositories/<name>/ announcing images; the write token (§3.4)."""
    body = json.dumps([{"id": image_id} for image_id in image_ids]).encode()
    response = caller.put(f"/v1/repositories/{name}/", body=body,
                          headers={**JSON_HEADERS, "X-Docker-Token": "true"})
    assert response.status_code == 200, response.body
    return response.headers["X-Docker-Token"]


def read_token(caller: As, name: str) -> str:
    response = caller.get(f"/v1/repositories/{name}/images", headers={"X-Docker-Token": "true"})
    assert response.status_code == 200, response.body
    return response.headers["X-Docker-Token"]


def set_access(caller: As, name: str, access: str) -> None:
    response = caller.put(f"/v1/repositories/{name}/properties",
                          body=json.dumps({"access": access}).encode(), headers=JSON_HEADERS)
    assert response.status_code == 200, response.body


@dataclass
class World:
    base: PushedImage          # tagged `latest` of alice/app through `top`
    top: PushedImage
    fresh_id: str              # announced for alice/app, nothing uploaded
    json_only: PushedImage     # announced, JSON uploaded
    no_checksum: PushedImage   # announced, JSON and layer uploaded
    callers: dict              # role -> As


def build(anonymous_client, settings, private: bool = True) -> World:
    """alice/app (private unless asked) holding base ← top tagged latest, and
    alice/other; one caller per role of the authorization matrix."""
    from chalicelib.auth import tokens
    from helpers import new_id
    http = anonymous_client.http
    register(http, "alice")
    register(http, "bobby")
    alice = As(http, basic("alice", PASSWORD))
    fresh_id, json_only_id, no_checksum_id = new_id(), new_id(), new_id()
    base_id, top_id = new_id(), new_id()
    start_push(alice, "alice/app", [base_id, top_id, fresh_id, json_only_id, no_checksum_id])
    base = put_image(alice, image_id=base_id)
    top = put_image(alice, parent=base.id, image_id=top_id)
    assert put_tag(alice, "alice/app", "latest", top.id).status_code == 200
    json_only = put_image(alice, parent=top.id, image_id=json_only_id, complete=False)
    no_checksum = put_image(alice, parent=top.id, image_id=no_checksum_id, complete=False)
    if private:
        set_access(alice, "alice/app", "private")
    other_write = start_push(alice, "alice/other", [])
    read = read_token(alice, "alice/app")
    expired = tokens.issue(replace(settings, token_ttl_seconds=-10), "alice", "alice/app", "write")
    forged = read.replace("access=read", "access=write")
    callers = {
        "anonymous": As(http, None),
        "owner": alice,
        "other user": As(http, basic("bobby", PASSWORD)),
        "admin": As(http, basic(*ADMIN)),
        "read token": As(http, f"Token {read}"),
        "write token for another repository": As(http, f"Token {other_write}"),
        "expired token": As(http, f"Token {expired}"),
        "forged token": As(http, f"Token {forged}"),
    }
    for role in ("owner", "other user", "admin"):       # a login records its source as
        assert callers[role].get("/v1/users/").status_code == 200   # trusted: done before
    return World(base, top, fresh_id, json_only, no_checksum, callers)
