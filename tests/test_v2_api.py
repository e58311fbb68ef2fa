"""The read-only Registry v2 API over the chalice test client (spec v2-pull §1, §2, §5.3,
§6): who sees it, the version check and its challenge, tokens (GET, POST, refresh),
manifests per Accept, blobs by redirect, tag and catalog listing with paging, and writes
refused with the distribution error body."""
import json
import time
from types import SimpleNamespace

import pytest
import requests

import docker_v1
import faults
from conftest import ADMIN, PUSH_REPOSITORY, basic
from helpers import JSON_HEADERS, create_repository, put_tag, stored_state
from v2_helpers import (DOCKER_1_13, DOCKER_20, HOST, OCI, SCHEMA2, bearer, built_config, code_of,
                        digest, docker_1x_chain, errors_of, post_token, push, random_layers,
                        v1reg_chain, v2_get)

CHALLENGE = 'Bearer realm="https://registry.example.com/v2/token",service="registry.example.com"'
DOCKER_17_05 = ("docker/17.05.0-ce go/go1.7.5 git-commit/89658be kernel/4.4.0 os/linux "
                "arch/amd64 UpstreamClient(Docker-Client/17.05.0-ce \\(linux\\))")
LEGACY = [docker_v1.USER_AGENT, DOCKER_1_13, DOCKER_17_05]
V2_PATHS = ["/v2/", "/v2/token", "/v2/_catalog", "/v2/ns/repo/manifests/1",
            "/v2/repo/blobs/sha256:" + "0" * 64, "/v2/ns/repo/tags/list",
            "/v2/ns/repo/blobs/uploads/", "/v2/ns/repo/blobs/uploads/x"]


@pytest.fixture
def pushed(client):
    """ns/repo:1, an image pushed by v1reg (its config carried), and an anonymous token
    that may pull it (ns/repo is public)."""
    layers = random_layers(2)
    config = built_config(layers)
    chain = v1reg_chain(config, layers)
    push(client.http, PUSH_REPOSITORY, "1", chain)
    token = bearer(client.http, [f"repository:{PUSH_REPOSITORY}:pull"])["token"]
    from chalicelib.store.models import Tag
    tag = Tag.get(PUSH_REPOSITORY, "1")
    return SimpleNamespace(config=config, chain=chain, token=token, manifest=tag.manifest.encode(),
                           oci=tag.oci_manifest.encode(),
                           layers=[digest(image.layer) for image in chain
                                   if b'"throwaway":true' not in image.json])


# ---- who sees v2 (§5.3) ----

@pytest.mark.parametrize("user_agent", LEGACY, ids=["1.6", "1.13", "17.05"])
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE"])
def test_engines_that_push_v1_get_a_plain_404_on_every_v2_path(anonymous_client, user_agent,
                                                               method):
    for path in V2_PATHS:
        response = anonymous_client.http.request(method, path, headers={"User-Agent": user_agent})
        assert (response.status_code, response.body) == (404, b""), path
        assert "Docker-Distribution-API-Version" not in response.headers


@pytest.mark.parametrize("user_agent", [
    DOCKER_20, "docker/17.06.0-ce go/go1.8.3 git-commit/02c1d87 kernel/4.9 os/linux arch/amd64",
    "docker/1.13.1 go/go1.7.5 git-commit/092cba3 kernel/10.0 os/windows arch/amd64",
    "containerd/1.6.20~ds1", "containers/5.23.1 (github.com/containers/image)",
    "go-containerregistry/v0.20.2", "v1reg/0.1.0", None])
def test_every_other_client_sees_v2(anonymous_client, user_agent):
    headers = {"User-Agent": user_agent} if user_agent else {}
    response = anonymous_client.http.get("/v2/", headers=headers)
    assert response.status_code == 401
    assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_the_docker_cut_off_is_a_setting(env, anonymous_client):
    env.setenv("REGISTRY_V2_HIDDEN_UP_TO_DOCKER", "1.12")
    assert anonymous_client.http.get("/v2/", headers={"User-Agent": DOCKER_1_13}).status_code == 401
    assert anonymous_client.http.get(
        "/v2/", headers={"User-Agent": docker_v1.USER_AGENT}).status_code == 404


