"""Attacks on the OAuth API, each refused with the right error and nothing issued (spec
oauth-accounts-api §6; RFC 6749 §10, RFC 6819, RFC 9700): redirect URIs altered, prefixed or
unregistered; codes replayed, stolen by another client or redeemed with another redirect
URI; PKCE mismatch and downgrade; refresh token reuse and scope widening; consent without or
with another session's CSRF token; framing; brute force on the sign-in form; secrets in logs."""
import json
import logging

import pytest

from conftest import basic
from helpers import from_source, stored_state
from oauth_helpers import (alice_http, oauth_client,  # noqa: F401 (the http, client fixtures)
                           APPLICATIONS, AUTHORIZE, PASSWORD, REDIRECT, Browser, Forms,
                           authorize_query, bearer, callback, exchange, pkce_pair,
                           register_client, register_user, token_request, tokens_for)

USER = "/api/v1.1/users/alice/"


def issued(aws) -> dict:
    """Every code, family and refresh token stored (what a refused request must not add)."""
    from chalicelib.store.oauth_models import AuthorizationCode, RefreshToken, TokenFamily
    return {model.__name__: sorted(json.dumps(item.serialize(), sort_keys=True)
                                   for item in model.scan())
            for model in (AuthorizationCode, TokenFamily, RefreshToken)}


def oauth_error(response) -> str:
    assert response.headers["Cache-Control"] == "no-store"
    return json.loads(response.body)["error"]


def code_for(http, client, **params) -> str:
    url = authorize_query(client, redirect_uri=REDIRECT, **params)
    return callback(Browser(http).consent(url, "alice"))["code"]


# ---- redirect URIs: exact match only, never a redirect to an unregistered one ----

ALTERED = [
    "https://evil.example/callback",                 # unregistered host
    "https://client.example/callback/",              # one more character
    "https://client.example/callbackx",
    "https://client.example/",                       # a prefix of the registered one
    "https://client.example/callback?next=https://evil.example",
    "https://client.example/callback#x",
    "https://client.example/callback/../evil",
    "http://client.example/callback",                # downgraded scheme
    "https://CLIENT.example/callback",               # not byte-equal
    "https://client.example.evil.example/callback",
    "https://client.example:443/callback",
]


@pytest.mark.parametrize("redirect_uri", ALTERED)
def test_altered_redirect_uri_is_an_error_page_and_never_a_redirect(http, client, aws,
                                                                     redirect_uri):
    browser = Browser(http)
    browser.sign_in(authorize_query(client, redirect_uri=REDIRECT), "alice")
    before = stored_state(aws)
    response = browser.get(authorize_query(client, redirect_uri=redirect_uri))
    assert response.status_code == 400 and "Location" not in response.headers
    assert b"not one the application registered" in response.body
    # the consent form posted back with the altered URI (its CSRF token is for the right one)
    browser.get(authorize_query(client, redirect_uri=REDIRECT))
    fields = {**Forms(browser.page.body).forms[0], "redirect_uri": redirect_uri}
    posted = browser.submit({"decision": "authorize"}, fields=fields)
    assert posted.status_code == 400 and "Location" not in posted.headers
    assert stored_state(aws) == before


def test_altered_redirect_uri_even_with_an_invalid_scope_is_never_a_redirect(http, client):
    response = http.get(authorize_query(client, redirect_uri="https://evil.example/callback",
                                        scope="nonsense", response_type="token"))
    assert response.status_code == 400 and "Location" not in response.headers


def test_token_with_another_redirect_uri_is_invalid_grant_and_issues_nothing(http, client, aws):
    code = code_for(http, client)
    before = issued(aws)
    for redirect_uri in ("https://client.example/callback/", "https://evil.example/callback",
                         None):
        response = exchange(http, client, code, redirect_uri=redirect_uri)
        assert (response.status_code, oauth_error(response)) == (400, "invalid_grant")
    assert issued(aws) == before
    assert exchange(http, client, code).status_code == 200     # the right one still can


# ---- codes: single use, bound to their client ----

