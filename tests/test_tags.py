"""Tags and repository JSON (spec §2.13–2.16, §2.18, §2.19) and single-component names
(§4.11), through the chalice test client over moto."""
import json
import time

import pytest

from helpers import JSON_HEADERS, error_of, new_id, put_image, put_tag

DOCKER_UA = ("docker/1.6.2 go/go1.4.2 git-commit/7c8fca2 kernel/3.16.0-4-AMD64 "
             "os/Linux arch/AMD64")
DEFAULTS = {"last_update": None, "docker_version": None, "docker_go_version": None,
            "arch": "amd64", "os": "linux", "kernel": None}


def get_json(http, path):
    response = http.get(path)
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "application/json"
    return json.loads(response.body)


def test_put_tag_2_15_then_get_tag_2_14_is_a_bare_json_string(client):
    image = put_image(client.http)
    response = put_tag(client.http, "ns/repo", "latest", image.id)
    assert (response.status_code, response.body) == (200, b"true")
    response = client.http.get("/v1/repositories/ns/repo/tags/latest")
    assert response.status_code == 200
    assert response.body == b'"' + image.id.encode() + b'"'
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-cache"


def test_get_tags_2_13_is_an_object_of_tag_to_id(client):
    first, second = put_image(client.http), put_image(client.http)
    for tag, image in [("latest", second), ("1.0", first), ("1.0_rc-1", first)]:
        assert put_tag(client.http, "ns/repo", tag, image.id).status_code == 200
    assert get_json(client.http, "/v1/repositories/ns/repo/tags") == {
        "latest": second.id, "1.0": first.id, "1.0_rc-1": first.id}


def test_put_tag_2_15_moves_an_existing_tag(client):
    first, second = put_image(client.http), put_image(client.http)
    put_tag(client.http, "ns/repo", "latest", first.id)
    put_tag(client.http, "ns/repo", "latest", second.id)
    assert get_json(client.http, "/v1/repositories/ns/repo/tags/latest") == second.id


def test_get_tags_2_13_repository_without_tags_is_empty_object(client):
    put = client.http.put("/v1/repositories/ns/repo/", body=b"[]", headers=JSON_HEADERS)
    assert put.status_code == 200
    assert get_json(client.http, "/v1/repositories/ns/repo/tags") == {}


def test_get_tags_2_13_unknown_repository_is_404(client):
    response = client.http.get("/v1/repositories/ns/nothing/tags")
    assert (response.status_code, error_of(response)) == (404, "Repository not found")


def test_get_tag_2_14_unknown_tag_is_404(client):
    image = put_image(client.http)
    put_tag(client.http, "ns/repo", "latest", image.id)
    for path in ["/v1/repositories/ns/repo/tags/other", "/v1/repositories/ns/none/tags/latest"]:
        response = client.http.get(path)
        assert (response.status_code, error_of(response)) == (404, "Tag not found")


def test_put_tag_2_15_missing_image_is_404(client):
    response = put_tag(client.http, "ns/repo", "latest", new_id())
    assert (response.status_code, error_of(response)) == (404, "Image not found")
    assert get_json(client.http, "/v1/repositories/ns/repo/tags") == {}


def test_put_tag_4_20_image_with_only_json_may_be_tagged(client):
    image = put_image(client.http, complete=False)
    assert put_tag(client.http, "ns/repo", "latest", image.id).status_code == 200
    tag = client.http.get("/v1/repositories/ns/repo/tags/latest")
    assert (tag.status_code, json.loads(tag.body)) == (200, image.id)


def test_put_tag_2_15_invalid_tag_name_is_400(client):
    image = put_image(client.http)
    response = put_tag(client.http, "ns/repo", "-bad", image.id)
    assert response.status_code == 400
    assert error_of(response) == "Invalid tag name (must match ^[\\w][\\w.-]{0,127}$)"


@pytest.mark.parametrize("body", [b"", b"not json", b"42", b"null", b'["x"]', b'{"id": "x"}'])
def test_put_tag_2_15_body_not_a_json_string_is_400_invalid_data(client, body):
    response = client.http.put("/v1/repositories/ns/repo/tags/latest", body=body,
                               headers=JSON_HEADERS)
    assert (response.status_code, error_of(response)) == (400, "Invalid data")