def test_a_stage_turns_the_v2_api_off(env, client, pushed):
    env.setenv("REGISTRY_V2_API", "off")
    for path in V2_PATHS:
        response = v2_get(client.http, path, pushed.token)
        assert (response.status_code, response.body) == (404, b""), path
        assert "Docker-Distribution-API-Version" not in response.headers


# ---- version check and challenge (§1.2, §2.1) ----

def test_version_check_challenges_and_then_answers_any_valid_token(anonymous_client):
    response = v2_get(anonymous_client.http, "/v2/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert code_of(response) == "UNAUTHORIZED"
    token = bearer(anonymous_client.http)["token"]              # anonymous, no scope
    response = v2_get(anonymous_client.http, "/v2/", token)
    assert (response.status_code, json.loads(response.body)) == (200, {})
    assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    response = v2_get(anonymous_client.http, "/v2/", token[:-2] + "xx")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE + ',error="invalid_token"'


def test_a_token_is_bound_to_the_host_it_was_issued_for(anonymous_client):
    token = bearer(anonymous_client.http)["token"]
    assert v2_get(anonymous_client.http, "/v2/", token, Host="elsewhere.example.com"
                  ).status_code == 401


# ---- tokens (§2.2–2.6) ----

def test_token_answer_has_docker_s_fields(anonymous_client):
    answer = bearer(anonymous_client.http)
    assert set(answer) == {"token", "access_token", "expires_in", "issued_at"}
    assert answer["token"] == answer["access_token"]
    assert answer["expires_in"] >= 60
    assert abs(time.mktime(time.strptime(answer["issued_at"], "%Y-%m-%dT%H:%M:%SZ"))
               - time.mktime(time.gmtime())) < 60


def test_a_token_grants_pull_and_nothing_else_asked(client, pushed):
    token = bearer(client.http, ["repository:ns/repo:pull,push", "repository:ns/other:pull",
                                 "repository:NOT VALID:pull"])["token"]
    assert v2_get(client.http, "/v2/ns/repo/manifests/1", token).status_code == 200
    response = v2_get(client.http, "/v2/ns/other/manifests/1", token)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        CHALLENGE + ',scope="repository:ns/other:pull",error="insufficient_scope"')


