"""Accounts: register, log in, update (spec §3.1–3.3, §4.19, §5.3), bcrypt's limits,
login throttling and enumeration resistance, through the chalice test client over moto."""
import json
import time

import bcrypt
import pytest

from conftest import ADMIN, basic
from helpers import JSON_HEADERS, error_of, from_source

CHALLENGE = 'Basic realm="auth required",Token'


def register(http, username, password="secret-pw", email=None, **extra):
    """POST /v1/users/ (§3.1); e-mail addresses are unique across accounts."""
    email = f"{username}@example.com" if email is None else email
    body = {"username": username, "password": password, "auth": "", "email": email, **extra}
    return http.post("/v1/users/", body=json.dumps(body).encode(),
                     headers={"Content-Type": "application/json; charset=utf-8"})


def login(http, username, password, headers=None):
    return http.get("/v1/users/", headers={"Authorization": basic(username, password),
                                           **(headers or {})})


@pytest.fixture
def http(anonymous_client):
    return anonymous_client.http


@pytest.fixture
def checkpw_calls(monkeypatch):
    """Counts real bcrypt checks (the call goes through to bcrypt)."""
    calls = []
    real = bcrypt.checkpw

    def counting(password, hashed):
        calls.append(hashed)
        return real(password, hashed)
    monkeypatch.setattr(bcrypt, "checkpw", counting)
    return calls


# ---- §3.1 register ----

def test_register_3_1_answers_201_user_created_exact_bytes(http):
    response = register(http, "alice")
    assert (response.status_code, response.body) == (201, b'"User Created"')
    assert response.headers["Content-Type"] == "application/json"
    assert login(http, "alice", "secret-pw").status_code == 200


def test_register_3_1_existing_user_is_the_exact_bare_string_docker_falls_through_on(http):
    register(http, "alice")
    response = register(http, "alice", password="another-pw")
    assert (response.status_code, response.body) == (400, b'"Username or email already exists"')


def test_register_5_3_docker_1_6_login_post_then_get(http):
    """docker ≤1.10: POST (400 exact string) → GET with Basic → 200."""
    register(http, "alice")
    assert register(http, "alice").body == b'"Username or email already exists"'
    response = login(http, "alice", "secret-pw")
    assert (response.status_code, response.body) == (200, b'"OK"')


@pytest.mark.parametrize("username", ["abc", "a" * 31, "Alice", "al-ice", "_alice", "alice_",
                                      "al__ice", "al.ice", "library", ""])
def test_register_3_1_invalid_username_is_400(http, username):
    response = register(http, username)
    assert response.status_code == 400
    assert "username" in error_of(response)


@pytest.mark.parametrize("body", [b"not json", b"[]", b'"x"', b'{"password": "secret-pw"}',
                                  b'{"username": "alice"}', b'{"username": 5, "password": "x"}'])
def test_register_3_1_bad_body_is_400_json_error(http, body):
    response = http.post("/v1/users/", body=body, headers=JSON_HEADERS)
    assert response.status_code == 400
    assert error_of(response)


@pytest.mark.parametrize("email, status", [("", 201), ("bob@example.com", 201),
                                           ("not-an-address", 400), ("a@b", 400)])
def test_register_3_1_email_optional_but_checked(http, email, status):
    assert register(http, "bobby", email=email).status_code == status


def test_register_4_12_username_with_underscore_is_a_valid_namespace(client, http):
    assert register(http, "build_bot").status_code == 201
    response = client.http.put("/v1/repositories/build_bot/app/",
                               headers={**JSON_HEADERS, "Authorization": basic("build_bot", "secret-pw")},
                               body=b"[]")
    assert response.status_code == 200


def test_register_short_password_is_400(http):
    assert error_of(register(http, "alice", password="abcd")) == "Password shorter than 5 characters"


# ---- bcrypt's 72-byte limit (platform notes §4) ----

def test_bcrypt_limit_register_73_bytes_is_400_not_500(http):
    response = register(http, "alice", password="é" * 36 + "x")      # 73 bytes, 37 characters
    assert (response.status_code, error_of(response)) == (400, "Password longer than 72 bytes")
    assert login(http, "alice", "é" * 36).status_code == 401        # nothing was stored


def test_bcrypt_limit_exactly_72_bytes_works(http):
    password = "p" * 72
    assert register(http, "alice", password=password).status_code == 201
    assert login(http, "alice", password).status_code == 200
    assert login(http, "alice", password[:71]).status_code == 401


def test_bcrypt_limit_login_with_73_bytes_is_400_not_500(http):
    register(http, "alice")
    response = login(http, "alice", "p" * 73)
    assert (response.status_code, error_of(response)) == (400, "Password longer than 72 bytes")