def test_delete_tag_2_16(client):
    image = put_image(client.http)
    put_tag(client.http, "ns/repo", "latest", image.id)
    put_tag(client.http, "ns/repo", "keep", image.id)
    response = client.http.delete("/v1/repositories/ns/repo/tags/latest")
    assert (response.status_code, response.body) == (200, b"true")
    assert get_json(client.http, "/v1/repositories/ns/repo/tags") == {"keep": image.id}
    assert client.http.get(f"/v1/images/{image.id}/json").status_code == 200   # image kept
    again = client.http.delete("/v1/repositories/ns/repo/tags/latest")
    assert (again.status_code, error_of(again)) == (404, "Tag not found: latest")


def test_repository_json_2_18_defaults_when_nothing_stored(client):
    assert get_json(client.http, "/v1/repositories/ns/unknown/json") == DEFAULTS
    assert get_json(client.http, "/v1/repositories/ns/unknown/tags/latest/json") == DEFAULTS


def test_repository_json_2_18_from_user_agent_of_latest_push(client):
    image = put_image(client.http)
    before = int(time.time())
    put_tag(client.http, "ns/repo", "latest", image.id, {"User-Agent": DOCKER_UA})
    metadata = get_json(client.http, "/v1/repositories/ns/repo/json")
    assert before <= metadata.pop("last_update") <= time.time()
    assert metadata == {"docker_version": "1.6.2", "docker_go_version": "go1.4.2",
                        "arch": "amd64", "os": "linux", "kernel": "3.16.0-4-amd64"}
    tag_metadata = get_json(client.http, "/v1/repositories/ns/repo/tags/latest/json")
    tag_metadata.pop("last_update")
    assert tag_metadata == metadata


def test_tag_json_2_19_other_tags_keep_repository_json(client):
    image = put_image(client.http)
    put_tag(client.http, "ns/repo", "1.0", image.id, {"User-Agent": "docker/1.12.6 os/linux"})
    assert get_json(client.http, "/v1/repositories/ns/repo/json") == DEFAULTS
    tag_metadata = get_json(client.http, "/v1/repositories/ns/repo/tags/1.0/json")
    assert isinstance(tag_metadata.pop("last_update"), int)
    expected = {**DEFAULTS, "docker_version": "1.12.6"}
    del expected["last_update"]
    assert tag_metadata == expected


def test_delete_tag_2_16_latest_clears_repository_json(client):
    image = put_image(client.http)
    put_tag(client.http, "ns/repo", "latest", image.id, {"User-Agent": DOCKER_UA})
    assert client.http.delete("/v1/repositories/ns/repo/tags/latest").status_code == 200
    assert get_json(client.http, "/v1/repositories/ns/repo/json") == DEFAULTS


# ---- §4.11: a one-component name is library/<name> on every route ----

def test_single_component_names_4_11_are_library_on_every_tag_route(client):
    image = put_image(client.pushing_to("foo"))        # an image of namespace `library`
    assert put_tag(client.http, "foo", "latest", image.id, {"User-Agent": DOCKER_UA}) \
        .status_code == 200
    for suffix in ["/tags", "/tags/latest", "/tags/latest/json", "/json"]:
        assert get_json(client.http, f"/v1/repositories/foo{suffix}") == \
            get_json(client.http, f"/v1/repositories/library/foo{suffix}")
    assert get_json(client.http, "/v1/repositories/library/foo/tags/latest") == image.id
    put_tag(client.http, "library/foo", "v2", image.id)
    assert client.http.delete("/v1/repositories/foo/tags/v2").status_code == 200
    assert get_json(client.http, "/v1/repositories/library/foo/tags") == {"latest": image.id}


def test_single_component_name_4_12_that_looks_like_an_image_id_is_400(client):
    response = client.http.get(f"/v1/repositories/{new_id()}/tags")
    assert response.status_code == 400
    assert error_of(response) == "Invalid repository name (looks like an image ID)"


def test_put_tag_racing_transaction_is_409_not_image_not_found(client, monkeypatch):
    """DynamoDB cancels a transaction that races another on the same item with reason
    TransactionConflict (TransactWriteItems API reference); moto serialises transactions,
    so that answer is injected at botocore for this one call."""
    import botocore.client
    from botocore.exceptions import ClientError
    image = put_image(client.http)
    make_api_call = botocore.client.BaseClient._make_api_call

    def conflicting(self, operation, params):
        if operation == "TransactWriteItems":
            raise ClientError({"Error": {"Code": "TransactionCanceledException",
                                         "Message": "Transaction cancelled"},
                               "CancellationReasons": [{"Code": "None"}, {"Code": "None"}, {
                                   "Code": "TransactionConflict",
                                   "Message": "Transaction is ongoing for the item"}]},
                              operation)
        return make_api_call(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", conflicting)
    response = put_tag(client.http, "ns/repo", "latest", image.id)
    assert response.status_code == 409
    assert "retry" in error_of(response)
