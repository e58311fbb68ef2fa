"""The Accounts API (spec oauth-accounts-api §4, §5.3, §7.8, §7.13–§7.19): the user object,
its partial PATCH, the e-mail addresses, for the account itself only (its password, or a
Bearer token with the endpoint's scope); the v1 `PUT /v1/users/<name>/` agreeing on the
primary address. Through the chalice test client over moto."""
import json
import re

import pytest

from conftest import ADMIN, basic
from helpers import JSON_HEADERS, stored_state
from oauth_helpers import bearer, register_client, register_user, tokens_for

USER = "/api/v1.1/users/alice/"
EMAILS = USER + "emails/"
ALICE = {"Authorization": basic("alice", "secret-pw")}
BOBBY = {"Authorization": basic("bobby", "secret-pw")}
ALL_SCOPES = "profile_read profile_write email_read email_write"


@pytest.fixture
def http(anonymous_client, admin):
    register_user(anonymous_client.http, "alice", "alice@example.com")
    register_user(anonymous_client.http, "bobby", "bobby@example.com")
    return anonymous_client.http


@pytest.fixture
def client(http, aws):
    return register_client(aws)


def body_of(response):
    return json.loads(response.body)


def patch(http, changes, headers=ALICE, raw=None, content_type="application/json"):
    return http.patch(USER, body=raw if raw is not None else json.dumps(changes).encode(),
                      headers={**headers, "Content-Type": content_type})


def post_email(http, address, headers=ALICE, username="alice"):
    return http.post(f"/api/v1.1/users/{username}/emails/",
                     body=json.dumps({"email": address}).encode(),
                     headers={**headers, **JSON_HEADERS})


def delete_email(http, address, headers=ALICE):
    return http.delete(EMAILS, body=json.dumps({"email": address}).encode(),
                       headers={**headers, **JSON_HEADERS})


def addresses(http, headers=ALICE, path=EMAILS):
    response = http.get(path, headers=headers)
    assert response.status_code == 200, response.body
    return [(item["email"], item["primary"]) for item in body_of(response)]


# ---- §4.1, §4.2 the user object ----

def test_get_user_4_2_has_every_field_of_the_spec(http):
    response = http.get(USER, headers={**ALICE, "Host": "registry.example.com",
                                       "X-Forwarded-Proto": "https"})
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    user = body_of(response)
    assert set(user) == {"id", "username", "url", "date_joined", "type", "full_name", "location",
                         "company", "profile_url", "gravatar_url", "email", "is_active"}
    assert isinstance(user["id"], int) and user["id"] > 0
    assert user["username"] == "alice" and user["type"] == "User" and user["is_active"] is True
    assert user["url"] == "https://registry.example.com/api/v1.1/users/alice/"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", user["date_joined"])
    assert user["email"] == "alice@example.com"
    assert user["gravatar_url"] == ("https://secure.gravatar.com/avatar/"
                                    "c160f8cc69a4f0bf2b0362752353d060.jpg?s=80&r=g&d=mm")
    assert (user["full_name"], user["location"], user["company"], user["profile_url"]) == \
        ("", "", "", "")


def test_user_id_is_stable_unique_and_the_token_responses_user_id(http, client):
    first = body_of(http.get(USER, headers=ALICE))["id"]
    assert body_of(http.get(USER, headers=ALICE))["id"] == first
    bobby = body_of(http.get("/api/v1.1/users/bobby/", headers=BOBBY))["id"]
    assert bobby != first
    assert tokens_for(http, client, "alice")["user_id"] == first
    from chalicelib.store.models import User
    assert User.get("alice").user_id == first


# ---- §4.0, §7.8 who may: the account itself, 401 before 403, nothing revealed ----

def test_no_credentials_is_401_with_a_bearer_challenge(http):
    response = http.get(USER)
    assert response.status_code == 401 and body_of(response)["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_wrong_password_is_401(http):
    response = http.get(USER, headers={"Authorization": basic("alice", "wrong-pw")})
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/api/v1.1/users/bobby/", "/api/v1.1/users/nobody/",
                                  "/api/v1.1/users/bobby/emails/", "/api/v1.1/users/nobody/emails/",
                                  "/api/v1.1/users/No%20Such!/"])
