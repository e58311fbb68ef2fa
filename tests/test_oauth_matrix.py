"""The authorization matrix of the OAuth and Accounts APIs: every kind of caller × every
`/api/v1.1/` route → the expected status (spec oauth-accounts-api §4.0, §5.3, §7.8, §7.17;
choices in chalicelib/auth/owners.py). Only the account itself, by password or by a live
token with the endpoint's scope, reaches the Accounts API; admins have no special access
there. The browser pages and the token endpoint take no user credentials at all: their
checks (session, CSRF, client authentication) are in tests/test_oauth_flow.py and
tests/test_oauth_attacks.py. A refused call changes nothing stored."""
import json
from dataclasses import replace

import pytest

from auth_world import As
from conftest import ADMIN, basic
from helpers import JSON_HEADERS, stored_state
from oauth_helpers import FORM, REDIRECT, register_client, register_user

ROLES = ["anonymous", "owner", "other user", "admin", "token", "read token",
         "other user's token", "expired token", "forged token", "revoked token", "docker token"]
TOKENS_REFUSED = [401] * 7                        # every token role, on password-only routes


def route(method, path, body=b"", headers=None):
    return method, path, body, headers or {}


MATRIX = {
    # §4.2–4.8 the Accounts API of alice
    "GET user": (route("GET", "/api/v1.1/users/alice/"),
                 [401, 200, 403, 403, 200, 200, 403, 401, 401, 401, 401]),
    "PATCH user": (route("PATCH", "/api/v1.1/users/alice/", b'{"location": "Berlin"}',
                         JSON_HEADERS),
                   [401, 200, 403, 403, 200, 403, 403, 401, 401, 401, 401]),
    "GET emails": (route("GET", "/api/v1.1/users/alice/emails/"),
                   [401, 200, 403, 403, 200, 200, 403, 401, 401, 401, 401]),
    "POST email": (route("POST", "/api/v1.1/users/alice/emails/", b'{"email": "new@example.com"}',
                         JSON_HEADERS),
                   [401, 201, 403, 403, 201, 403, 403, 401, 401, 401, 401]),
    "DELETE email": (route("DELETE", "/api/v1.1/users/alice/emails/",
                           b'{"email": "alice.other@example.com"}', JSON_HEADERS),
                     [401, 204, 403, 403, 204, 403, 403, 401, 401, 401, 401]),
    # the caller's own authorized applications, and registering one: passwords only
    "GET grants": (route("GET", "/api/v1.1/o/grants/"), [401, 200, 200, 200] + TOKENS_REFUSED),
    "DELETE grant": (route("DELETE", "/api/v1.1/o/grants/{client_id}/"),
                     [401, 204, 404, 404] + TOKENS_REFUSED),
    "POST client": (route("POST", "/api/v1.1/o/clients/",
                          json.dumps({"name": "X", "redirect_uris": [REDIRECT]}).encode(),
                          JSON_HEADERS),
                    [401, 403, 403, 201] + TOKENS_REFUSED),
    # pages and the token endpoint: an Authorization header grants nothing there
    "GET authorize": (route("GET", "/api/v1.1/o/authorize/?client_id={client_id}"
                                   "&response_type=code"), [200] * 11),
    "POST authorize": (route("POST", "/api/v1.1/o/authorize/",
                             b"client_id={client_id}&response_type=code&form=consent"
                             b"&decision=authorize", FORM), [403] * 11),
    "POST token": (route("POST", "/api/v1.1/o/token/", b"grant_type=authorization_code&code=x",
                         FORM), [401] * 11),
    "GET applications": (route("GET", "/api/v1.1/o/applications/"), [200] * 11),
    "POST applications": (route("POST", "/api/v1.1/o/applications/",
                                b"form=revoke&client_id={client_id}", FORM), [403] * 11),
}
# Rows whose success changes what a second success would see: one world per allowed caller.
ONCE = {"POST email", "DELETE email", "DELETE grant", "POST client"}


def groups():
    for name, (_, statuses) in MATRIX.items():
        if name not in ONCE:
            yield name, ROLES
            continue
        denied = [role for role, status in zip(ROLES, statuses) if status >= 400]
        for role, status in zip(ROLES, statuses):
            if status < 400:
                yield name, denied + [role]


