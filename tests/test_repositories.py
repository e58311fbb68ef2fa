"""Repository delete (§2.17) and the Index repository calls (§3.4, §3.6, §3.7, §4.1, §4.4),
through the chalice test client over moto."""
import json
import re

import pytest

from helpers import JSON_HEADERS, create_repository, error_of, new_id, put_image, put_tag

TOKEN = re.compile(r'signature=[0-9a-f]+,repository="(?P<repository>[^"]+)",access=(?P<access>\w+)'
                   r'(,\w+=[^,"]*)*')     # §4.2's pairs first; further pairs are ours
WANT_TOKEN = {"X-Docker-Token": "true"}
HOST = {"Host": "attacker.example"}          # never echoed (§4.4)
ENDPOINTS = "registry.example:5000"          # REGISTRY_ENDPOINTS of the tests (conftest.py)


def put_repository(http, name, images=(), headers=None):
    body = json.dumps([{"id": image_id} for image_id in images]).encode()
    return http.put(f"/v1/repositories/{name}/", body=body,
                    headers={**JSON_HEADERS, **HOST, **(headers or {})})


def finish_push(http, name, body=b"[]", headers=None):
    return http.put(f"/v1/repositories/{name}/images", body=body,
                    headers={**JSON_HEADERS, **HOST, **(headers or {})})


def assert_token(response, repository, access):
    token = response.headers["X-Docker-Token"]
    match = TOKEN.fullmatch(token)
    assert match and match["repository"] == repository and match["access"] == access, token
    assert response.headers["WWW-Authenticate"] == f"Token {token}"


# ---- §3.4 start a push ----

def test_put_repository_3_4_endpoints_and_token_only_when_asked(client):
    ids = [new_id(), new_id()]
    plain = put_repository(client.http, "ns/repo", ids)
    assert plain.status_code == 200
    assert plain.headers["X-Docker-Endpoints"] == ENDPOINTS
    assert "X-Docker-Token" not in plain.headers and "WWW-Authenticate" not in plain.headers
    asked = put_repository(client.http, "ns/repo", ids, WANT_TOKEN)
    assert asked.status_code == 200
    assert_token(asked, "ns/repo", "write")


def test_put_repository_3_4_accepts_docker_s_tag_entries(client):
    ids = [new_id(), new_id()]
    body = json.dumps([{"id": ids[0]}, {"id": ids[1], "Tag": "latest"}]).encode()
    response = client.http.put("/v1/repositories/ns/repo/", body=body, headers=JSON_HEADERS)
    assert response.status_code == 200
    listed = client.http.get("/v1/repositories/ns/repo/images")
    assert sorted(json.loads(listed.body), key=lambda entry: entry["id"]) == sorted(
        ({"id": image_id, "checksum": ""} for image_id in ids), key=lambda entry: entry["id"])


def test_put_repository_4_11_single_component_token_names_library(client):
    response = put_repository(client.http, "foo", [new_id()], WANT_TOKEN)
    assert response.status_code == 200
    assert_token(response, "library/foo", "write")
    listed = client.http.get("/v1/repositories/library/foo/images")
    assert listed.status_code == 200


@pytest.mark.parametrize("body", [b"{", b'{"id": "x"}', b'[{"id": "not-hex"}]', b"[42]",
                                  b'[{"id": "%s", "checksum": 5}]' % new_id().encode()])
def test_put_repository_3_4_invalid_body_is_400(client, body):
    response = client.http.put("/v1/repositories/ns/new/", body=body, headers=JSON_HEADERS)
    assert response.status_code == 400
    assert error_of(response) in ("Invalid JSON", "Invalid data")
    assert client.http.get("/v1/repositories/ns/new/images").status_code == 404


# ---- §3.7 start a pull ----

def test_get_images_3_7_lists_announced_images_with_read_token(client):
    ids = [new_id(), new_id()]
    put_repository(client.http, "ns/repo", ids)
    response = client.http.get("/v1/repositories/ns/repo/images", headers={**WANT_TOKEN, **HOST})
    assert response.status_code == 200
    listed = json.loads(response.body)
    assert sorted(listed, key=lambda e: e["id"]) == [{"id": i, "checksum": ""} for i in sorted(ids)]
    assert response.headers["X-Docker-Endpoints"] == ENDPOINTS
    assert_token(response, "ns/repo", "read")
    assert "X-Docker-Token" not in client.http.get("/v1/repositories/ns/repo/images").headers


def test_get_images_3_7_unknown_repository_is_404(client):
    response = client.http.get("/v1/repositories/ns/nothing/images")
    assert (response.status_code, error_of(response)) == (404, "Repository not found")


# ---- §3.6 finish a push ----

def test_put_images_3_6_is_exactly_204_and_empty_list_wipes_nothing(client):
    ids = [new_id(), new_id()]
    put_repository(client.http, "ns/repo", ids)
    response = finish_push(client.http, "ns/repo", headers=WANT_TOKEN)
    assert (response.status_code, response.body) == (204, b"")
    assert_token(response, "ns/repo", "write")
    listed = json.loads(client.http.get("/v1/repositories/ns/repo/images").body)
    assert sorted(entry["id"] for entry in listed) == sorted(ids)


def test_put_images_3_6_records_checksums_and_only_adds(client):
    old, new = new_id(), new_id()
    put_repository(client.http, "ns/repo", [old])
    body = json.dumps([{"id": new, "checksum": "sha256:" + "a" * 64}]).encode()
    assert finish_push(client.http, "ns/repo", body).status_code == 204
    listed = json.loads(client.http.get("/v1/repositories/ns/repo/images").body)
    assert sorted(listed, key=lambda e: e["id"]) == sorted(
        [{"id": old, "checksum": ""}, {"id": new, "checksum": "sha256:" + "a" * 64}],
        key=lambda e: e["id"])