def test_another_accounts_name_is_403_whether_it_exists_or_not(http, path):
    response = http.get(path, headers=ALICE)
    assert (response.status_code, body_of(response)) == \
        (403, {"error": "Only the account's owner may use this"})


def test_an_admin_has_no_access_to_other_accounts(http):
    assert http.get(USER, headers={"Authorization": basic(*ADMIN)}).status_code == 403


@pytest.mark.parametrize("path", ["/api/v1.1/users/alice", "/api/v1.1/users/alice/emails"])
def test_only_the_slash_terminated_paths_are_served_7_19(http, path):
    response = http.get(path, headers=ALICE)
    assert response.status_code == 404 and "Location" not in response.headers


def test_bearer_scheme_is_case_insensitive(http, client):
    token = tokens_for(http, client, "alice")["access_token"]
    assert http.get(USER, headers={"Authorization": f"bearer {token}"}).status_code == 200


@pytest.mark.parametrize("method, path, scope", [
    ("GET", USER, "profile_read"), ("PATCH", USER, "profile_write"),
    ("GET", EMAILS, "email_read"), ("POST", EMAILS, "email_write"),
    ("DELETE", EMAILS, "email_write")])
def test_each_endpoint_needs_its_own_scope_and_write_does_not_imply_read(http, client, aws,
                                                                        method, path, scope):
    others = " ".join(name for name in ALL_SCOPES.split() if name != scope)
    token = tokens_for(http, client, "alice", scope=others)["access_token"]
    body = {"PATCH": b'{"location": "x"}', "POST": b'{"email": "a2@example.com"}',
            "DELETE": b'{"email": "a2@example.com"}'}.get(method, b"")
    before = stored_state(aws)
    response = http.request(method, path, body=body, headers={**bearer(token), **JSON_HEADERS})
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == \
        f'Bearer realm="docker.io", error="insufficient_scope", scope="{scope}"'
    assert stored_state(aws) == before


def test_a_token_for_alice_is_403_on_bobbys_account(http, client):
    token = tokens_for(http, client, "alice", scope=ALL_SCOPES)["access_token"]
    assert http.get("/api/v1.1/users/bobby/", headers=bearer(token)).status_code == 403
    assert http.get("/api/v1.1/users/nobody/", headers=bearer(token)).status_code == 403


@pytest.mark.parametrize("authorization", ["Bearer ", "Bearer not.a-token", "Bearer x.y.z",
                                           "Token signature=x", "Digest abc", "Basic !!!"])
def test_unusable_credentials_are_401(http, authorization):
    assert http.get(USER, headers={"Authorization": authorization}).status_code == 401


def test_inactive_account_basic_is_403_as_for_docker_login(http):
    http.put("/v1/users/alice/", body=b'{"active": false}',
             headers={**JSON_HEADERS, "Authorization": basic(*ADMIN)})
    response = http.get(USER, headers=ALICE)
    assert (response.status_code, body_of(response)) == (403, {"error": "Account is not Active"})


# ---- §4.3, §7.13 PATCH ----

def test_patch_4_3_changes_only_the_fields_sent(http):
    first = patch(http, {"full_name": "Jane Doe"})
    assert first.status_code == 200 and body_of(first)["full_name"] == "Jane Doe"
    response = patch(http, {"location": "Private Island", "profile_url": "http://janedoe.com/",
                            "company": "Retired"})
    assert response.status_code == 200
    user = body_of(response)
    assert (user["full_name"], user["location"], user["company"], user["profile_url"]) == \
        ("Jane Doe", "Private Island", "Retired", "http://janedoe.com/")
    assert body_of(http.get(USER, headers=ALICE)) == user         # read back
    from chalicelib.store.models import User
    assert User.get("alice").company == "Retired"


def test_patch_empty_string_clears_a_field(http):
    patch(http, {"company": "Retired"})
    user = body_of(patch(http, {"company": ""}))
    assert user["company"] == ""
    from chalicelib.store.models import User
    assert User.get("alice").company is None


