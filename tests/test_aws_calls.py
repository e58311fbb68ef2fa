"""The AWS calls each GET endpoint makes, counted at botocore (the real moto API answers).

Each endpoint's data is one read (ancestry is stored, not walked, §4.15; a layer GET presigns
locally and never touches S3, §4.18). Auth adds what it needs to decide, counted here with the
container's caches cold (store/cache.py; warm, an image call costs no read at all):
- a token of the namespace's owner (docker pushing or pulling its own images, §5.4/§5.5): the
  user record (still active, same token generation);
- a token of anyone else (an anonymous or other user's pull of a public repository): the
  repository record (still public), and on image routes the membership read that says the
  image is readable through the token's repository;
- Basic credentials: the user record (bcrypt remembered); image routes act in the caller's
  own namespace;
- no credentials: the repository record (public?) on repository routes; image routes need a
  token and answer 401 without a read.
A new read anywhere fails this test; a saved one means updating EXPECTED.
"""
import json

import botocore.client
import pytest

from helpers import JSON_HEADERS, create_repository, put_image, put_tag

USER = [("GetItem", "users")]
REPOSITORY = [("GetItem", "repositories")]
MEMBERSHIP = [("GetItem", "repository-images")]
PUBLIC_REPOSITORY = [("BatchGetItem", "repositories")]
IMAGE, ANCESTRY = ("GetItem", "namespaced-images"), ("GetItem", "namespaced-ancestry")

IMAGE_AUTH = {"owner token": USER, "reader token": REPOSITORY + MEMBERSHIP, "basic": USER}
REPOSITORY_AUTH = {"owner token": USER, "reader token": REPOSITORY, "basic": USER,
                   "anonymous": PUBLIC_REPOSITORY}

# endpoint: (data reads, {caller: auth reads before them}); a caller missing: not asked
EXPECTED = {
    "/v1/_ping": ([], {"owner token": [], "reader token": [], "basic": [], "anonymous": []}),
    "/v1/images/{top}/json": ([IMAGE], IMAGE_AUTH),
    "/v1/images/{top}/ancestry": ([ANCESTRY], IMAGE_AUTH),
    "/v1/images/{top}/layer": ([IMAGE], IMAGE_AUTH),
    "/v1/repositories/ns/repo/tags/latest": ([("GetItem", "tags")], REPOSITORY_AUTH),
    "/v1/repositories/ns/repo/tags": ([("Query", "tags")], REPOSITORY_AUTH),
    "/v1/repositories/ns/repo/tags/latest/json": ([("GetItem", "tags")], REPOSITORY_AUTH),
    "/v1/repositories/ns/repo/json": ([("GetItem", "repositories")], REPOSITORY_AUTH),
}


def read_token(http, name: str, headers: dict) -> str:
    response = http.get(f"/v1/repositories/{name}/images",
                        headers={"X-Docker-Token": "true", **headers})
    assert response.status_code == 200, response.body
    return response.headers["X-Docker-Token"]


@pytest.fixture
def pulled(client):
    """ns/repo with base ← top tagged latest (images of namespace `ns`); the same chain in
    the admin's own namespace for Basic calls; the read tokens docker gets (§3.7)."""
    base = put_image(client.http)
    top = put_image(client.http, parent=base.id)
    assert put_tag(client.http, "ns/repo", "latest", top.id).status_code == 200
    own = put_image(client.basic_http)             # Basic: the admin's own namespace
    create_repository(client.http, "admin/own")
    assert put_tag(client.http, "admin/own", "latest", own.id).status_code == 200
    return {"top": top.id, "own": own.id, "headers": {
        "owner token": {"Authorization": "Token " + read_token(client.http, "ns/repo", {})},
        "reader token": {"Authorization": "Token " + read_token(
            client.http, "ns/repo", {"Authorization": ""})},
        "basic": {},                                       # the client fixture's admin
        "anonymous": {"Authorization": ""}}}


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


def get(client, pulled, endpoint: str, caller: str, recorded):
    from chalicelib.store import cache
    cache.clear_all()                                  # a cold container
    recorded.clear()
    image, http = (pulled["own"], client.basic_http) if caller == "basic" else (
        pulled["top"], client.http)
    response = http.get(endpoint.format(top=image), headers=pulled["headers"][caller])
    return response, [(op, name) if service == "dynamodb" else (service, op, name)
                      for service, op, name in recorded]  # S3 would show as such


@pytest.mark.parametrize("caller", ["owner token", "reader token", "basic", "anonymous"])
def test_get_endpoints_make_only_the_minimum_aws_calls(client, pulled, recorded, caller):
    made, expected = {}, {}
    for endpoint, (data_reads, auth_reads) in EXPECTED.items():
        if caller not in auth_reads:
            continue
        response, made[endpoint] = get(client, pulled, endpoint, caller, recorded)
        assert response.status_code in (200, 302), (endpoint, response.body)
        expected[endpoint] = auth_reads[caller] + data_reads
    assert made == expected


