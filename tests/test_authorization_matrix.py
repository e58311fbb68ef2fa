"""The authorization matrix: every kind of caller × every route of a private
repository → the expected status (spec §3, §4.6.4, §4.8, §4.22; choices in
chalicelib/auth/permissions.py). Guarded routes (`guarded=True` in chalicelib/routing.py) run the
authorizer: no credential → the gateway's 401; a credential that does not verify → the
handler's 401 with the challenge, as on every route (§5.8)."""
import json

import pytest

from auth_world import build
from helpers import JSON_HEADERS, LAYER_HEADERS, stored_state

ROLES = ["anonymous", "owner", "other user", "admin", "read token",
         "write token for another repository", "expired token", "forged token"]


def route(method, path, body=b"", headers=None):
    return method, path, body, headers or {}


# route -> statuses in ROLES order
MATRIX = {
    # §3.7 / §2.13–2.19 / §2.20 reads of alice/app (private)
    "GET images": (route("GET", "/v1/repositories/alice/app/images"),
                   [401, 200, 404, 200, 200, 401, 401, 401]),
    "GET tags": (route("GET", "/v1/repositories/alice/app/tags"),
                 [401, 200, 404, 200, 200, 401, 401, 401]),
    "GET tag": (route("GET", "/v1/repositories/alice/app/tags/latest"),
                [401, 200, 404, 200, 200, 401, 401, 401]),
    "GET tag json": (route("GET", "/v1/repositories/alice/app/tags/latest/json"),
                     [401, 200, 404, 200, 200, 401, 401, 401]),
    "GET repository json": (route("GET", "/v1/repositories/alice/app/json"),
                            [401, 200, 404, 200, 200, 401, 401, 401]),
    "GET properties": (route("GET", "/v1/repositories/alice/app/properties"),
                       [401, 200, 404, 200, 200, 401, 401, 401]),
    # §4.22 image reads: alice's images, asked in the namespace of the token's repository or
    # of the Basic caller's own name (the admin's too: it has no image of that id)
    "GET image json": (route("GET", "/v1/images/{top}/json"),
                       [401, 200, 404, 404, 200, 200, 401, 401]),
    "GET image layer": (route("GET", "/v1/images/{top}/layer"),
                        [401, 302, 404, 404, 302, 302, 401, 401]),
    "GET image ancestry": (route("GET", "/v1/images/{top}/ancestry"),
                           [401, 200, 404, 404, 200, 200, 401, 401]),
    # §2.8: HEAD answers like GET
    "HEAD image json": (route("HEAD", "/v1/images/{top}/json"),
                        [401, 200, 404, 404, 200, 200, 401, 401]),
    "HEAD image layer": (route("HEAD", "/v1/images/{top}/layer"),
                         [401, 302, 404, 404, 302, 302, 401, 401]),
    "HEAD image ancestry": (route("HEAD", "/v1/images/{top}/ancestry"),
                            [401, 200, 404, 404, 200, 200, 401, 401]),
    # §3.4–3.6, §2.15–2.17, §2.20, §3.9 writes (guarded)
    # A credential that does not verify (expired, forged) is 401 on guarded routes too.
    "PUT repository": (route("PUT", "/v1/repositories/alice/app/", b'[]', JSON_HEADERS),
                       [401, 200, 403, 200, 401, 401, 401, 401]),
    "PUT images": (route("PUT", "/v1/repositories/alice/app/images", b"[]", JSON_HEADERS),
                   [401, 204, 403, 204, 401, 401, 401, 401]),
    "PUT tag": (route("PUT", "/v1/repositories/alice/app/tags/v2", '"{top}"', JSON_HEADERS),
                [401, 200, 403, 200, 401, 401, 401, 401]),
    "DELETE tag": (route("DELETE", "/v1/repositories/alice/app/tags/latest"),
                   [401, 200, 403, 200, 401, 401, 401, 401]),
    "DELETE repository": (route("DELETE", "/v1/repositories/alice/app/"),
                          [401, 200, 403, 200, 401, 401, 401, 401]),
    "PUT properties": (route("PUT", "/v1/repositories/alice/app/properties",
                             b'{"access": "public"}', JSON_HEADERS),
                       [401, 200, 403, 200, 401, 401, 401, 401]),
    "PUT auth": (route("PUT", "/v1/repositories/alice/app/auth"),
                 [401, 403, 403, 403, 200, 403, 401, 401]),
    # §2.3–2.5 image writes: into the namespace of the token's repository (alice's), or of
    # the Basic caller's own name — where the other user and the admin have neither the
    # image nor its parent (a child of alice's `top`: 400 "Image depends on a non existing
    # parent"), and nothing of alice's changes
    "PUT image json": (route("PUT", "/v1/images/{fresh}/json", "{fresh_json}", JSON_HEADERS),
                       [401, 200, 400, 400, 401, 200, 401, 401]),
    "PUT image layer": (route("PUT", "/v1/images/{json_only}/layer", b"layer bytes",
                              LAYER_HEADERS),
                        [401, 200, 404, 404, 401, 200, 401, 401]),
    "PUT image checksum": (route("PUT", "/v1/images/{no_checksum}/checksum", b"",
                                 {"X-Docker-Checksum-Payload": "{no_checksum_sum}"}),
                           [401, 200, 404, 404, 401, 200, 401, 401]),
    # §3.2, §3.3 accounts
    "GET users (login)": (route("GET", "/v1/users/"),
                          [401, 200, 200, 200, 401, 401, 401, 401]),
    "PUT user": (route("PUT", "/v1/users/alice/", b'{"email": "alice@example.com"}',
                       JSON_HEADERS),
                 [401, 204, 403, 204, 401, 401, 401, 401]),
}
# Rows whose success changes what a second success would see: one world per allowed caller.
ONCE = {"DELETE tag", "DELETE repository", "PUT image checksum"}


