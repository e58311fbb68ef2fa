"""The OAuth API's authorization code flow (spec oauth-accounts-api §2, §3, §5.1, §5.2, §6,
§7), through the chalice test client over moto: the authorize page as a browser uses it,
the token endpoint as a client calls it, refresh, revocation, client registration.
The attacks on it are in tests/test_oauth_attacks.py, the real browser in
tests/test_oauth_browser.py."""
import json
import time

import pytest

from conftest import ADMIN, basic
from helpers import JSON_HEADERS, stored_state
from oauth_helpers import (alice_http, oauth_client,  # noqa: F401 (the http, client fixtures)
                           APPLICATIONS, AUTHORIZE, REDIRECT, Browser, Forms, authorize_query,
                           bearer, callback, exchange, pkce_pair, register_client,
                           register_user, token_request, tokens_for)

USER = "/api/v1.1/users/alice/"


def table_items(model) -> list:
    return list(model.scan())


# ---- §2.1 the authorize page: sign-in, then consent ----

def test_authorize_2_1_signs_in_then_shows_the_2014_consent_screen(http, client):
    browser = Browser(http)
    url = authorize_query(client, redirect_uri=REDIRECT, scope="profile_read email_read")
    page = browser.get(url)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    shown = Forms(page.body)
    assert shown.ids["application-name"] == "Some Cool Docker Service"
    assert "sign-in" in shown.ids and "password" in shown.ids
    consent = browser.sign_in(url, "alice")
    shown = Forms(consent.body)
    assert shown.ids["application-name"] == "Some Cool Docker Service"
    assert shown.ids["redirect-host"] == "client.example"
    assert shown.ids["username"] == "alice"
    assert consent.body.count(b'class="scope"') == 2
    assert b"See your profile info, primary email, and Gravatar email." in consent.body
    assert b"See your email addresses." in consent.body
    assert shown.ids["cancel"] == "Cancel" and shown.ids["authorize"] == "Authorize"
    assert b'href="../applications/"' in consent.body


def test_authorize_3_one_plain_line_per_requested_scope(http, client):
    consent = Browser(http).sign_in(
        authorize_query(client, scope="email_write profile_write"), "alice")
    shown = [part.split(b'"')[0] for part in consent.body.split(b'data-scope="')[1:]]
    assert shown == [b"profile_write", b"email_write"]
    assert b"Change your profile info" in consent.body and b"Add and remove your email" in \
        consent.body


def test_authorize_answers_303_with_a_code_and_the_untouched_state(http, client):
    state = "a b/c?d=é&x=%41+"
    location = Browser(http).consent(authorize_query(client, redirect_uri=REDIRECT, state=state),
                                     "alice")
    assert location.startswith(REDIRECT + "?")
    answer = callback(location)
    assert answer["state"] == state and len(answer["code"]) >= 43       # 256 bits, base64url
    assert set(answer) == {"code", "state"}


def test_authorize_redirect_uri_keeps_its_registered_query(http, aws):
    client = register_client(aws, redirect_uris=["https://client.example/cb?tenant=7"])
    location = Browser(http).consent(authorize_query(client), "alice")
    assert location.startswith("https://client.example/cb?tenant=7&code=")


def test_cancel_is_access_denied_with_the_state_and_issues_nothing(http, client, aws):
    from chalicelib.store.oauth_models import AuthorizationCode, Grant
    location = Browser(http).consent(authorize_query(client, redirect_uri=REDIRECT), "alice",
                                     decision="cancel")
    answer = callback(location)
    assert (answer["error"], answer["state"]) == ("access_denied", "abc123")
    assert "code" not in answer
    assert table_items(AuthorizationCode) == [] and table_items(Grant) == []


def test_signed_in_session_goes_straight_to_consent_for_the_next_request(http, client):
    browser = Browser(http)
    browser.consent(authorize_query(client), "alice")
    page = browser.get(authorize_query(client, state="second"))
    assert b'id="authorize"' in page.body and b'id="sign-in"' not in page.body