def test_image_routes_without_a_token_answer_401_without_a_read(client, pulled, recorded):
    for resource in ("json", "ancestry", "layer"):
        response, made = get(client, pulled, f"/v1/images/{{top}}/{resource}", "anonymous",
                             recorded)
        assert (response.status_code, made) == (401, [])


@pytest.mark.parametrize("resource", ["json", "ancestry", "layer"])
def test_a_warm_container_reads_nothing_for_a_complete_image(client, pulled, recorded, resource):
    """A complete image and its ancestry never change, and the records auth reads are
    cached for REGISTRY_AUTH_CACHE_SECONDS: once a container has served them, a pull's
    image calls cost no AWS call (store/cache.py)."""
    headers = pulled["headers"]["reader token"]
    path = f"/v1/images/{pulled['top']}/{resource}"
    assert client.http.get(path, headers=headers).status_code in (200, 302)   # warms it
    recorded.clear()
    assert client.http.get(path, headers=headers).status_code in (200, 302)
    assert recorded == []


def test_get_layer_redirect_is_presigned_without_an_s3_call(client, pulled, recorded):
    response, made = get(client, pulled, "/v1/images/{top}/layer", "owner token", recorded)
    assert response.status_code == 302 and "X-Amz-Signature=" in response.headers["Location"]
    assert not [call for call in made if call[0] == "s3"]


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


# ---- Registry v2 (v2-pull §6: one read per manifest and per blob, plus the auth reads) ----

CONTENT, TAG = ("GetItem", "repository-content"), ("GetItem", "tags")
# The bearer token's checks (auth/callers.from_bearer, permissions): the owner's (the admin
# here) its user record; an anonymous one on a public repository that repository's record.
V2_AUTH = {"owner bearer": USER, "anonymous bearer": REPOSITORY}
V2_EXPECTED = {
    "/v2/": ([], {"owner bearer": USER, "anonymous bearer": []}),
    "/v2/ns/repo/manifests/latest": ([TAG], V2_AUTH),
    "/v2/ns/repo/manifests/{manifest}": ([CONTENT], V2_AUTH),
    "/v2/ns/repo/blobs/{layer}": ([CONTENT], V2_AUTH),
    "/v2/ns/repo/blobs/{config}": ([CONTENT], V2_AUTH),
    "/v2/ns/repo/tags/list": ([("Query", "tags")], V2_AUTH),
}


@pytest.fixture
def v2_pulled(client, pulled):
    """ns/repo:latest's v2 digests and the bearer tokens of its owner and of anyone."""
    import json
    from chalicelib.store.models import Tag
    from conftest import ADMIN, basic
    from v2_helpers import bearer, digest
    manifest = Tag.get("ns/repo", "latest").manifest
    scope = ["repository:ns/repo:pull"]
    return {"manifest": digest(manifest.encode()),
            "layer": json.loads(manifest)["layers"][0]["digest"],
            "config": json.loads(manifest)["config"]["digest"],
            "tokens": {"owner bearer": bearer(client.http, scope, basic(*ADMIN))["token"],
                       "anonymous bearer": bearer(client.http, scope)["token"]}}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("caller", ["owner bearer", "anonymous bearer"])
def test_v2_reads_make_only_the_minimum_aws_calls(client, v2_pulled, recorded, caller, method):
    from chalicelib.store import cache
    from v2_helpers import v2_get
    made, expected = {}, {}
    for endpoint, (data_reads, auth_reads) in V2_EXPECTED.items():
        cache.clear_all()                              # a cold container
        recorded.clear()
        response = v2_get(client.http, endpoint.format(**v2_pulled),
                          v2_pulled["tokens"][caller], method=method)
        assert response.status_code in (200, 307), (endpoint, response.body)
        made[endpoint] = [(op, name) if service == "dynamodb" else (service, op, name)
                          for service, op, name in recorded]
        expected[endpoint] = auth_reads[caller] + data_reads
    assert made == expected


def test_search_queries_the_search_indexes_never_scans_and_stops_at_the_cap(
        client, recorded, monkeypatch):
    """GET /v1/search (§3.11) reads the matching records of the two search indexes, at most
    MAX_MATCHES of each: its cost follows the matches, not the table."""
    import json
    from chalicelib.index import search
    monkeypatch.setattr(search, "MAX_MATCHES", 5)
    for name in [f"team/r{n}" for n in range(8)] + ["other/x", "zed/team-tools"]:
        create_repository(client.http, name)
    recorded.clear()
    response = client.http.get("/v1/search?q=team&n=2")
    answer = json.loads(response.body)
    assert (answer["num_results"], answer["num_pages"]) == (5, 3)
    assert [result["name"] for result in answer["results"]] == ["team/r0", "team/r1"]
    made = [(op, name) for _, op, name in recorded]
    assert [call for call in made if call[1] == "repositories"] == [
        ("Query", "repositories"), ("Query", "repositories")]
    assert "Scan" not in {op for op, _ in made}