def test_patch_gravatar_email_is_input_only_and_sets_gravatar_url(http):
    user = body_of(patch(http, {"gravatar_email": "Jane@Example.com "[:-1]}))
    assert "gravatar_email" not in user
    assert user["gravatar_url"].startswith(
        "https://secure.gravatar.com/avatar/9e26471d35a78862c17e467d87cddedf.jpg")


def test_patch_form_encoded_body_works_too_4_0(http):
    response = patch(http, None, raw=b"location=Berlin&company=ACME",
                     content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and body_of(response)["location"] == "Berlin"


@pytest.mark.parametrize("changes, message", [
    ({"nickname": "x"}, "Unknown field: nickname"),
    ({"email": "new@example.com"}, "Read-only field: email"),
    ({"id": 5}, "Read-only field: id"),
    ({"username": "mallory"}, "Read-only field: username"),
    ({"is_active": False}, "Read-only field: is_active"),
    ({"gravatar_url": "https://x.example/"}, "Read-only field: gravatar_url"),
    ({"location": None}, 'location may not be null (send "" to clear it)'),
    ({"location": 5}, "location must be a string of at most 255 characters"),
    ({"location": "x" * 256}, "location must be a string of at most 255 characters"),
    ({"profile_url": "javascript:alert(1)"}, "profile_url must be an http:// or https:// URL"),
    ({"profile_url": "ftp://janedoe.com/"}, "profile_url must be an http:// or https:// URL"),
    ({"profile_url": "janedoe.com"}, "profile_url must be an http:// or https:// URL"),
    ({"gravatar_email": "not-an-address"}, "gravatar_email must be an e-mail address"),
    ({"company": "ok", "type": "Organization"}, "Read-only field: type"),
])
def test_patch_7_13_invalid_changes_are_400_and_change_nothing(http, aws, changes, message):
    http.get(USER, headers=ALICE)                  # the id is given on first use, not here
    before = stored_state(aws)
    response = patch(http, changes)
    assert (response.status_code, body_of(response)) == (400, {"error": message})
    assert stored_state(aws) == before


@pytest.mark.parametrize("raw, content_type", [(b"{", "application/json"), (b"[]", "application/json"),
                                               (b'"x"', "application/json"),
                                               (b"a=1&a=2", "application/x-www-form-urlencoded"),
                                               (b"\xff", "application/x-www-form-urlencoded")])
def test_patch_malformed_body_is_400(http, raw, content_type):
    response = patch(http, None, raw=raw, content_type=content_type)
    assert response.status_code == 400 and body_of(response)["error"]


# ---- §4.4–§4.8, §7.14–§7.16 e-mail addresses ----

def test_emails_4_5_list_the_primary_address(http):
    response = http.get(EMAILS, headers=ALICE)
    assert body_of(response) == [{"email": "alice@example.com", "verified": False,
                                  "primary": True}]


def test_emails_4_6_add_is_201_unverified_not_primary_and_listed(http):
    response = post_email(http, "jane.doe+other@example.com")
    assert (response.status_code, body_of(response)) == (201, {
        "email": "jane.doe+other@example.com", "verified": False, "primary": False})
    assert addresses(http) == [("alice@example.com", True), ("jane.doe+other@example.com", False)]


def test_emails_are_unique_across_accounts_case_insensitively_same_words_7_14(http, aws):
    assert post_email(http, "shared@example.com").status_code == 201
    before = stored_state(aws)
    answers = [post_email(http, "SHARED@example.com"),                           # own, other case
               post_email(http, "Shared@Example.COM", headers=BOBBY, username="bobby"),
               post_email(http, "ALICE@example.com")]                            # own primary
    assert [(a.status_code, body_of(a)) for a in answers] == \
        [(400, {"error": "E-mail address already in use"})] * 3
    assert stored_state(aws) == before


def test_emails_add_refuses_what_is_not_an_address(http, aws):
    before = stored_state(aws)
    for value in ("not-an-address", "", "a@b", "x" * 250 + "@example.com"):
        assert post_email(http, value).status_code == 400
    response = http.post(EMAILS, body=b'{"email": 5}', headers={**ALICE, **JSON_HEADERS})
    assert response.status_code == 400
    assert stored_state(aws) == before


def test_emails_4_8_delete_by_body_or_query_then_free_for_others(http):
    post_email(http, "first@example.com")
    post_email(http, "second@example.com")
    response = delete_email(http, "FIRST@example.com")
    assert (response.status_code, response.body) == (204, b"")
    response = http.delete(EMAILS + "?email=second%40example.com", headers=ALICE)
    assert response.status_code == 204
    assert addresses(http) == [("alice@example.com", True)]
    assert post_email(http, "first@example.com", headers=BOBBY, username="bobby").status_code == 201


def test_emails_the_primary_address_cannot_be_deleted(http, aws):
    before = stored_state(aws)
    response = delete_email(http, "Alice@Example.com")
    assert (response.status_code, body_of(response)) == \
        (400, {"error": "The primary address cannot be deleted"})
    assert stored_state(aws) == before


def test_emails_deleting_an_unknown_address_is_404(http):
    response = delete_email(http, "bobby@example.com")
    assert (response.status_code, body_of(response)) == \
        (404, {"error": "No such address on this account"})


def test_emails_delete_with_two_different_addresses_is_400(http):
    post_email(http, "first@example.com")
    response = http.delete(EMAILS + "?email=alice%40example.com",
                           body=b'{"email": "first@example.com"}', headers={**ALICE, **JSON_HEADERS})
    assert response.status_code == 400


# ---- the v1 PUT /v1/users/<name>/ and the Accounts API agree on the primary address ----

def v1_put_email(http, address, headers=ALICE):
    return http.put("/v1/users/alice/", body=json.dumps({"email": address}).encode(),
                    headers={**headers, **JSON_HEADERS})


def test_v1_put_changes_the_primary_address_the_accounts_api_shows(http):
    assert v1_put_email(http, "new@example.com").status_code == 204
    assert body_of(http.get(USER, headers=ALICE))["email"] == "new@example.com"
    assert addresses(http) == [("new@example.com", True)]
    # the old address is released: another account may take it
    assert post_email(http, "alice@example.com", headers=BOBBY, username="bobby").status_code == 201


def test_v1_put_refuses_an_address_another_account_holds(http, aws):
    post_email(http, "taken@example.com", headers=BOBBY, username="bobby")
    before = stored_state(aws)
    response = v1_put_email(http, "Taken@Example.com")
    assert (response.status_code, body_of(response)) == \
        (400, {"error": "E-mail address already in use"})
    assert stored_state(aws) == before


def test_v1_put_promotes_one_of_the_accounts_addresses(http):
    post_email(http, "work@example.com")
    assert v1_put_email(http, "Work@example.com").status_code == 204
    assert addresses(http) == [("Work@example.com", True)]
    assert delete_email(http, "work@example.com").status_code == 400      # it is primary now


def test_v1_put_email_and_password_together_change_both_or_nothing(http, aws):
    post_email(http, "taken@example.com", headers=BOBBY, username="bobby")
    response = http.put("/v1/users/alice/", headers={**ALICE, **JSON_HEADERS}, body=json.dumps(
        {"email": "taken@example.com", "password": "new-password"}).encode())
    assert response.status_code == 400
    assert http.get("/v1/users/", headers=ALICE).status_code == 200       # password unchanged
    response = http.put("/v1/users/alice/", headers={**ALICE, **JSON_HEADERS}, body=json.dumps(
        {"email": "free@example.com", "password": "new-password"}).encode())
    assert response.status_code == 204
    new = {"Authorization": basic("alice", "new-password")}
    assert http.get("/v1/users/", headers=new).status_code == 200
    assert addresses(http, headers=new) == [("free@example.com", True)]


def test_v1_put_empty_email_removes_the_primary_address(http):
    post_email(http, "other@example.com")
    assert v1_put_email(http, "").status_code == 204
    assert body_of(http.get(USER, headers=ALICE))["email"] == ""
    assert addresses(http) == [("other@example.com", False)]
    assert post_email(http, "alice@example.com", headers=BOBBY, username="bobby").status_code == 201