def test_sign_in_wrong_password_says_so_and_gives_no_session(http, client):
    browser = Browser(http)
    url = authorize_query(client)
    browser.get(url)
    response = browser.submit({"username": "alice", "password": "wrong-pw"})
    assert response.status_code == 303
    page = browser.get(response.headers["Location"])
    assert Forms(page.body).ids["flash"] == "Wrong user name or password."
    assert b'id="sign-in"' in page.body
    page = browser.get(url)                      # the message is shown once
    assert b'id="flash"' not in page.body and b'id="sign-in"' in page.body


def test_sign_in_gives_a_new_session_id(http, client):
    from chalicelib import config
    from chalicelib.oauth import sessions

    class Cookie:
        def __init__(self, value):
            self.headers = {"cookie": value}
    browser = Browser(http)
    browser.get(authorize_query(client))
    before = sessions.read(config.settings(), Cookie(browser.cookie))
    browser.sign_in(authorize_query(client), "alice")
    after = sessions.read(config.settings(), Cookie(browser.cookie))
    assert before.username is None and after.username == "alice"
    assert after.sid != before.sid               # no session fixation


def test_session_cookie_is_httponly_samesite_lax_and_secure_over_https(http, client):
    plain = http.get(authorize_query(client))
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/api/v1.1/o/" in cookie
    assert "Secure" not in cookie
    behind_tls = http.get(authorize_query(client), headers={"X-Forwarded-Proto": "https"})
    assert "; Secure" in behind_tls.headers["Set-Cookie"]


@pytest.mark.parametrize("cookie", ["oauth_session=forged.value", "oauth_session=",
                                    'oauth_session="unterminated', "other=1"])
def test_a_cookie_that_does_not_verify_is_no_session(http, client, cookie):
    page = http.get(authorize_query(client), headers={"Cookie": cookie})
    assert page.status_code == 200 and b'id="sign-in"' in page.body


def test_an_expired_session_signs_out(env, http, client):
    env.setenv("REGISTRY_OAUTH_SESSION_SECONDS", "1")
    browser = Browser(http)
    browser.sign_in(authorize_query(client), "alice")
    time.sleep(2.1)
    assert b'id="sign-in"' in browser.get(authorize_query(client)).body


# ---- §5.1 errors of the authorize request: a page for client/redirect, a redirect otherwise ----

@pytest.mark.parametrize("params, message", [
    ({"client_id": None}, b"no application"),
    ({"client_id": "unknown"}, b"no application"),
    ({"redirect_uri": "https://evil.example/callback"}, b"not one the application registered"),
])
def test_invalid_client_or_redirect_uri_is_an_error_page_never_a_redirect(http, client, params,
                                                                           message):
    response = http.get(authorize_query(client, **params))
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html") and message in response.body


def test_redirect_uri_may_be_omitted_only_when_one_is_registered(http, aws):
    single = register_client(aws, redirect_uris=[REDIRECT])
    several = register_client(aws, redirect_uris=[REDIRECT, "https://client.example/other"])
    assert callback(Browser(http).consent(authorize_query(single), "alice"))["code"]
    response = http.get(authorize_query(several))
    assert response.status_code == 400 and "Location" not in response.headers
    assert b"must name its redirect_uri" in response.body


@pytest.mark.parametrize("params, error", [
    ({"response_type": None}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"scope": "profile_read repo_write"}, "invalid_scope"),
    ({"code_challenge_method": "plain", "code_challenge": "x" * 43}, "invalid_request"),
    ({"code_challenge": "x" * 43}, "invalid_request"),                  # plain by default
    ({"code_challenge_method": "S256"}, "invalid_request"),
    ({"code_challenge_method": "S256", "code_challenge": "short"}, "invalid_request"),
])
def test_other_errors_redirect_with_error_and_the_state(http, client, params, error):
    response = http.get(authorize_query(client, redirect_uri=REDIRECT, **params))
    assert response.status_code == 302
    answer = callback(response.headers["Location"])
    assert response.headers["Location"].startswith(REDIRECT + "?")
    assert (answer["error"], answer["state"]) == (error, "abc123")
    assert answer["error_description"]


def test_a_repeated_parameter_is_invalid_request(http, client):
    response = http.get(authorize_query(client, redirect_uri=REDIRECT) + "&scope=profile_read"
                        "&scope=email_read")
    assert callback(response.headers["Location"])["error"] == "invalid_request"