def groups():
    """(row, callers) cases: every caller of a row in one world, except ONCE rows."""
    for name, (_, statuses) in MATRIX.items():
        if name not in ONCE:
            yield name, ROLES
            continue
        denied = [role for role, status in zip(ROLES, statuses) if status >= 400]
        for role, status in zip(ROLES, statuses):
            if status < 400:
                yield name, denied + [role]


CASES = list(groups())


def fill(text, world):
    from helpers import image_json
    values = {"top": world.top.id, "fresh": world.fresh_id, "json_only": world.json_only.id,
              "no_checksum": world.no_checksum.id,
              "no_checksum_sum": world.no_checksum.checksum,
              "fresh_json": image_json(world.fresh_id, world.top.id).decode()}
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


@pytest.mark.parametrize("name, roles", CASES,
                         ids=[f"{name} | {roles[-1] if name in ONCE else 'all'}"
                              for name, roles in CASES])
def test_matrix_row(anonymous_client, admin, aws, name, roles):
    """Every cell of the row; a refused call leaves DynamoDB and S3 exactly as they were."""
    world = build(anonymous_client, aws)
    (method, path, body, headers), statuses = MATRIX[name]
    body = body if isinstance(body, bytes) else fill(body, world).encode()
    headers = {key: fill(value, world) for key, value in headers.items()}
    expected = {role: status for role, status in zip(ROLES, statuses) if role in roles}
    got = {}
    for role in sorted(roles, key=lambda role: expected[role] < 400):     # refusals first
        before = stored_state(aws)
        response = world.callers[role].request(method, fill(path, world), headers=headers,
                                               body=body)
        got[role] = response.status_code
        if response.status_code >= 400:
            answer = json.loads(response.body)
            # the gateway's own refusals keep its shape under the test client; the local
            # stack and infra/ answer them as {"error": ...} (tests/test_e2e_auth.py)
            assert answer.get("error") or list(answer) in (["message"], ["Message"]), answer
            assert stored_state(aws) == before, role
    assert got == expected


def test_matrix_covers_every_route_of_the_app():
    """A new route must get a row (or be listed here as credential-free). The v2 routes
    have their own matrix (tests/test_v2_access.py)."""
    from app import app
    credential_free = {("GET", "/v1/_ping"), ("GET", "/_ping"), ("GET", "/"), ("POST", "/v1/users"),
                       ("GET", "/v1/search"),                      # tests/test_search.py
                       ("POST", "/v1/images/X/layer/multipart")}   # below

    def generic(path):
        for value, placeholder in (("{namespace}/{repository}", "alice/app"),
                                   ("{namespace}", "alice/app"), ("{image_id}", "X"),
                                   ("{tag}", "T"), ("{username}", "alice"), ("{top}", "X"),
                                   ("{fresh}", "X"), ("{json_only}", "X"),
                                   ("{no_checksum}", "X"), ("/tags/latest", "/tags/T"),
                                   ("/tags/v2", "/tags/T")):
            path = path.replace(value, placeholder)
        return path.rstrip("/") or "/"
    # Three-component names are a 400 before any credential check: tests/test_routes.py.
    routes = {(method, generic(path)) for path, methods in app.routes.items()
              for method in methods
              if not path.startswith(("/api/v1.1/", "/v2"))     # test_oauth_matrix, test_v2_*
              and "{component}" not in path}
    covered = {(method, generic(path)) for (method, path, _, _), _ in MATRIX.values()}
    assert routes - covered - credential_free == set()


def test_guarded_multipart_completion_refuses_like_the_other_image_writes(anonymous_client,
                                                                          admin, aws):
    world = build(anonymous_client, aws)
    path = f"/v1/images/{world.json_only.id}/layer/multipart"
    statuses = {role: world.callers[role].post(path, body=b"{}", headers=JSON_HEADERS).status_code
                for role in ROLES}
    assert statuses["anonymous"] == 401
    assert statuses["other user"] == 400        # past auth: in his own namespace (body first)
    assert statuses["read token"] == 401
    assert statuses["expired token"] == statuses["forged token"] == 401
    assert statuses["owner"] not in (401, 403, 404)     # past auth: the upload's own checks


def test_default_visibility_private_from_configuration(env, anonymous_client):
    """REGISTRY_DEFAULT_VISIBILITY=private: a new repository is private until its owner
    publishes it (§2.20 properties)."""
    from auth_world import As, PASSWORD, register, set_access, start_push
    from conftest import basic
    env.setenv("REGISTRY_DEFAULT_VISIBILITY", "private")
    http = anonymous_client.http
    register(http, "alice")
    alice, anonymous = As(http, basic("alice", PASSWORD)), As(http, None)
    start_push(alice, "alice/new", [])
    assert json.loads(alice.get("/v1/repositories/alice/new/properties").body) == \
        {"access": "private"}
    assert anonymous.get("/v1/repositories/alice/new/images").status_code == 401
    set_access(alice, "alice/new", "public")
    assert anonymous.get("/v1/repositories/alice/new/images").status_code == 200


@pytest.mark.parametrize("body", [b"", b"[]", b'{"access": "secret"}', b'"private"'])
def test_properties_2_20_bad_body_is_400_invalid_data(client, body):
    client.http.put("/v1/repositories/admin/app/", body=b"[]", headers=JSON_HEADERS)
    response = client.http.put("/v1/repositories/admin/app/properties", body=body,
                               headers=JSON_HEADERS)
    assert (response.status_code, json.loads(response.body)) == (400, {"error": "Invalid data"})