def test_put_images_3_6_unknown_repository_is_404(client):
    response = finish_push(client.http, "ns/nothing")
    assert (response.status_code, error_of(response)) == (404, "Repository not found")


def test_put_images_3_6_invalid_json_is_400(client):
    put_repository(client.http, "ns/repo")
    response = finish_push(client.http, "ns/repo", b"[")
    assert (response.status_code, error_of(response)) == (400, "Invalid JSON")


# ---- §4.4 X-Docker-Endpoints: configured, else the API's domain; never the Host header ----

INDEX_CALLS = [("PUT", "/v1/repositories/ns/repo/", b"[]"),
               ("GET", "/v1/repositories/ns/repo/images", b""),
               ("PUT", "/v1/repositories/ns/repo/images", b"[]"),
               ("DELETE", "/v1/repositories/ns/repo/", b"")]


@pytest.mark.parametrize("host", ["attacker.example", "127.0.0.1:1", "a, b", ""])
def test_endpoints_4_4_are_the_configured_host_whatever_host_the_client_sends(client, host):
    for method, path, body in INDEX_CALLS:
        response = client.http.request(method, path, body=body,
                                       headers={**JSON_HEADERS, "Host": host})
        assert response.status_code in (200, 204), (path, response.body)
        assert response.headers["X-Docker-Endpoints"] == ENDPOINTS, path


def test_endpoints_4_4_unconfigured_are_the_domain_api_gateway_received_the_request_on(
        client, env):
    import gateway
    from conftest import basic, ADMIN
    env.delenv("REGISTRY_ENDPOINTS")
    for method, path, body in INDEX_CALLS:
        answer = gateway.request(method, path, {**JSON_HEADERS, "Host": "attacker.example",
                                                "Authorization": basic(*ADMIN)}, body,
                                 authorizer={"scheme": "header"} if method != "GET" else None,
                                 domain_name="registry.example.com")
        assert answer.status_code in (200, 204), (path, answer.body)
        assert answer.headers["X-Docker-Endpoints"] == "registry.example.com", path


def test_endpoints_4_4_configured_win_over_the_domain_name(client):
    import gateway
    from conftest import basic, ADMIN
    answer = gateway.request("GET", "/v1/repositories/ns/repo/images",
                             {"Authorization": basic(*ADMIN)}, domain_name="other.example.com")
    assert answer.headers["X-Docker-Endpoints"] == ENDPOINTS


# ---- §4.1: tokens only on Index calls, never on registry routes ----

def test_registry_routes_4_1_never_send_a_token(client):
    image = put_image(client.http)
    put_tag(client.http, "ns/repo", "latest", image.id)
    paths = ["/v1/_ping", f"/v1/images/{image.id}/json", f"/v1/images/{image.id}/ancestry",
             f"/v1/images/{image.id}/layer", "/v1/repositories/ns/repo/tags",
             "/v1/repositories/ns/repo/tags/latest", "/v1/repositories/ns/repo/json"]
    for path in paths:
        response = client.http.get(path, headers=WANT_TOKEN)
        assert response.status_code in (200, 302), path
        assert "X-Docker-Token" not in response.headers, path
        assert "X-Docker-Endpoints" not in response.headers, path


# ---- §2.17 delete a repository ----

def test_delete_repository_2_17_removes_tags_and_list_keeps_images(client):
    image = put_image(client.http)
    put_repository(client.http, "ns/repo", [image.id])
    put_tag(client.http, "ns/repo", "latest", image.id)
    put_tag(client.http, "ns/repo", "v1", image.id)
    response = client.http.delete("/v1/repositories/ns/repo/")
    assert (response.status_code, response.body) == (200, b"true")
    for path in ["/v1/repositories/ns/repo/tags", "/v1/repositories/ns/repo/images"]:
        assert client.http.get(path).status_code == 404, path
    assert client.http.get("/v1/repositories/ns/repo/tags/latest").status_code == 404
    assert client.http.get(f"/v1/images/{image.id}/json").status_code == 200
    again = client.http.delete("/v1/repositories/ns/repo/")
    assert (again.status_code, error_of(again)) == (404, "Repository not found")


def test_delete_repository_4_11_single_component_is_library(client):
    library = client.pushing_to("foo")
    image = put_image(library)
    assert put_tag(library, "foo", "latest", image.id).status_code == 200
    assert client.http.delete("/v1/repositories/foo/").status_code == 200
    assert client.http.get("/v1/repositories/library/foo/tags").status_code == 404


def test_delete_repository_2_17_leaves_other_repositories(client):
    image = put_image(client.http)
    create_repository(client.http, "ns/repo2")
    put_tag(client.http, "ns/repo", "latest", image.id)
    put_tag(client.http, "ns/repo2", "latest", image.id)
    assert client.http.delete("/v1/repositories/ns/repo/").status_code == 200
    assert json.loads(client.http.get("/v1/repositories/ns/repo2/tags").body) == {
        "latest": image.id}


def test_put_repository_3_4_an_image_listed_once_per_tag_is_one_entry(client):
    """docker lists an image once per tag it carries (§3.4): repeated ids in one list (and in
    one DynamoDB batch) are one image of the list, the checksum kept."""
    image_id = new_id()
    body = json.dumps([{"id": image_id, "Tag": "a"}, {"id": image_id, "Tag": "b"},
                       {"id": image_id, "checksum": "sha256:ab"}, {"id": image_id}]).encode()
    response = client.http.put("/v1/repositories/ns/dup/", body=body, headers=JSON_HEADERS)
    assert response.status_code == 200, response.body
    listed = json.loads(client.http.get("/v1/repositories/ns/dup/images").body)
    assert listed == [{"id": image_id, "checksum": "sha256:ab"}]