def test_empty_scope_is_the_default_7_6(http, client):
    tokens = tokens_for(http, client, "alice", scope="")
    assert tokens["scope"] == "profile_read email_read"


def test_public_client_must_use_pkce(http, aws):
    public = register_client(aws, public=True)
    response = http.get(authorize_query(public, redirect_uri=REDIRECT))
    assert callback(response.headers["Location"])["error"] == "invalid_request"


# ---- §2.2 the token endpoint ----

def test_token_2_2_response_has_the_spec_fields_and_no_store(http, client):
    browser = Browser(http)
    code = callback(browser.consent(authorize_query(client, redirect_uri=REDIRECT), "alice"))["code"]
    response = exchange(http, client, code)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    tokens = json.loads(response.body)
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token", "scope",
                           "username", "user_id"}
    assert (tokens["token_type"], tokens["expires_in"], tokens["scope"], tokens["username"]) == \
        ("Bearer", 3600, "profile_read email_read", "alice")
    profile = json.loads(http.get(USER, headers=bearer(tokens["access_token"])).body)
    assert tokens["user_id"] == profile["id"] and isinstance(profile["id"], int)     # §7.18


def test_token_client_credentials_in_the_body_work_too_7_3(http, client):
    code = callback(Browser(http).consent(authorize_query(client, redirect_uri=REDIRECT),
                                          "alice"))["code"]
    response = token_request(http, client, {"grant_type": "authorization_code", "code": code,
                                            "redirect_uri": REDIRECT}, auth="body")
    assert response.status_code == 200, response.body


def test_redirect_uri_omitted_at_authorize_may_be_omitted_at_token_7_4(http, client):
    code = callback(Browser(http).consent(authorize_query(client), "alice"))["code"]
    assert exchange(http, client, code, redirect_uri=None).status_code == 200


@pytest.mark.parametrize("auth, status, error", [
    ({"Authorization": basic("nobody", "x")}, 401, "invalid_client"),
    ({}, 401, "invalid_client"),
    ({"Authorization": "Bearer abc"}, 401, "invalid_client"),
])
def test_token_without_valid_client_credentials_is_invalid_client(http, client, auth, status,
                                                                  error):
    response = http.post("/api/v1.1/o/token/", body=b"grant_type=authorization_code&code=x",
                         headers={"Content-Type": "application/x-www-form-urlencoded", **auth})
    assert response.status_code == status
    assert json.loads(response.body)["error"] == error
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.headers["Cache-Control"] == "no-store"


def test_token_wrong_secret_is_invalid_client(http, client):
    client.client_secret = "not-the-secret"
    response = token_request(http, client, {"grant_type": "authorization_code", "code": "x"})
    assert (response.status_code, json.loads(response.body)["error"]) == (401, "invalid_client")


@pytest.mark.parametrize("body, content_type, error", [
    (b'{"grant_type": "authorization_code", "code": "x"}', "application/json", "invalid_request"),
    (b"grant_type=code&code=x", None, "unsupported_grant_type"),             # §7.2
    (b"code=x", None, "invalid_request"),
    (b"grant_type=authorization_code", None, "invalid_request"),
    (b"grant_type=authorization_code&code=x&code=y", None, "invalid_request"),
    (b"grant_type=refresh_token", None, "invalid_request"),
    (b"grant_type=password&username=alice&password=secret-pw", None, "unsupported_grant_type"),
    (b"grant_type=client_credentials", None, "unsupported_grant_type"),
    (b"\xff\xfe", None, "invalid_request"),
])
def test_token_bad_requests_are_rfc_6749_5_2_errors(http, client, body, content_type, error):
    response = http.post("/api/v1.1/o/token/", body=body, headers={
        "Content-Type": content_type or "application/x-www-form-urlencoded",
        "Authorization": basic(client.client_id, client.client_secret)})
    assert response.status_code == 400
    answer = json.loads(response.body)
    assert set(answer) == {"error", "error_description"} and answer["error"] == error
    assert response.headers["Cache-Control"] == "no-store"