def test_a_replayed_code_is_refused_and_revokes_the_tokens_it_gave(http, client, aws):
    code = code_for(http, client)
    tokens = json.loads(exchange(http, client, code).body)
    assert http.get(USER, headers=bearer(tokens["access_token"])).status_code == 200
    replay = exchange(http, client, code)
    assert (replay.status_code, oauth_error(replay)) == (400, "invalid_grant")
    assert "revoked" in json.loads(replay.body)["error_description"]
    from chalicelib.store.oauth_models import TokenFamily
    assert list(TokenFamily.scan()) == []                     # nothing issued, the family gone
    assert http.get(USER, headers=bearer(tokens["access_token"])).status_code == 401
    response = token_request(http, client, {"grant_type": "refresh_token",
                                            "refresh_token": tokens["refresh_token"]})
    assert oauth_error(response) == "invalid_grant"


def test_two_racing_redemptions_of_one_code_leave_no_tokens(http, client, aws):
    """Both requests read the code unspent; the one whose transaction loses is a replay."""
    from chalicelib.oauth import clients, codes, grants
    code = code_for(http, client)
    registered = clients.find(client.client_id)
    first = codes.presented(registered, code, REDIRECT, None)
    second = codes.presented(registered, code, REDIRECT, None)      # read before the first wins
    issued_first = codes.redeem(aws, first)
    with pytest.raises(grants.InvalidGrant, match="Code already used"):
        codes.redeem(aws, second)
    from chalicelib.store.oauth_models import TokenFamily
    assert list(TokenFamily.scan()) == []
    assert issued_first.family_id


def test_two_racing_refreshes_of_one_token_revoke_the_family(http, client, aws):
    from chalicelib.oauth import clients, grants
    tokens = tokens_for(http, client, "alice")
    registered = clients.find(client.client_id)
    first = grants.refresh_token(registered, tokens["refresh_token"])
    second = grants.refresh_token(registered, tokens["refresh_token"])
    winner = grants.rotate(aws, first, None)
    with pytest.raises(grants.InvalidGrant, match="already used"):
        grants.rotate(aws, second, None)
    assert oauth_error(refresh(http, client, winner.refresh_token)) == "invalid_grant"
    assert http.get(USER, headers=bearer(tokens["access_token"])).status_code == 401


def test_a_code_redeemed_by_another_client_is_refused_and_issues_nothing(http, client, aws):
    other = register_client(aws, name="Another app")
    code = code_for(http, client)
    before = issued(aws)
    for auth in ("basic", "body"):
        response = token_request(http, other, {"grant_type": "authorization_code", "code": code,
                                               "redirect_uri": REDIRECT}, auth=auth)
        assert (response.status_code, oauth_error(response)) == (400, "invalid_grant")
    assert issued(aws) == before