def test_bcrypt_limit_password_update_over_72_bytes_is_400(http):
    register(http, "alice")
    response = http.put("/v1/users/alice/", body=json.dumps({"password": "p" * 80}).encode(),
                        headers={**JSON_HEADERS, "Authorization": basic("alice", "secret-pw")})
    assert (response.status_code, error_of(response)) == (400, "Password longer than 72 bytes")
    assert login(http, "alice", "secret-pw").status_code == 200


# ---- §3.2 login ----

def test_login_3_2_wrong_password_is_401_with_challenge(http):
    register(http, "alice")
    response = login(http, "alice", "wrong-pw")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert error_of(response) == "Wrong login/password, please try again"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic Og=="},
                                     {"Authorization": "Basic !!!"},
                                     {"Authorization": "Bearer abc"}])
def test_login_3_2_without_usable_credentials_is_401(http, headers):
    response = http.get("/v1/users/", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE


def test_login_3_2_a_token_is_not_a_login(client, http):
    token = client.http.get("/v1/repositories/admin/x/images",
                            headers={"X-Docker-Token": "true"})
    assert token.status_code == 404       # no such repository: no token either
    client.http.put("/v1/repositories/admin/x/", body=b"[]", headers=JSON_HEADERS)
    token = client.http.get("/v1/repositories/admin/x/images",
                            headers={"X-Docker-Token": "true"}).headers["X-Docker-Token"]
    assert http.get("/v1/users/", headers={"Authorization": f"Token {token}"}).status_code == 401


def test_login_3_2_inactive_account_is_403_only_with_the_right_password(env, http):
    env.setenv("REGISTRY_NEW_ACCOUNTS_ACTIVE", "false")
    assert register(http, "alice").status_code == 201
    assert login(http, "alice", "wrong-pw").status_code == 401
    response = login(http, "alice", "secret-pw")
    assert (response.status_code, error_of(response)) == (403, "Account is not Active")


def test_update_3_3_admin_activates_an_inactive_account_user_cannot(env, client, http):
    env.setenv("REGISTRY_NEW_ACCOUNTS_ACTIVE", "false")
    register(http, "alice")
    register(http, "bobby")
    client.http.put("/v1/users/bobby/", body=b'{"active": true}', headers=JSON_HEADERS)
    response = http.put("/v1/users/alice/", body=b'{"active": true}',
                        headers={**JSON_HEADERS, "Authorization": basic("bobby", "secret-pw")})
    assert response.status_code == 403
    response = http.put("/v1/users/bobby/", body=b'{"active": true}',
                        headers={**JSON_HEADERS, "Authorization": basic("bobby", "secret-pw")})
    assert (response.status_code, error_of(response)) == \
        (403, "Only an admin may activate or deactivate an account")
    assert login(http, "alice", "secret-pw").status_code == 403
    response = client.http.put("/v1/users/alice/", body=b'{"active": true}', headers=JSON_HEADERS)
    assert response.status_code == 204
    assert login(http, "alice", "secret-pw").status_code == 200
    client.http.put("/v1/users/alice/", body=b'{"active": false}', headers=JSON_HEADERS)
    assert login(http, "alice", "secret-pw").status_code == 403


def test_login_enumeration_unknown_user_and_wrong_password_answer_alike(http, checkpw_calls):
    register(http, "alice")
    checkpw_calls.clear()
    wrong = login(http, "alice", "wrong-pw")
    unknown = login(http, "nobody", "wrong-pw")
    malformed = login(http, "No Such User!", "wrong-pw")
    assert (wrong.status_code, wrong.body) == (unknown.status_code, unknown.body)
    assert (wrong.status_code, wrong.body) == (malformed.status_code, malformed.body)
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]
    # the same work on every path: one bcrypt check each, at the configured cost
    assert len(checkpw_calls) == 3
    assert {hashed[:7] for hashed in checkpw_calls} == {b"$2b$04$"}


def test_login_bcrypt_once_then_remembered(http, checkpw_calls):
    register(http, "alice")
    for _ in range(3):
        assert login(http, "alice", "secret-pw").status_code == 200
    assert len(checkpw_calls) == 1
    assert login(http, "alice", "wrong-pw").status_code == 401       # a wrong one still checks
    assert len(checkpw_calls) == 2


def test_login_remembered_credential_dies_with_a_password_change(http):
    register(http, "alice")
    assert login(http, "alice", "secret-pw").status_code == 200
    response = http.put("/v1/users/alice/", body=b'{"password": "new-secret"}',
                        headers={**JSON_HEADERS, "Authorization": basic("alice", "secret-pw")})
    assert response.status_code == 204
    assert login(http, "alice", "secret-pw").status_code == 401
    assert login(http, "alice", "new-secret").status_code == 200


# ---- throttling ----

def test_throttle_brute_force_locks_the_user_name_with_429_and_retry_after(env, http):
    env.setenv("REGISTRY_LOGIN_MAX_FAILURES", "3")
    register(http, "alice")
    assert [login(http, "alice", f"guess-{n}").status_code for n in range(3)] == [401] * 3
    locked = login(http, "alice", "secret-pw")              # even the right password waits
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert error_of(locked) == "Too many failed logins, retry later"
    assert login(http, "bob_x", "whatever").status_code == 401      # other names unaffected