def test_token_path_without_its_slash_is_404_7_19(http, client):
    response = token_request(http, client, {"grant_type": "authorization_code", "code": "x"},
                             headers={})
    assert response.status_code == 400          # the real path answers
    unslashed = http.post("/api/v1.1/o/token", body=b"grant_type=authorization_code&code=x",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert unslashed.status_code == 404 and "Location" not in unslashed.headers


def test_code_expires_after_60_seconds(http, client, aws):
    from chalicelib.oauth import credentials
    from chalicelib.store.oauth_models import AuthorizationCode, TokenFamily
    code = callback(Browser(http).consent(authorize_query(client, redirect_uri=REDIRECT),
                                          "alice"))["code"]
    item = AuthorizationCode.get(credentials.digest(code))
    assert item.expires_at - item.issued_at_ms // 1000 == 60
    item.update(actions=[AuthorizationCode.expires_at.set(int(time.time()) - 1)])
    response = exchange(http, client, code)
    assert json.loads(response.body) == {"error": "invalid_grant",
                                         "error_description": "Code expired"}
    assert table_items(TokenFamily) == []


def test_pkce_s256_confidential_and_public_clients(http, aws):
    confidential = register_client(aws)
    public = register_client(aws, name="Native app", public=True)
    for client in (confidential, public):
        verifier, challenge = pkce_pair()
        code = callback(Browser(http).consent(authorize_query(
            client, redirect_uri=REDIRECT, code_challenge=challenge,
            code_challenge_method="S256"), "alice"))["code"]
        auth = "basic" if client.client_secret else "body"
        response = token_request(http, client, {
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": verifier}, auth=auth)
        assert response.status_code == 200, response.body


def test_secrets_codes_and_refresh_tokens_are_stored_only_as_hashes(http, client, aws):
    from chalicelib.oauth import credentials
    code = callback(Browser(http).consent(authorize_query(client, redirect_uri=REDIRECT),
                                          "alice"))["code"]
    tokens = json.loads(exchange(http, client, code).body)
    stored = json.dumps(stored_state(aws))
    for secret in (client.client_secret, code, tokens["refresh_token"], tokens["access_token"]):
        assert secret not in stored
    for secret in (client.client_secret, code, tokens["refresh_token"]):
        assert credentials.digest(secret) in stored


def test_access_token_lifetime_is_configurable_and_enforced(env, http, client):
    env.setenv("REGISTRY_OAUTH_ACCESS_TOKEN_SECONDS", "1")
    tokens = tokens_for(http, client, "alice")
    assert tokens["expires_in"] == 1
    assert http.get(USER, headers=bearer(tokens["access_token"])).status_code == 200
    time.sleep(2.1)
    expired = http.get(USER, headers=bearer(tokens["access_token"]))
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]


# ---- §2.3 refresh ----

def refresh(http, client, token, **extra):
    return token_request(http, client, {"grant_type": "refresh_token", "refresh_token": token,
                                        **extra})


def test_refresh_2_3_rotates_and_the_new_tokens_work(http, client):
    tokens = tokens_for(http, client, "alice")
    response = refresh(http, client, tokens["refresh_token"])
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    renewed = json.loads(response.body)
    assert renewed["refresh_token"] != tokens["refresh_token"]
    assert renewed["access_token"] != tokens["access_token"]
    assert (renewed["username"], renewed["user_id"], renewed["scope"]) == \
        ("alice", tokens["user_id"], tokens["scope"])
    assert http.get(USER, headers=bearer(renewed["access_token"])).status_code == 200
    assert refresh(http, client, renewed["refresh_token"]).status_code == 200


def test_refresh_may_narrow_the_scope_and_later_have_the_grant_back(http, client):
    tokens = tokens_for(http, client, "alice")
    narrow = json.loads(refresh(http, client, tokens["refresh_token"], scope="email_read").body)
    assert narrow["scope"] == "email_read"
    assert http.get(USER, headers=bearer(narrow["access_token"])).status_code == 403
    assert http.get(USER + "emails/", headers=bearer(narrow["access_token"])).status_code == 200
    full = json.loads(refresh(http, client, narrow["refresh_token"]).body)
    assert full["scope"] == "profile_read email_read"       # omitted: the original grant (RFC 6749 §6)


def test_refresh_token_expires_when_idle(http, client):
    from chalicelib.oauth import credentials
    from chalicelib.store.oauth_models import RefreshToken
    tokens = tokens_for(http, client, "alice")
    item = RefreshToken.get(credentials.digest(tokens["refresh_token"]))
    assert 29 * 86400 < item.expires_at - time.time() <= 30 * 86400
    item.update(actions=[RefreshToken.expires_at.set(int(time.time()) - 1)])
    response = refresh(http, client, tokens["refresh_token"])
    assert json.loads(response.body)["error"] == "invalid_grant"


def test_no_refresh_past_the_grants_absolute_lifetime(http, client):
    from chalicelib.store.oauth_models import TokenFamily
    tokens = tokens_for(http, client, "alice")
    (family,) = TokenFamily.scan()
    family.update(actions=[TokenFamily.expires_at.set(int(time.time()) - 1)])
    assert json.loads(refresh(http, client, tokens["refresh_token"]).body)["error"] == \
        "invalid_grant"
    assert http.get(USER, headers=bearer(tokens["access_token"])).status_code == 401


def test_inactive_account_gets_no_tokens_and_its_tokens_stop_7_17(http, client):
    tokens = tokens_for(http, client, "alice")
    code = callback(Browser(http).consent(authorize_query(client, redirect_uri=REDIRECT),
                                          "alice"))["code"]
    deactivate = http.put("/v1/users/alice/", body=b'{"active": false}',
                          headers={**JSON_HEADERS, "Authorization": basic(*ADMIN)})
    assert deactivate.status_code == 204
    answer = http.get(USER, headers=bearer(tokens["access_token"]))
    assert answer.status_code == 401 and 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    assert json.loads(refresh(http, client, tokens["refresh_token"]).body)["error"] == \
        "invalid_grant"
    assert json.loads(exchange(http, client, code).body)["error"] == "invalid_grant"


def test_inactive_account_cannot_consent(env, http, client):
    env.setenv("REGISTRY_NEW_ACCOUNTS_ACTIVE", "false")
    register_user(http, "carol")
    browser = Browser(http)
    page = browser.sign_in(authorize_query(client), "carol")
    assert Forms(page.body).ids["flash"] == "This account is not active."
    # signed in while active, deactivated before pressing Authorize: no code
    browser = Browser(http)
    browser.sign_in(authorize_query(client, redirect_uri=REDIRECT), "alice")
    http.put("/v1/users/alice/", body=b'{"active": false}',
             headers={**JSON_HEADERS, "Authorization": basic(*ADMIN)})
    response = browser.submit({"decision": "authorize"})
    assert response.status_code == 303 and response.headers["Location"].startswith(AUTHORIZE)
    page = browser.get(response.headers["Location"])
    assert Forms(page.body).ids["flash"] == "This account is not active."
    from chalicelib.store.oauth_models import AuthorizationCode
    assert table_items(AuthorizationCode) == []


# ---- revocation (§7.11) ----

def test_revoking_through_the_json_api_refuses_the_next_request(http, client):
    tokens = tokens_for(http, client, "alice")
    owner = {"Authorization": basic("alice", "secret-pw")}
    listing = json.loads(http.get("/api/v1.1/o/grants/", headers=owner).body)
    assert [(app["client_id"], app["name"], app["scope"]) for app in listing] == \
        [(client.client_id, "Some Cool Docker Service", "profile_read email_read")]
    assert http.get(USER, headers=bearer(tokens["access_token"])).status_code == 200
    response = http.delete(f"/api/v1.1/o/grants/{client.client_id}/", headers=owner)
    assert response.status_code == 204
    assert http.get(USER, headers=bearer(tokens["access_token"])).status_code == 401
    assert json.loads(refresh(http, client, tokens["refresh_token"]).body)["error"] == \
        "invalid_grant"
    assert json.loads(http.get("/api/v1.1/o/grants/", headers=owner).body) == []
    again = http.delete(f"/api/v1.1/o/grants/{client.client_id}/", headers=owner)
    assert again.status_code == 404


def test_a_code_issued_before_a_revocation_is_dead_after_it(http, client):
    code = callback(Browser(http).consent(authorize_query(client, redirect_uri=REDIRECT),
                                          "alice"))["code"]
    http.delete(f"/api/v1.1/o/grants/{client.client_id}/",
                headers={"Authorization": basic("alice", "secret-pw")})
    response = exchange(http, client, code)
    assert json.loads(response.body) == {
        "error": "invalid_grant", "error_description": "The user revoked the application's access"}


def test_applications_page_lists_and_revokes_with_its_form(http, client):
    browser = Browser(http)
    tokens = tokens_for(http, client, "alice", browser=browser)
    page = browser.get(APPLICATIONS)
    assert b"Some Cool Docker Service" in page.body and b"See your email addresses." in page.body
    response = browser.submit({})
    assert response.status_code == 303 and response.headers["Location"] == APPLICATIONS
    page = browser.get(APPLICATIONS)
    assert Forms(page.body).ids["flash"] == "Access of Some Cool Docker Service revoked."
    assert b"You have not authorized any application." in page.body
    assert http.get(USER, headers=bearer(tokens["access_token"])).status_code == 401


def test_applications_page_asks_to_sign_in_first(http, client):
    browser = Browser(http)
    page = browser.get(APPLICATIONS)
    assert b'id="sign-in"' in page.body
    response = browser.submit({"username": "alice", "password": "secret-pw"})
    assert response.status_code == 303 and response.headers["Location"] == APPLICATIONS
    assert b"You have not authorized any application." in browser.get(APPLICATIONS).body


def test_reauthorizing_keeps_the_earlier_tokens_7_12(http, client):
    first = tokens_for(http, client, "alice")
    second = tokens_for(http, client, "alice", scope="profile_write")
    for tokens in (first, second):
        assert http.get(USER + "emails/", headers=bearer(tokens["access_token"])).status_code == \
            (200 if tokens is first else 403)
    owner = {"Authorization": basic("alice", "secret-pw")}
    (listed,) = json.loads(http.get("/api/v1.1/o/grants/", headers=owner).body)
    assert listed["scope"] == "profile_read profile_write email_read"


# ---- registering an application over the API ----

def test_admin_registers_an_application_and_it_works(http, aws):
    from chalicelib.oauth import credentials
    from chalicelib.store.oauth_models import OAuthClient
    body = json.dumps({"name": "Cool Service", "redirect_uris": [REDIRECT]}).encode()
    response = http.post("/api/v1.1/o/clients/", body=body,
                         headers={**JSON_HEADERS, "Authorization": basic(*ADMIN)})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    registered = json.loads(response.body)
    assert registered["redirect_uris"] == [REDIRECT] and registered["public"] is False
    stored = OAuthClient.get(registered["client_id"])
    assert stored.secret_hash == credentials.digest(registered["client_secret"])
    from oauth_helpers import RegisteredClient
    client = RegisteredClient(registered["client_id"], registered["client_secret"], [REDIRECT])
    assert tokens_for(http, client, "alice")["username"] == "alice"


def test_only_an_admin_registers_applications(http):
    body = json.dumps({"name": "Cool Service", "redirect_uris": [REDIRECT]}).encode()
    response = http.post("/api/v1.1/o/clients/", body=body,
                         headers={**JSON_HEADERS, "Authorization": basic("alice", "secret-pw")})
    assert response.status_code == 403


@pytest.mark.parametrize("uris", [
    [], ["http://client.example/cb"], ["https://client.example/cb#frag"], ["/relative"],
    ["https://user:pw@client.example/cb"], ["http://localhost:8080/cb"], ["ftp://x.example/"],
    ["https://client.example/c b"], "https://client.example/cb", [5], ["https://"],
    ["http://127.0.0.1:99999/cb"],
])
def test_registration_refuses_redirect_uris_outside_the_rules(http, aws, uris):
    before = stored_state(aws)
    response = http.post("/api/v1.1/o/clients/",
                         body=json.dumps({"name": "X", "redirect_uris": uris}).encode(),
                         headers={**JSON_HEADERS, "Authorization": basic(*ADMIN)})
    assert response.status_code == 400 and json.loads(response.body)["error"]
    assert stored_state(aws) == before


@pytest.mark.parametrize("uri", ["http://127.0.0.1:8123/cb", "http://[::1]:8123/cb",
                                 "https://client.example/cb?x=1", "https://client.example:8443/"])
def test_registration_accepts_https_and_loopback_http(aws, uri):
    from chalicelib.oauth import clients
    client, secret = clients.register("X", [uri])
    assert client.redirect_uris == [uri] and secret