def test_a_code_cannot_be_redeemed_with_its_client_id_but_without_the_secret(http, client, aws):
    code = code_for(http, client)
    before = issued(aws)
    response = http.post("/api/v1.1/o/token/", body=(
        f"grant_type=authorization_code&code={code}&redirect_uri={REDIRECT}"
        f"&client_id={client.client_id}").encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (response.status_code, oauth_error(response)) == (401, "invalid_client")
    assert issued(aws) == before


def test_client_authentication_by_basic_and_body_at_once_is_refused(http, client, aws):
    code = code_for(http, client)
    before = issued(aws)
    response = token_request(http, client, {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": client.client_id, "client_secret": client.client_secret})
    assert (response.status_code, oauth_error(response)) == (400, "invalid_request")
    assert issued(aws) == before


def test_guessed_codes_are_invalid_grant(http, client):
    for guess in ("YXV0aG9yaXphdGlvbl9jb2Rl", "x" * 43, "'; DROP TABLE --"):
        response = exchange(http, client, guess)
        assert oauth_error(response) == "invalid_grant"


# ---- PKCE ----

def test_pkce_mismatch_is_invalid_grant_and_issues_nothing(http, client, aws):
    verifier, challenge = pkce_pair()
    code = code_for(http, client, code_challenge=challenge, code_challenge_method="S256")
    before = issued(aws)
    for wrong in (pkce_pair()[0], verifier[:-1], verifier + "a", challenge, None):
        extra = {"code_verifier": wrong} if wrong else {}
        response = exchange(http, client, code, **extra)
        assert (response.status_code, oauth_error(response)) == (400, "invalid_grant")
    assert issued(aws) == before
    assert exchange(http, client, code, code_verifier=verifier).status_code == 200


def test_pkce_downgrade_a_verifier_for_a_code_without_challenge_is_refused(http, client, aws):
    code = code_for(http, client)
    before = issued(aws)
    response = exchange(http, client, code, code_verifier=pkce_pair()[0])
    assert (response.status_code, oauth_error(response)) == (400, "invalid_grant")
    assert issued(aws) == before


def test_pkce_plain_is_refused_at_authorize(http, client, aws):
    verifier = pkce_pair()[0]
    before = stored_state(aws)
    response = http.get(authorize_query(client, redirect_uri=REDIRECT, code_challenge=verifier[:43],
                                        code_challenge_method="plain"))
    answer = callback(response.headers["Location"])
    assert (answer["error"], answer["state"]) == ("invalid_request", "abc123")
    assert stored_state(aws) == before


def test_public_client_without_pkce_gets_no_code(http, aws):
    public = register_client(aws, public=True)
    before = stored_state(aws)
    response = http.get(authorize_query(public, redirect_uri=REDIRECT))
    assert callback(response.headers["Location"])["error"] == "invalid_request"
    assert stored_state(aws) == before


# ---- refresh tokens ----

def refresh(http, client, token, **extra):
    return token_request(http, client, {"grant_type": "refresh_token", "refresh_token": token,
                                        **extra})


def test_refresh_token_reuse_revokes_the_whole_family(http, client, aws):
    tokens = tokens_for(http, client, "alice")
    renewed = json.loads(refresh(http, client, tokens["refresh_token"]).body)
    before = issued(aws)
    reuse = refresh(http, client, tokens["refresh_token"])
    assert (reuse.status_code, oauth_error(reuse)) == (400, "invalid_grant")
    from chalicelib.store.oauth_models import RefreshToken, TokenFamily
    assert list(TokenFamily.scan()) == []
    assert len(list(RefreshToken.scan())) == len(before["RefreshToken"])      # none new
    # the thief's (or the client's) newer tokens die with it
    assert oauth_error(refresh(http, client, renewed["refresh_token"])) == "invalid_grant"
    for access in (tokens["access_token"], renewed["access_token"]):
        assert http.get(USER, headers=bearer(access)).status_code == 401


def test_another_family_of_the_same_user_survives_a_reuse(http, client):
    victim = tokens_for(http, client, "alice")
    other = tokens_for(http, client, "alice")
    refresh(http, client, victim["refresh_token"])
    refresh(http, client, victim["refresh_token"])               # reuse: victim's family ends
    assert http.get(USER, headers=bearer(other["access_token"])).status_code == 200
    assert refresh(http, client, other["refresh_token"]).status_code == 200


def test_refresh_token_of_another_client_is_refused(http, client, aws):
    other = register_client(aws, name="Another app")
    tokens = tokens_for(http, client, "alice")
    before = issued(aws)
    response = refresh(http, other, tokens["refresh_token"])
    assert (response.status_code, oauth_error(response)) == (400, "invalid_grant")
    assert issued(aws) == before


@pytest.mark.parametrize("scope, error", [("profile_read email_read profile_write", "invalid_scope"),
                                          ("email_write", "invalid_scope"),
                                          ("repo_write", "invalid_scope")])
def test_refresh_cannot_widen_the_scope(http, client, aws, scope, error):
    tokens = tokens_for(http, client, "alice")
    before = issued(aws)
    response = refresh(http, client, tokens["refresh_token"], scope=scope)
    assert (response.status_code, oauth_error(response)) == (400, error)
    assert issued(aws) == before
    assert refresh(http, client, tokens["refresh_token"]).status_code == 200   # not spent


def test_an_access_token_is_not_a_refresh_token_nor_a_docker_token(http, client):
    tokens = tokens_for(http, client, "alice")
    assert oauth_error(refresh(http, client, tokens["access_token"])) == "invalid_grant"
    for path in ("/v1/users/", "/v1/repositories/alice/app/images"):
        response = http.get(path, headers=bearer(tokens["access_token"]))
        assert response.status_code == 401


def test_a_forged_access_token_is_refused(http, client):
    import base64
    tokens = tokens_for(http, client, "alice")
    payload, signature = tokens["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["s"] = "profile_read profile_write email_read email_write"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = http.patch(USER, body=b'{"location": "x"}',
                          headers={**bearer(f"{forged}.{signature}"),
                                   "Content-Type": "application/json"})
    assert response.status_code == 401


# ---- the consent form: CSRF and framing ----

def consent_page(http, client, username="alice") -> Browser:
    browser = Browser(http)
    browser.sign_in(authorize_query(client, redirect_uri=REDIRECT), username)
    assert b'id="authorize"' in browser.page.body
    return browser


@pytest.mark.parametrize("tamper", ["no token", "empty token", "another session's token",
                                    "the sign-in form's token", "a widened scope",
                                    "another state", "no cookie"])
def test_consent_post_without_its_csrf_token_is_refused_and_issues_nothing(http, client, aws,
                                                                            tamper):
    register_user(http, "bobby")
    browser = consent_page(http, client)
    fields = Forms(browser.page.body).forms[0]
    if tamper == "no token":
        del fields["csrf"]
    elif tamper == "empty token":
        fields["csrf"] = ""
    elif tamper == "another session's token":
        fields["csrf"] = Forms(consent_page(http, client, "bobby").page.body).forms[0]["csrf"]
    elif tamper == "the sign-in form's token":
        fields["csrf"] = Forms(Browser(http).get(
            authorize_query(client, redirect_uri=REDIRECT)).body).forms[0]["csrf"]
    elif tamper == "a widened scope":
        fields["scope"] = "profile_read email_read email_write"
    elif tamper == "another state":
        fields["state"] = "attacker"
    elif tamper == "no cookie":
        browser.cookie = None
    before = stored_state(aws)
    response = browser.submit({"decision": "authorize"}, fields=fields)
    assert response.status_code == 403 and "Location" not in response.headers
    assert b"expired or did not come from this site" in response.body
    assert stored_state(aws) == before


def test_a_forged_cross_site_consent_post_without_cookie_or_token_is_refused(http, client, aws):
    before = stored_state(aws)
    body = (f"client_id={client.client_id}&response_type=code&redirect_uri={REDIRECT}"
            "&form=consent&decision=authorize").encode()
    response = http.post(AUTHORIZE, body=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 403 and "Location" not in response.headers
    assert stored_state(aws) == before


def test_revoke_post_without_its_csrf_token_is_refused(http, client, aws):
    browser = Browser(http)
    tokens = tokens_for(http, client, "alice", browser=browser)
    browser.get(APPLICATIONS)
    fields = Forms(browser.page.body).forms[0]
    before = stored_state(aws)
    for csrf in ("", "forged"):
        response = browser.submit({}, fields={**fields, "csrf": csrf})
        assert response.status_code == 403
    response = browser.submit({}, fields={**fields, "client_id": "another-client"})
    assert response.status_code == 403
    assert stored_state(aws) == before
    assert http.get(USER, headers=bearer(tokens["access_token"])).status_code == 200


FRAMING = {"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
           "Cache-Control": "no-store"}


def test_no_page_can_be_framed_or_leak_its_url(http, client):
    browser = Browser(http)
    pages = {"sign-in": browser.get(authorize_query(client, redirect_uri=REDIRECT))}
    pages["consent"] = browser.sign_in(authorize_query(client, redirect_uri=REDIRECT), "alice")
    pages["error"] = browser.get(authorize_query(client, redirect_uri="https://evil.example/"))
    pages["applications"] = browser.get(APPLICATIONS)
    browser.get(authorize_query(client, redirect_uri=REDIRECT))
    pages["after consent"] = browser.submit({"decision": "cancel"})
    pages["error redirect"] = browser.get(authorize_query(client, redirect_uri=REDIRECT,
                                                          response_type="token"))
    for name, response in pages.items():
        for header, value in FRAMING.items():
            assert response.headers.get(header) == value, (name, header)
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy, name
    assert pages["after consent"].status_code == 303          # never 307 after a POST
    assert pages["error redirect"].status_code == 302


# ---- brute force on the sign-in form: the throttle of docker login ----

def test_sign_in_form_brute_force_is_throttled_like_docker_login(env, http, client, aws):
    env.setenv("REGISTRY_LOGIN_MAX_FAILURES", "3")
    browser = Browser(http)
    url = authorize_query(client)
    for guess in range(3):
        browser.get(url)
        response = browser.submit({"username": "alice", "password": f"guess-{guess}"})
        message = Forms(browser.get(response.headers["Location"]).body).ids["flash"]
        assert message == "Wrong user name or password."
    browser.get(url)
    response = browser.submit({"username": "alice", "password": PASSWORD})   # even the right one
    page = browser.get(response.headers["Location"])
    assert Forms(page.body).ids["flash"].startswith("Too many failed sign-ins. Try again in")
    assert b'id="sign-in"' in page.body and b'id="authorize"' not in page.body
    from chalicelib.store.models import LoginFailure
    assert LoginFailure.get("user:alice").failures == 3
    # the same counter as docker login's: it is locked out there too
    assert http.get("/v1/users/", headers={"Authorization": basic("alice", PASSWORD)}
                    ).status_code == 429


def test_sign_in_form_is_throttled_per_source_address(env, anonymous_client, admin, aws,
                                                      monkeypatch):
    env.setenv("REGISTRY_LOGIN_MAX_FAILURES_PER_SOURCE", "4")
    from_source(monkeypatch, "203.0.113.9")
    http = anonymous_client.http
    client = register_client(aws)
    browser = Browser(http)
    messages = []
    for number in range(5):
        browser.get(authorize_query(client))
        response = browser.submit({"username": f"user{number}", "password": "guess"})
        messages.append(Forms(browser.get(response.headers["Location"]).body).ids["flash"])
    assert messages[:4] == ["Wrong user name or password."] * 4
    assert messages[4].startswith("Too many failed sign-ins")


# ---- no secret in the logs ----

def test_no_secret_code_or_token_reaches_the_logs(http, client, aws, caplog):
    caplog.set_level(logging.DEBUG)
    verifier, challenge = pkce_pair()
    browser = Browser(http)
    code = callback(browser.consent(authorize_query(
        client, redirect_uri=REDIRECT, code_challenge=challenge, code_challenge_method="S256"),
        "alice"))["code"]
    tokens = json.loads(exchange(http, client, code, code_verifier=verifier).body)
    renewed = json.loads(refresh(http, client, tokens["refresh_token"]).body)
    http.get(USER, headers=bearer(renewed["access_token"]))
    refresh(http, client, tokens["refresh_token"])           # a reuse: logged refusals too
    exchange(http, client, code, code_verifier=verifier)     # a replay
    http.get(USER, headers=bearer(renewed["access_token"]))
    secrets = {"client secret": client.client_secret, "code": code, "verifier": verifier,
               "access token": tokens["access_token"], "refresh token": tokens["refresh_token"],
               "new access token": renewed["access_token"],
               "new refresh token": renewed["refresh_token"], "password": PASSWORD,
               "session cookie": browser.cookie.split("=", 1)[1]}
    logged = caplog.text
    assert len(caplog.records) > 10                           # botocore's debug lines at least
    assert [name for name, value in secrets.items() if value in logged] == []


def test_signed_values_of_another_shape_are_no_session_and_no_token(http, client, aws):
    """A signature that holds over a payload this version does not read (a key shared with
    an older or newer release) is refused, not a 500."""
    from chalicelib.auth import bearer as access_tokens, signed
    from chalicelib.oauth import sessions
    odd_session = signed.sign(aws, sessions.PURPOSE, b'{"sid": "x", "admin": true}')
    page = http.get(authorize_query(client), headers={"Cookie": f"oauth_session={odd_session}"})
    assert page.status_code == 200 and b'id="sign-in"' in page.body
    for payload in (b'{"u": "alice"}', b"[1]", b"not json",
                    b'{"u": 1, "f": 2, "c": 3, "s": 4, "e": 5}'):
        odd_token = signed.sign(aws, access_tokens.PURPOSE, payload)
        assert http.get(USER, headers=bearer(odd_token)).status_code == 401