def test_token_with_a_wrong_password_is_401_unauthorized(client):
    response = client.http.get("/v2/token?service=registry",
                               headers={"Authorization": basic("admin", "wrong-password")})
    assert (response.status_code, code_of(response)) == (401, "UNAUTHORIZED")
    assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_token_logins_are_throttled_like_v1_logins(env, client):
    env.setenv("REGISTRY_LOGIN_MAX_FAILURES", "2")
    wrong = {"Authorization": basic("admin", "wrong-password")}
    statuses = [client.http.get("/v2/token", headers=wrong).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    response = client.http.get("/v2/token", headers=wrong)
    assert code_of(response) == "TOOMANYREQUESTS" and int(response.headers["Retry-After"]) > 0


def test_docker_login_gets_a_refresh_token_that_post_trades_for_access(client, pushed):
    """§2.5: GET with offline_token=true and Basic → refresh_token (docker's identity
    token); then POST grant_type=refresh_token for each pull."""
    answer = bearer(client.http, authorization=basic(*ADMIN), offline=True)
    assert v2_get(client.http, "/v2/", answer["token"]).status_code == 200
    form = (f"grant_type=refresh_token&refresh_token={answer['refresh_token']}"
            "&client_id=docker&service=registry&scope=repository%3Ans%2Frepo%3Apull")
    response = post_token(client.http, form)
    assert response.status_code == 200, response.body
    token = json.loads(response.body)["access_token"]
    assert v2_get(client.http, "/v2/ns/repo/manifests/1", token).body == pushed.manifest


def test_post_password_grant_as_containerd_sends_it(client, pushed):
    form = ("grant_type=password&username=admin&password=admin-password&client_id="
            "containerd-client&service=registry&scope=repository%3Ans%2Frepo%3Apull"
            "&access_type=offline")
    response = post_token(client.http, form, "containerd/1.6.20")
    answer = json.loads(response.body)
    assert response.status_code == 200 and answer["refresh_token"]
    assert v2_get(client.http, "/v2/ns/repo/tags/list", answer["access_token"]).status_code == 200


@pytest.mark.parametrize("form, status, code", [
    ("grant_type=authorization_code&code=x", 400, "UNSUPPORTED"),
    ("grant_type=refresh_token&refresh_token=forged.token", 401, "UNAUTHORIZED"),
    ("grant_type=password&username=admin&password=wrong-password", 401, "UNAUTHORIZED"),
    ("", 400, "UNSUPPORTED")])
def test_post_token_refusals(client, form, status, code):
    response = post_token(client.http, form)
    assert (response.status_code, code_of(response)) == (status, code)


def test_a_password_change_ends_access_and_refresh_tokens(client, pushed):
    answer = bearer(client.http, [f"repository:{PUSH_REPOSITORY}:pull"], basic(*ADMIN),
                    offline=True)
    assert v2_get(client.http, "/v2/ns/repo/manifests/1", answer["token"]).status_code == 200
    changed = client.http.put("/v1/users/admin/", body=b'{"password": "new-password"}',
                              headers=JSON_HEADERS)
    assert changed.status_code == 204
    from chalicelib.store import cache
    cache.clear_all()                        # every container, REGISTRY_AUTH_CACHE_SECONDS on
    assert v2_get(client.http, "/v2/ns/repo/manifests/1", answer["token"]).status_code == 401
    response = post_token(client.http,
                          f"grant_type=refresh_token&refresh_token={answer['refresh_token']}")
    assert (response.status_code, code_of(response)) == (401, "UNAUTHORIZED")


# ---- manifests (§1.4, §6.6, §6.7) ----

def test_manifest_by_tag_and_by_digest_are_the_same_bytes(client, pushed):
    by_tag = v2_get(client.http, "/v2/ns/repo/manifests/1", pushed.token)
    assert by_tag.status_code == 200
    assert by_tag.body == pushed.manifest
    manifest_digest = digest(by_tag.body)
    assert by_tag.headers["Docker-Content-Digest"] == manifest_digest
    assert by_tag.headers["Content-Type"] == SCHEMA2
    by_digest = v2_get(client.http, f"/v2/ns/repo/manifests/{manifest_digest}", pushed.token)
    assert (by_digest.status_code, by_digest.body) == (200, by_tag.body)
    assert by_digest.headers["Docker-Content-Digest"] == manifest_digest
    manifest = json.loads(by_tag.body)
    assert manifest["config"]["digest"] == digest(pushed.config)
    assert [layer["digest"] for layer in manifest["layers"]] == pushed.layers


@pytest.mark.parametrize("reference", ["1", "digest"])
def test_manifest_head_has_get_s_headers_and_no_body(client, pushed, reference):
    path = "/v2/ns/repo/manifests/" + (digest(pushed.manifest) if reference == "digest" else "1")
    head = v2_get(client.http, path, pushed.token, method="HEAD")
    assert (head.status_code, head.body) == (200, b"")
    assert head.headers["Content-Length"] == str(len(pushed.manifest))
    assert head.headers["Docker-Content-Digest"] == digest(pushed.manifest)
    assert head.headers["Content-Type"] == SCHEMA2


@pytest.mark.parametrize("accept, served", [
    (None, SCHEMA2), (SCHEMA2, SCHEMA2), ("*/*", SCHEMA2),
    (f"{OCI}, application/vnd.oci.image.index.v1+json", OCI),
    (f"{OCI};q=0.9, application/json", OCI),
    (f"application/vnd.docker.distribution.manifest.list.v2+json, {OCI}, {SCHEMA2}", SCHEMA2),
    ("application/vnd.docker.distribution.manifest.v1+prettyjws", None)])
def test_accept_picks_schema_2_or_oci(client, pushed, accept, served):
    headers = {"Accept": accept} if accept else {}
    response = v2_get(client.http, "/v2/ns/repo/manifests/1", pushed.token, **headers)
    if served is None:
        assert (response.status_code, code_of(response)) == (404, "MANIFEST_UNKNOWN")
        return
    assert response.headers["Content-Type"] == served
    assert response.body == (pushed.manifest if served == SCHEMA2 else pushed.oci)
    assert json.loads(response.body)["mediaType"] == served


def test_a_manifest_by_digest_is_served_only_if_its_type_is_accepted(client, pushed):
    path = f"/v2/ns/repo/manifests/{digest(pushed.oci)}"
    assert v2_get(client.http, path, pushed.token, Accept=OCI).body == pushed.oci
    assert v2_get(client.http, path, pushed.token, Accept=SCHEMA2).status_code == 404


def test_every_accept_line_api_gateway_passes_counts():
    """docker 20.10 sends one Accept line per type; API Gateway has them all in
    multiValueHeaders (the local stack joins them, tests/test_e2e_v2.py)."""
    from chalicelib.v2.routes import header_values
    event = {"multiValueHeaders": {"Accept": [SCHEMA2, OCI]}, "headers": {"accept": OCI}}
    request = SimpleNamespace(to_original_event=lambda: event, headers={"accept": OCI})
    assert header_values(request, "accept") == [SCHEMA2, OCI]


@pytest.mark.parametrize("path, status, code", [
    ("/v2/ns/repo/manifests/2", 404, "MANIFEST_UNKNOWN"),
    ("/v2/ns/repo/manifests/sha256:" + "a" * 64, 404, "MANIFEST_UNKNOWN"),
    ("/v2/ns/repo/manifests/sha256:ABC", 400, "DIGEST_INVALID"),
    ("/v2/ns/repo/manifests/md5:" + "a" * 32, 400, "DIGEST_INVALID"),
    ("/v2/ns/repo/manifests/-tag", 400, "TAG_INVALID"),
    ("/v2/ns/Repo/manifests/1", 400, "NAME_INVALID"),
    ("/v2/ns/re..po/manifests/1", 400, "NAME_INVALID"),
    ("/v2/ns/missing/manifests/1", 404, "NAME_UNKNOWN"),
    ("/v2/ns/repo/blobs/sha256:" + "a" * 64, 404, "BLOB_UNKNOWN"),
    ("/v2/ns/repo/blobs/sha256:xyz", 400, "DIGEST_INVALID"),
    ("/v2/ns/missing/tags/list", 404, "NAME_UNKNOWN"),
    ("/v2/ns/repo/tags/list?n=-1", 400, "PAGINATION_NUMBER_INVALID")])
def test_errors_use_the_distribution_codes(client, pushed, path, status, code):
    token = bearer(client.http, ["repository:ns/repo:pull", "repository:ns/missing:pull",
                                 "repository:ns/Repo:pull"], basic(*ADMIN))["token"]
    response = v2_get(client.http, path, token)
    assert (response.status_code, code_of(response)) == (status, code)
    assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    head = v2_get(client.http, path, token, method="HEAD")
    assert (head.status_code, head.body) == (status, b"")


def test_a_tag_set_before_the_v2_api_gets_its_manifest_on_its_first_request(client, pushed):
    from chalicelib.store.models import Content, Tag
    Tag("ns/repo", "1").update(actions=[Tag.manifest.remove(), Tag.oci_manifest.remove()])
    for row in Content.query("ns/repo"):
        row.delete()
    response = v2_get(client.http, "/v2/ns/repo/manifests/1", pushed.token)
    assert (response.status_code, response.body) == (200, pushed.manifest)
    assert Tag.get("ns/repo", "1", consistent_read=True).manifest == pushed.manifest.decode()
    blob = v2_get(client.http, f"/v2/ns/repo/blobs/{pushed.layers[0]}", pushed.token)
    assert blob.status_code == 307


def test_an_image_v2_cannot_serve_yet_is_manifest_unknown_with_the_reason(client):
    import bz2
    chain = docker_1x_chain(random_layers(1))
    chain[0] = chain[0].__class__(chain[0].id, chain[0].json, bz2.compress(b"tar"))
    push(client.http, "ns/packed", "1", chain)
    token = bearer(client.http, ["repository:ns/packed:pull"])["token"]
    response = v2_get(client.http, "/v2/ns/packed/manifests/1", token)
    (error,) = errors_of(response)
    assert (response.status_code, error["code"]) == (404, "MANIFEST_UNKNOWN")
    assert "bzip2-compressed" in error["message"] and "backfill" in error["message"]


# ---- blobs (§1.5, §6.9) ----

def test_layer_and_config_blobs_redirect_to_s3_and_keep_range(client, pushed):
    for blob_digest, data in ((pushed.layers[0], pushed.chain[0].layer),
                              (digest(pushed.config), pushed.config)):
        response = v2_get(client.http, f"/v2/ns/repo/blobs/{blob_digest}", pushed.token)
        assert response.status_code == 307
        assert response.headers["Docker-Content-Digest"] == blob_digest
        location = response.headers["Location"]
        assert "/blobs/sha256/" in location and "X-Amz-Signature=" in location
        assert requests.get(location).content == data
        ranged = requests.get(location, headers={"Range": "bytes=10-"})
        assert (ranged.status_code, ranged.content) == (206, data[10:])


def test_blob_head_is_answered_here_with_its_size(client, pushed):
    response = v2_get(client.http, f"/v2/ns/repo/blobs/{pushed.layers[0]}", pushed.token,
                      method="HEAD")
    assert (response.status_code, response.body) == (200, b"")
    assert response.headers["Content-Length"] == str(len(pushed.chain[0].layer))
    assert response.headers["Docker-Content-Digest"] == pushed.layers[0]


def test_a_blob_is_served_only_through_a_repository_that_holds_it(client, pushed):
    other = docker_1x_chain(random_layers(1))
    push(client.http, "ns/other", "1", other)
    token = bearer(client.http, ["repository:ns/repo:pull", "repository:ns/other:pull"])["token"]
    assert v2_get(client.http, f"/v2/ns/other/blobs/{digest(other[0].layer)}",
                  token).status_code == 307
    response = v2_get(client.http, f"/v2/ns/repo/blobs/{digest(other[0].layer)}", token)
    assert (response.status_code, code_of(response)) == (404, "BLOB_UNKNOWN")


# ---- tags/list and _catalog (§1.6, §1.7) ----

def test_tags_list_pages_with_n_last_and_link(client, pushed):
    for tag in ("b", "a", "C", "d"):
        assert put_tag(client.http, "ns/repo", tag, pushed.chain[-1].id).status_code == 200
    token = pushed.token
    listed = v2_get(client.http, "/v2/ns/repo/tags/list", token)
    assert json.loads(listed.body) == {"name": "ns/repo", "tags": ["1", "C", "a", "b", "d"]}
    assert "Link" not in listed.headers
    first = v2_get(client.http, "/v2/ns/repo/tags/list?n=2", token)
    assert json.loads(first.body)["tags"] == ["1", "C"]
    assert first.headers["Link"] == '</v2/ns/repo/tags/list?last=C&n=2>; rel="next"'
    second = v2_get(client.http, "/v2/ns/repo/tags/list?last=C&n=2", token)
    assert json.loads(second.body)["tags"] == ["a", "b"]
    last = v2_get(client.http, "/v2/ns/repo/tags/list?last=b&n=2", token)
    assert (json.loads(last.body)["tags"], "Link" in last.headers) == (["d"], False)
    empty = v2_get(client.http, "/v2/ns/repo/tags/list?n=0", token)
    assert (json.loads(empty.body)["tags"], "Link" in empty.headers) == ([], False)
    library = bearer(client.http, ["repository:lib:pull"], basic(*ADMIN))["token"]
    create_repository(client.http, "lib")                 # library/lib, no tags yet
    assert json.loads(v2_get(client.http, "/v2/lib/tags/list", library).body) == {
        "name": "lib", "tags": []}


def test_catalog_lists_only_what_the_caller_may_read_with_paging(client, pushed):
    for name in ("ns/secret", "ns/zz", "lib"):
        create_repository(client.http, name)
    client.http.put("/v1/repositories/ns/secret/properties", body=b'{"access": "private"}',
                    headers=JSON_HEADERS)
    anonymous = bearer(client.http, ["registry:catalog:*"])["token"]
    admin = bearer(client.http, ["registry:catalog:*"], basic(*ADMIN))["token"]
    assert json.loads(v2_get(client.http, "/v2/_catalog", anonymous).body) == {
        "repositories": ["library/lib", "ns/repo", "ns/zz"]}
    page = v2_get(client.http, "/v2/_catalog?n=2", admin)
    assert json.loads(page.body) == {"repositories": ["library/lib", "ns/repo"]}
    assert page.headers["Link"] == '</v2/_catalog?last=ns%2Frepo&n=2>; rel="next"'
    rest = v2_get(client.http, "/v2/_catalog?n=2&last=ns%2Frepo", admin)
    assert json.loads(rest.body) == {"repositories": ["ns/secret", "ns/zz"]}
    response = v2_get(client.http, "/v2/_catalog")
    assert response.headers["WWW-Authenticate"] == CHALLENGE + ',scope="registry:catalog:*"'


# ---- writes (§1.10) ----

@pytest.mark.parametrize("method, path", [
    ("POST", "/v2/ns/repo/blobs/uploads/"), ("POST", "/v2/repo/blobs/uploads/?mount=x&from=y"),
    ("PATCH", "/v2/ns/repo/blobs/uploads/0f2c"), ("PUT", "/v2/ns/repo/blobs/uploads/0f2c"),
    ("PUT", "/v2/ns/repo/manifests/1"), ("DELETE", "/v2/ns/repo/manifests/1"),
    ("DELETE", "/v2/ns/repo/blobs/sha256:" + "a" * 64), ("DELETE", "/v2/"),
    ("POST", "/v2/_catalog"), ("PUT", "/v2/ns/repo/tags/list"), ("GET", "/v2/ns/repo/blobs/uploads/0f2c")])
def test_writes_are_405_unsupported_naming_the_ways_to_push(client, pushed, aws, method, path):
    before = stored_state(aws)
    for authorization in ("", basic(*ADMIN), f"Bearer {pushed.token}"):
        response = client.http.request(method, path, body=b"{}", headers={
            "Authorization": authorization, "User-Agent": DOCKER_20,
            "Content-Type": "application/octet-stream"})
        (error,) = errors_of(response)
        assert (response.status_code, error["code"]) == (405, "UNSUPPORTED")
        assert "docker 1.x" in error["message"] and "v1reg" in error["message"]
        assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    assert stored_state(aws) == before


@pytest.mark.parametrize("fault", faults.DYNAMODB, ids=lambda fault: fault.name)
def test_dynamodb_busy_or_unreachable_is_503_unavailable_with_retry_after(client, pushed,
                                                                          monkeypatch, fault):
    """As on v1 (issue 10's faults): a read S3 or DynamoDB could not answer is worth a retry,
    in the distribution error body (§1.9), never a 500."""
    from chalicelib.store import cache
    injector = faults.Injector().install(monkeypatch)
    cache.clear_all()                                    # a cold container reads the tag
    injector.arm("dynamodb", "GetItem", 1, fault)
    response = v2_get(client.http, f"/v2/{PUSH_REPOSITORY}/manifests/1", pushed.token)
    assert injector.fired
    assert (response.status_code, response.headers["Retry-After"]) == (503, "1")
    assert code_of(response) == "UNAVAILABLE"
    assert v2_get(client.http, f"/v2/{PUSH_REPOSITORY}/manifests/1",
                  pushed.token).body == pushed.manifest
