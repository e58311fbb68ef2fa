"""The AWS calls each GET endpoint makes, counted at botocore (the real moto API answers).

Each endpoint's data is one read (ancestry is stored, not walked, §4.15; a layer GET presigns
locally and never touches S3, §4.18). Auth adds what it needs to decide: a token caller (docker's
pull, §5.5) one membership read per image route and nothing for a repository route (the token
names it); a Basic caller one user read; an anonymous caller the public-repository lookups.
A new read anywhere fails this test; a saved one means updating EXPECTED.
"""
import json

import botocore.client
import pytest

from helpers import JSON_HEADERS, put_image, put_tag

MEMBERSHIP = ("GetItem", "repository-images")
USER = ("GetItem", "users")
PUBLIC_HOLDERS = [("Query", "repository-images"), ("BatchGetItem", "repositories")]
PUBLIC_REPOSITORY = [("BatchGetItem", "repositories")]

IMAGE_AUTH = {"token": [MEMBERSHIP], "basic": [USER], "anonymous": PUBLIC_HOLDERS}
REPOSITORY_AUTH = {"token": [], "basic": [USER], "anonymous": PUBLIC_REPOSITORY}

# endpoint: (data reads, {caller: auth reads before them})
EXPECTED = {
    "/v1/_ping": ([], {"token": [], "basic": [], "anonymous": []}),
    "/v1/images/{top}/json": ([("GetItem", "images")], IMAGE_AUTH),
    "/v1/images/{top}/ancestry": ([("GetItem", "ancestry")], IMAGE_AUTH),
    "/v1/images/{top}/layer": ([("GetItem", "images")], IMAGE_AUTH),
    "/v1/repositories/ns/repo/tags/latest": ([("GetItem", "tags")], REPOSITORY_AUTH),
    "/v1/repositories/ns/repo/tags": ([("Query", "tags")], REPOSITORY_AUTH),
    "/v1/repositories/ns/repo/tags/latest/json": ([("GetItem", "tags")], REPOSITORY_AUTH),
    "/v1/repositories/ns/repo/json": ([("GetItem", "repositories")], REPOSITORY_AUTH),
}


@pytest.fixture
def pulled(client):
    """ns/repo with base ← top tagged latest, and a read token as docker gets it (§3.7)."""
    base = put_image(client.http)
    top = put_image(client.http, parent=base.id)
    body = json.dumps([{"id": base.id}, {"id": top.id}]).encode()
    assert client.http.put("/v1/repositories/ns/repo/", body=body,
                           headers=JSON_HEADERS).status_code == 200
    assert put_tag(client.http, "ns/repo", "latest", top.id).status_code == 200
    listing = client.http.get("/v1/repositories/ns/repo/images", headers={"X-Docker-Token": "true"})
    return {"top": top.id, "token": listing.headers["X-Docker-Token"]}


