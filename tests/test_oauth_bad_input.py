"""Bad input on every route of the OAuth and Accounts APIs: a 4xx (a JSON error, an RFC 6749
§5.2 error, or the authorize page's error page), never a 500, and nothing stored changed."""
import json

import pytest

from conftest import basic
from helpers import JSON_HEADERS, stored_state
from oauth_helpers import FORM, REDIRECT, register_client, register_user

ALICE = basic("alice", "secret-pw")
LONG = "a" * 5000


@pytest.fixture
def world(anonymous_client, admin, aws):
    register_user(anonymous_client.http, "alice", "alice@example.com")
    return anonymous_client.http, register_client(aws)


def requests_to_try(client_id: str):
    """(method, path, body, headers) of bad requests, one per kind of trouble."""
    yield from [
        ("GET", "/api/v1.1/users/%00/", b"", {"Authorization": ALICE}),
        ("GET", f"/api/v1.1/users/{LONG}/", b"", {"Authorization": ALICE}),
        ("GET", "/api/v1.1/users/al%C3%AFce/emails/", b"", {"Authorization": ALICE}),
        ("GET", "/api/v1.1/users/alice/", b"", {"Authorization": "Bearer " + LONG}),
        ("GET", "/api/v1.1/users/alice/", b"", {"Authorization": "Bearer ..."}),
        ("GET", "/api/v1.1/users/alice/", b"", {"Authorization": "Basic " + "x" * 3000}),
        ("PATCH", "/api/v1.1/users/alice/", b"\xff\xfe", {"Authorization": ALICE, **JSON_HEADERS}),
        ("PATCH", "/api/v1.1/users/alice/", b"[1, 2]", {"Authorization": ALICE, **JSON_HEADERS}),
        ("PATCH", "/api/v1.1/users/alice/", json.dumps({"location": "x" * 10000}).encode(),
         {"Authorization": ALICE, **JSON_HEADERS}),
        ("POST", "/api/v1.1/users/alice/emails/", b'{"email": ["a@b.c"]}',
         {"Authorization": ALICE, **JSON_HEADERS}),
        ("POST", "/api/v1.1/users/alice/emails/", json.dumps({"email": LONG + "@x.io"}).encode(),
         {"Authorization": ALICE, **JSON_HEADERS}),
        ("POST", "/api/v1.1/users/alice/emails/", b"email=%ff", {"Authorization": ALICE, **FORM}),
        ("DELETE", "/api/v1.1/users/alice/emails/", b"", {"Authorization": ALICE}),
        ("DELETE", "/api/v1.1/users/alice/emails/?email=", b"", {"Authorization": ALICE}),
        ("DELETE", f"/api/v1.1/o/grants/{LONG}/", b"", {"Authorization": ALICE}),
        ("DELETE", "/api/v1.1/o/grants/%00/", b"", {"Authorization": ALICE}),
        ("POST", "/api/v1.1/o/clients/", b"{", {"Authorization": basic("admin", "admin-password"),
                                                **JSON_HEADERS}),
        ("POST", "/api/v1.1/o/clients/", json.dumps({"name": LONG, "redirect_uris": [REDIRECT]}
                                                    ).encode(),
         {"Authorization": basic("admin", "admin-password"), **JSON_HEADERS}),
        ("POST", "/api/v1.1/o/clients/", json.dumps({"name": "x", "redirect_uris": [REDIRECT],
                                                     "public": "yes"}).encode(),
         {"Authorization": basic("admin", "admin-password"), **JSON_HEADERS}),
        ("GET", f"/api/v1.1/o/authorize/?client_id={LONG}", b"", {}),
        ("GET", f"/api/v1.1/o/authorize/?client_id={client_id}&client_id=x", b"", {}),
        ("GET", f"/api/v1.1/o/authorize/?client_id={client_id}&redirect_uri={LONG}", b"", {}),
        ("GET", "/api/v1.1/o/authorize/", b"", {}),
        ("POST", "/api/v1.1/o/authorize/", b"\xff", FORM),
        ("POST", "/api/v1.1/o/authorize/", b"{}", JSON_HEADERS),
        ("POST", "/api/v1.1/o/authorize/", "&".join(["a=1"] * 100).encode(), FORM),
        ("POST", "/api/v1.1/o/applications/", b"\xff", FORM),
        ("POST", "/api/v1.1/o/applications/", b"form=revoke&client_id=" + LONG.encode(), FORM),
        ("POST", "/api/v1.1/o/token/", "&".join(["a=1"] * 100).encode(), FORM),
        ("POST", "/api/v1.1/o/token/", b"grant_type=authorization_code&code=" + LONG.encode(),
         {**FORM, "Authorization": basic(LONG, "x")}),
        ("POST", "/api/v1.1/o/token/", b"grant_type=refresh_token&refresh_token=x&scope=%ff",
         {**FORM, "Authorization": basic("x", "y")}),
        ("POST", "/api/v1.1/o/token/", b"grant_type=authorization_code&code=x",
         {**FORM, "Authorization": "Basic %%%"}),
    ]


def test_bad_input_is_a_4xx_never_a_500_and_changes_nothing(world, aws):
    http, client = world
    http.get("/api/v1.1/users/alice/", headers={"Authorization": ALICE})   # the id, given once
    problems = []
    for method, path, body, headers in requests_to_try(client.client_id):
        before = stored_state(aws)
        response = http.request(method, path, body=body, headers=headers)
        label = f"{method} {path[:60]} {body[:40]!r}"
        if not 400 <= response.status_code < 500:
            problems.append(f"{label}: {response.status_code} {response.body[:200]!r}")
        elif response.headers["Content-Type"].startswith("text/html"):
            if b"This request cannot be completed" not in response.body:
                problems.append(f"{label}: not the error page")
        elif not json.loads(response.body).get("error"):
            problems.append(f"{label}: no error in {response.body[:200]!r}")
        if stored_state(aws) != before:
            problems.append(f"{label}: changed what is stored")
    assert problems == []