def test_throttle_unknown_names_lock_the_same_way_no_enumeration(env, http):
    env.setenv("REGISTRY_LOGIN_MAX_FAILURES", "2")
    register(http, "alice")
    for name in ("alice", "nobody"):
        statuses = [login(http, name, "guess").status_code for _ in range(3)]
        assert statuses == [401, 401, 429]


def test_throttle_window_reopens(env, http):
    env.setenv("REGISTRY_LOGIN_MAX_FAILURES", "1")
    env.setenv("REGISTRY_LOGIN_WINDOW_SECONDS", "4")
    register(http, "alice")
    assert login(http, "alice", "guess").status_code == 401
    locked = login(http, "alice", "secret-pw")
    assert locked.status_code == 429
    time.sleep(int(locked.headers["Retry-After"]) + 1.1)
    assert login(http, "alice", "secret-pw").status_code == 200


def test_throttle_per_source_address_across_user_names(env, anonymous_client, monkeypatch):
    """API Gateway puts the caller's address in requestContext.identity.sourceIp."""
    env.setenv("REGISTRY_LOGIN_MAX_FAILURES_PER_SOURCE", "4")
    from_source(monkeypatch, "203.0.113.9")
    http = anonymous_client.http
    statuses = [login(http, f"user{n}", "guess").status_code for n in range(5)]
    assert statuses == [401, 401, 401, 401, 429]


def test_throttle_counts_live_in_dynamodb(env, http, aws):
    env.setenv("REGISTRY_LOGIN_MAX_FAILURES", "5")
    register(http, "alice")
    login(http, "alice", "guess")
    login(http, "alice", "guess")
    from chalicelib.store.models import LoginFailure
    assert LoginFailure.get("pair:alice|127.0.0.1").failures == 2
    assert LoginFailure.get("user:alice").failures == 2
    assert LoginFailure.get("source:127.0.0.1").failures == 2
    login(http, "alice", "secret-pw")
    # a success ends this (user, source) window, not the source's nor the user's
    assert LoginFailure.count("pair:alice|127.0.0.1") == 0
    assert LoginFailure.get("user:alice").failures == 2


# ---- §3.3 update ----

def test_update_3_3_self_changes_email_204_empty(http, aws):
    register(http, "alice")
    response = http.put("/v1/users/alice/", body=b'{"email": "new@example.com"}',
                        headers={**JSON_HEADERS, "Authorization": basic("alice", "secret-pw")})
    assert (response.status_code, response.body) == (204, b"")
    from chalicelib.store.models import User
    assert User.get("alice").email == "new@example.com"


def test_update_3_3_other_user_is_403_admin_may(client, http):
    register(http, "alice")
    register(http, "bobby")
    body = b'{"password": "taken-over"}'
    response = http.put("/v1/users/alice/", body=body,
                        headers={**JSON_HEADERS, "Authorization": basic("bobby", "secret-pw")})
    assert response.status_code == 403
    assert client.http.put("/v1/users/alice/", body=body, headers=JSON_HEADERS).status_code == 204
    assert login(http, "alice", "taken-over").status_code == 200


def test_update_3_3_unknown_user_by_admin_is_404(client):
    response = client.http.put("/v1/users/nobody/", body=b'{"email": "x@example.com"}',
                               headers=JSON_HEADERS)
    assert (response.status_code, error_of(response)) == (404, "User not found")


@pytest.mark.parametrize("body", [b"{}", b"nope", b'{"email": 3}', b'{"email": "bad"}',
                                  b'{"active": "yes"}'])
def test_update_3_3_bad_body_is_400(http, body):
    register(http, "alice")
    response = http.put("/v1/users/alice/", body=body,
                        headers={**JSON_HEADERS, "Authorization": basic("alice", "secret-pw")})
    assert response.status_code == 400
    assert error_of(response)


def test_update_3_3_through_the_authorizer_bad_password_is_401_none_is_401(http):
    """§3.3, §5.8: a credential that does not verify is 401 with the challenge, on a
    guarded route too (the handler checks it; docker expects 401)."""
    register(http, "alice")
    wrong = http.put("/v1/users/alice/", body=b'{"email": "x@example.com"}',
                     headers={**JSON_HEADERS, "Authorization": basic("alice", "wrong-pw")})
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"] == 'Basic realm="auth required",Token'
    assert error_of(wrong) == "Wrong login/password, please try again"
    missing = http.put("/v1/users/alice/", body=b'{"email": "x@example.com"}',
                       headers=JSON_HEADERS)
    assert missing.status_code == 401


def test_admin_fixture_is_a_working_admin(http, admin):
    assert admin == ADMIN
    assert login(http, *ADMIN).status_code == 200