CASES = list(groups())


def mint(settings, username: str, client_id: str, scope: str) -> tuple[str, str]:
    """An access token of a new family, as the token endpoint issues it; and its family."""
    from chalicelib.auth import bearer
    from chalicelib.oauth import grants
    grants.consent(username, client_id, tuple(scope.split()))
    family, refresh_item, _ = grants.new_family(settings, username, client_id, scope)
    family.save()
    refresh_item.save()
    return bearer.issue(settings, username, family.family_id, client_id,
                        tuple(scope.split())), family.family_id


def build(anonymous_client, settings) -> tuple[dict, str]:
    """alice (another address on file, tokens of every kind for the application), bobby (a
    token for another application); one caller per role."""
    import base64
    from chalicelib.auth import bearer, tokens
    from chalicelib.oauth import grants
    http = anonymous_client.http
    register_user(http, "alice", "alice@example.com")
    register_user(http, "bobby", "bobby@example.com")
    alice = As(http, basic("alice", "secret-pw"))
    added = alice.post("/api/v1.1/users/alice/emails/", headers=JSON_HEADERS,
                       body=b'{"email": "alice.other@example.com"}')
    assert added.status_code == 201
    client = register_client(settings)
    other_client = register_client(settings, name="Bobby's app").client_id
    every = "profile_read profile_write email_read email_write"
    full, family = mint(settings, "alice", client.client_id, every)
    read, _ = mint(settings, "alice", client.client_id, "profile_read email_read")
    revoked, revoked_family = mint(settings, "alice", client.client_id, every)
    grants.revoke_family("alice", revoked_family)
    payload, signature = read.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged_payload = base64.urlsafe_b64encode(json.dumps({**claims, "s": every}).encode())
    callers = {
        "anonymous": As(http, None),
        "owner": alice,
        "other user": As(http, basic("bobby", "secret-pw")),
        "admin": As(http, basic(*ADMIN)),
        "token": As(http, f"Bearer {full}"),
        "read token": As(http, f"Bearer {read}"),
        "other user's token": As(http, "Bearer " + mint(settings, "bobby", other_client,
                                                        every)[0]),
        "expired token": As(http, "Bearer " + bearer.issue(
            replace(settings, oauth_access_token_seconds=-10), "alice", family,
            client.client_id, tuple(every.split()))),
        "forged token": As(http, f"Bearer {forged_payload.rstrip(b'=').decode()}.{signature}"),
        "revoked token": As(http, f"Bearer {revoked}"),
        "docker token": As(http, "Token " + tokens.issue(settings, "alice", "alice/app", "write")),
    }
    return callers, client.client_id


@pytest.mark.parametrize("name, roles", CASES,
                         ids=[f"{name} | {roles[-1] if name in ONCE else 'all'}"
                              for name, roles in CASES])
def test_matrix_row(anonymous_client, admin, aws, name, roles):
    callers, client_id = build(anonymous_client, aws)
    (method, path, body, headers), statuses = MATRIX[name]
    path = path.replace("{client_id}", client_id)
    body = body.replace(b"{client_id}", client_id.encode())
    expected = {role: status for role, status in zip(ROLES, statuses) if role in roles}
    got = {}
    for role in sorted(roles, key=lambda role: expected[role] < 400):     # refusals first
        before = stored_state(aws)
        response = callers[role].request(method, path, headers=headers, body=body)
        got[role] = response.status_code
        if response.status_code >= 400:
            if response.headers["Content-Type"].startswith("text/html"):
                assert b"expired or did not come from this site" in response.body, role
            else:
                assert json.loads(response.body)["error"], role
            assert stored_state(aws) == before, role
    assert got == expected


def test_matrix_covers_every_api_v1_1_route_of_the_app():
    """A new route under /api/v1.1/ must get a row."""
    from app import app
    routes = {(method, path) for path, methods in app.routes.items() for method in methods
              if path.startswith("/api/v1.1/")}
    covered = {(method, path.split("?")[0].rstrip("/").replace("/users/alice", "/users/{username}"))
               for (method, path, _, _), _ in MATRIX.values()}
    assert routes == covered
