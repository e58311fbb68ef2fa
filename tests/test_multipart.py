"""Multipart layer uploads through presigned part URLs (spec §2.4, §2.5, §4.13.1, §4.20;
the plan itself is this registry's extension, README "Layer uploads"), over moto in process."""
import json
import os

import boto3
import pytest
import requests

from helpers import image_json, new_id, payload_checksum

MIB = 1024 * 1024
PART = 5 * MIB          # S3's (and moto's) smallest part but the last


@pytest.fixture
def http(env, client):
    env.setenv("REGISTRY_MULTIPART_PART_SIZE", str(PART))
    return client.http


def error_of(response):
    assert response.headers["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.body)["error"]


def new_image(http):
    image_id = new_id()
    body = image_json(image_id)
    response = http.put(f"/v1/images/{image_id}/json", body=body,
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    return image_id, body


def start(http, image_id, size):
    return http.put(f"/v1/images/{image_id}/layer", body=b"", headers={
        "X-Registry-Upload": "multipart", "X-Registry-Layer-Size": str(size)})


def upload_parts(plan, layer):
    size = plan["part_size"]
    etags = []
    for part in plan["parts"]:
        start_at = (part["number"] - 1) * size
        response = requests.put(part["url"], data=layer[start_at:start_at + size])
        assert response.status_code == 200
        etags.append({"number": part["number"], "etag": response.headers["ETag"]})
    return etags


def complete(http, image_id, upload_id, parts):
    return http.post(f"/v1/images/{image_id}/layer/multipart",
                     body=json.dumps({"upload_id": upload_id, "parts": parts}).encode(),
                     headers={"Content-Type": "application/json"})


def put_checksum(http, image_id, checksum):
    return http.put(f"/v1/images/{image_id}/checksum", body=b"",
                    headers={"X-Docker-Checksum-Payload": checksum})


def open_uploads(settings):
    listing = boto3.client("s3", region_name=settings.region).list_multipart_uploads(
        Bucket=settings.bucket)
    return [upload["UploadId"] for upload in listing.get("Uploads", [])]


def test_multipart_plan_parts_complete_then_checksum_2_5(http, aws):
    image_id, body = new_image(http)
    layer = os.urandom(2 * PART + 12345)
    response = start(http, image_id, len(layer))
    assert response.status_code == 200
    plan = json.loads(response.body)
    assert sorted(plan) == ["part_size", "parts", "upload_id"]
    assert plan["part_size"] == PART
    assert [part["number"] for part in plan["parts"]] == [1, 2, 3]

    parts = upload_parts(plan, layer)
    # A retried part: the second upload of a part number replaces the first (S3 semantics).
    retried = requests.put(plan["parts"][1]["url"], data=layer[PART:2 * PART])
    parts[1]["etag"] = retried.headers["ETag"]
    assert (complete(http, image_id, plan["upload_id"], parts).body) == b"true"
    assert open_uploads(aws) == []

    assert put_checksum(http, image_id, payload_checksum(body, layer)).body == b"true"
    layer_get = http.get(f"/v1/images/{image_id}/layer")
    assert layer_get.status_code == 302
    assert layer_get.headers["X-Docker-Size"] == str(len(layer))
    assert requests.get(layer_get.headers["Location"]).content == layer


def test_multipart_checksum_before_completion_is_400_4_20(http):
    image_id, body = new_image(http)
    layer = os.urandom(PART + 1)
    plan = json.loads(start(http, image_id, len(layer)).body)
    upload_parts(plan, layer)
    assert error_of(put_checksum(http, image_id, payload_checksum(body, layer))) == (
        400, "Multipart upload not completed")


def test_multipart_wrong_checksum_after_completion_is_400_4_13_1(http):
    image_id, body = new_image(http)
    layer = os.urandom(1000)
    plan = json.loads(start(http, image_id, len(layer)).body)
    assert len(plan["parts"]) == 1
    assert complete(http, image_id, plan["upload_id"], upload_parts(plan, layer)).body == b"true"
    assert error_of(put_checksum(http, image_id, payload_checksum(body, b"other"))) == (
        400, "Checksum mismatch")


def test_multipart_completion_errors_keep_the_upload_usable(http, aws):
    image_id, body = new_image(http)
    layer = os.urandom(PART + 10)
    plan = json.loads(start(http, image_id, len(layer)).body)
    parts = upload_parts(plan, layer)

    assert error_of(complete(http, image_id, "not-the-upload", parts)) == (
        404, "Multipart upload not found")
    bad_etag = [parts[0], {"number": 2, "etag": '"0000"'}]
    assert error_of(complete(http, image_id, plan["upload_id"], bad_etag)) == (
        400, "S3 refused the part list: InvalidPart")
    for junk in (b"", b"[]", b'{"upload_id": 1, "parts": []}',
                 b'{"upload_id": "x", "parts": [{"number": "1", "etag": "e"}]}'):
        response = http.post(f"/v1/images/{image_id}/layer/multipart", body=junk)
        assert response.status_code == 400, junk

    assert complete(http, image_id, plan["upload_id"], parts).body == b"true"
    assert put_checksum(http, image_id, payload_checksum(body, layer)).body == b"true"


def test_new_upload_aborts_the_unfinished_multipart_upload_4_20(http, aws):
    image_id, body = new_image(http)
    first = json.loads(start(http, image_id, 100).body)
    second = json.loads(start(http, image_id, 100).body)
    assert open_uploads(aws) == [second["upload_id"]]
    assert error_of(complete(http, image_id, first["upload_id"], [{"number": 1, "etag": "e"}])) \
        == (404, "Multipart upload not found")
    redirect = http.put(f"/v1/images/{image_id}/layer", body=b"",
                        headers={"X-Registry-Upload": "redirect"})
    assert redirect.status_code == 307
    assert open_uploads(aws) == []


@pytest.mark.parametrize("size", [None, "", "0", "-5", "12abc", str(5 * 1024 ** 4 + 1),
                                  "\u00b2", "\u0661\u0662", "1_000", " 5", "+5", "5.0"])
def test_multipart_layer_size_must_be_a_byte_count(http, size):
    image_id, _ = new_image(http)
    headers = {"X-Registry-Upload": "multipart"}
    if size is not None:
        headers["X-Registry-Layer-Size"] = size
    response = http.put(f"/v1/images/{image_id}/layer", body=b"", headers=headers)
    assert response.status_code == 400
    assert "X-Registry-Layer-Size" in error_of(response)[1]


def test_multipart_completion_with_an_empty_etag_is_400_and_changes_nothing(http, aws):
    from helpers import stored_state
    image_id, body = new_image(http)
    layer = os.urandom(100)
    plan = json.loads(start(http, image_id, len(layer)).body)
    parts = upload_parts(plan, layer)
    before = stored_state(aws)
    for etag in ("", None, 5):
        response = complete(http, image_id, plan["upload_id"], [{"number": 1, "etag": etag}])
        assert error_of(response)[0] == 400, etag
    assert stored_state(aws) == before
    assert complete(http, image_id, plan["upload_id"], parts).body == b"true"
    assert put_checksum(http, image_id, payload_checksum(body, layer)).body == b"true"


def test_multipart_plan_keeps_to_1000_parts(http):
    image_id, _ = new_image(http)
    size = 10 * 1024 ** 3
    plan = json.loads(start(http, image_id, size).body)
    assert plan["part_size"] == -(-size // 1000)
    assert len(plan["parts"]) == 1000


def test_multipart_on_complete_image_is_409_4_20(http):
    image_id, body = new_image(http)
    layer = b"small layer"
    http.put(f"/v1/images/{image_id}/layer", body=layer)
    assert put_checksum(http, image_id, payload_checksum(body, layer)).body == b"true"
    assert error_of(start(http, image_id, 10)) == (409, "Image already exists")
    assert error_of(complete(http, image_id, "x", [{"number": 1, "etag": "e"}])) == (
        409, "Image already exists")


def test_multipart_unknown_image_is_404(http):
    assert error_of(start(http, new_id(), 10)) == (404, "Image not found")


def test_unknown_upload_mode_is_400(http):
    image_id, _ = new_image(http)
    response = http.put(f"/v1/images/{image_id}/layer", body=b"",
                        headers={"X-Registry-Upload": "stream"})
    assert error_of(response) == (400, "X-Registry-Upload must be 'redirect' or 'multipart'")