@pytest.fixture
def recorded(monkeypatch, aws):
    """Every botocore API call from now on, as (service, operation, table suffix or bucket)."""
    calls = []
    make_api_call = botocore.client.BaseClient._make_api_call
    prefix = aws.table_prefix + "-"

    def recording(self, operation, params):
        names = params.get("TableName") or params.get("Bucket") or ",".join(
            params.get("RequestItems", {}))
        calls.append((self.meta.service_model.service_name, operation,
                      names.replace(prefix, "")))
        return make_api_call(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return calls


def caller_headers(caller, pulled):
    return {"token": {"Authorization": "Token " + pulled["token"]},
            "basic": {},                                    # the client fixture's admin
            "anonymous": {"Authorization": ""}}[caller]


@pytest.mark.parametrize("caller", ["token", "basic", "anonymous"])
def test_get_endpoints_make_only_the_minimum_aws_calls(client, pulled, recorded, caller):
    made, expected = {}, {}
    for endpoint, (data_reads, auth_reads) in EXPECTED.items():
        recorded.clear()
        response = client.http.get(endpoint.format(**pulled),
                                   headers=caller_headers(caller, pulled))
        assert response.status_code in (200, 302), (endpoint, response.body)
        made[endpoint] = [(op, name) if service == "dynamodb" else (service, op, name)
                          for service, op, name in recorded]        # S3 would show as such
        expected[endpoint] = auth_reads[caller] + data_reads
    assert made == expected


def test_get_layer_redirect_is_presigned_without_an_s3_call(client, pulled, recorded):
    recorded.clear()
    response = client.http.get(f"/v1/images/{pulled['top']}/layer",
                               headers=caller_headers("token", pulled))
    assert response.status_code == 302 and "X-Amz-Signature=" in response.headers["Location"]
    assert not [call for call in recorded if call[0] == "s3"]


# ---- the OAuth and Accounts APIs (spec oauth-accounts-api §2.2, §2.3, §4) ----
# A Bearer request reads its token's family (a revocation counts at once) and the account:
# the token's signature and expiry need no read. The token endpoint reads the client, the
# code or refresh token and the account, then writes in one transaction.

BEARER = [("GetItem", "oauth-token-families"), ("GetItem", "users")]
TRANSACTION = ("TransactWriteItems", "")
ACCOUNTS = "/api/v1.1/users/alice/"
ACCOUNTS_EXPECTED = {
    ("GET", ACCOUNTS, b""): BEARER,
    ("GET", ACCOUNTS + "emails/", b""): BEARER,
    ("PATCH", ACCOUNTS, b'{"location": "Berlin"}'): BEARER + [("UpdateItem", "users")],
    ("POST", ACCOUNTS + "emails/", b'{"email": "a2@example.com"}'): BEARER + [TRANSACTION],
    ("DELETE", ACCOUNTS + "emails/", b'{"email": "a2@example.com"}'): BEARER + [TRANSACTION],
}
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


@pytest.fixture
def oauth_client(anonymous_client, aws):
    from oauth_helpers import register_client, register_user
    register_user(anonymous_client.http, "alice", "alice@example.com")
    return register_client(aws)


def test_a_bearer_request_to_the_accounts_api_reads_at_most_twice(anonymous_client, oauth_client,
                                                                  recorded):
    from oauth_helpers import bearer, tokens_for
    http = anonymous_client.http
    token = tokens_for(http, oauth_client, "alice",
                       scope="profile_read profile_write email_read email_write")["access_token"]
    made = {}
    for (method, path, body), _ in ACCOUNTS_EXPECTED.items():
        recorded.clear()
        response = http.request(method, path, body=body, headers={
            **bearer(token), **JSON_HEADERS})
        assert response.status_code in (200, 201, 204), (path, response.body)
        made[(method, path, body)] = [(op, name) for _, op, name in recorded]
    assert made == ACCOUNTS_EXPECTED
    assert all(sum(op in READS for op, _ in calls) <= 2 for calls in made.values())


def test_the_token_endpoint_reads_three_items_and_writes_one_transaction(anonymous_client,
                                                                         oauth_client, recorded):
    """Plus, once per account, its numeric id (store/user_ids.py) on the first token."""
    from oauth_helpers import REDIRECT, Browser, authorize_query, callback, exchange, token_request
    http = anonymous_client.http
    code_reads = [("GetItem", "oauth-clients"), ("GetItem", "oauth-codes"), ("GetItem", "users")]
    first_id = [("UpdateItem", "counters"), ("UpdateItem", "users")]
    made = []
    for _ in range(2):
        code = callback(Browser(http).consent(authorize_query(oauth_client, redirect_uri=REDIRECT),
                                              "alice"))["code"]
        recorded.clear()
        tokens = json.loads(exchange(http, oauth_client, code).body)
        made.append([(op, name) for _, op, name in recorded])
    assert made == [code_reads + [TRANSACTION] + first_id, code_reads + [TRANSACTION]]
    recorded.clear()
    response = token_request(http, oauth_client, {"grant_type": "refresh_token",
                                                  "refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200
    assert [(op, name) for _, op, name in recorded] == [
        ("GetItem", "oauth-clients"), ("GetItem", "oauth-refresh-tokens"), ("GetItem", "users"),
        TRANSACTION]
