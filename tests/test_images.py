"""`/v1/images/<id>/...`: json, layer, checksum, ancestry and the upload state machine
(spec §2.3–2.9, §4.13, §4.18, §4.20), through the chalice test client over moto."""
import hashlib
import json
from email.utils import parsedate_to_datetime

import pytest
import requests

from helpers import (JSON_HEADERS, LAYER_HEADERS, error_of, image_json, new_id,
                     payload_checksum, put_image, stored_state)

BEING_UPLOADED = "Image is being uploaded, retry later"
ONE_YEAR = "public, max-age=31536000"


def put_json(http, image_id, body):
    return http.put(f"/v1/images/{image_id}/json", body=body, headers=JSON_HEADERS)


def put_layer(http, image_id, body, headers=None):
    return http.put(f"/v1/images/{image_id}/layer", body=body,
                    headers={**LAYER_HEADERS, **(headers or {})})


def put_checksum(http, image_id, checksum):
    headers = {} if checksum is None else {"X-Docker-Checksum-Payload": checksum,
                                           "X-Docker-Checksum": "tarsum+sha256:" + "0" * 64}
    return http.put(f"/v1/images/{image_id}/checksum", body=b"", headers=headers)


def assert_true(response):
    assert (response.status_code, response.body) == (200, b"true")


def assert_error(response, status, message):
    assert response.status_code == status, response.body
    assert error_of(response) == message


def assert_immutable_headers(response):
    assert response.headers["Cache-Control"] == ONE_YEAR
    assert response.headers["Last-Modified"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    parsedate_to_datetime(response.headers["Expires"])        # RFC 1123 date


# ---- §2.3 PUT json ----

def test_put_json_2_3_answers_true(client):
    image_id = new_id()
    assert_true(put_json(client.http, image_id, image_json(image_id)))


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"a string"', b"", b"\xff\xfe"])
def test_put_json_2_3_invalid_json_is_400(client, body):
    assert_error(put_json(client.http, new_id(), body), 400, "Invalid JSON")


def test_put_json_2_3_missing_id_is_400(client):
    assert_error(put_json(client.http, new_id(), b'{"parent": null}'), 400,
                 "Missing key `id' in JSON")


def test_put_json_2_3_id_other_than_path_is_400(client):
    assert_error(put_json(client.http, new_id(), image_json(new_id())), 400,
                 "JSON data contains invalid id")


def test_put_json_2_3_non_existing_parent_is_400(client):
    image_id = new_id()
    assert_error(put_json(client.http, image_id, image_json(image_id, parent=new_id())), 400,
                 "Image depends on a non existing parent")


def test_put_json_4_20_parent_still_uploading_counts_as_non_existing(client):
    parent = put_image(client.http, complete=False)
    image_id = new_id()
    assert_error(put_json(client.http, image_id, image_json(image_id, parent=parent.id)), 400,
                 "Image depends on a non existing parent")


def test_put_json_2_3_invalid_parent_id_is_400(client):
    image_id = new_id()
    body = json.dumps({"id": image_id, "parent": "../etc"}).encode()
    assert_error(put_json(client.http, image_id, body), 400, "Invalid parent ID")


def test_put_json_5_9_completed_image_is_409_already_exists(client):
    image = put_image(client.http)
    assert_error(put_json(client.http, image.id, image.json), 409, "Image already exists")


def test_put_json_4_20_retry_while_uploading_replaces_json_and_checksum(client):
    image_id = new_id()
    first = image_json(image_id)
    second = json.dumps({"id": image_id, "comment": "retried"}).encode()
    assert_true(put_json(client.http, image_id, first))
    assert_true(put_layer(client.http, image_id, b"abc"))
    assert_true(put_json(client.http, image_id, second))      # retry: still uploading
    # The layer checksum seeded with the first JSON no longer applies (§2.3 step 8).
    assert_error(put_checksum(client.http, image_id, payload_checksum(first, b"abc")), 400,
                 "Checksum mismatch")
    assert_true(put_layer(client.http, image_id, b"abc"))
    assert_true(put_checksum(client.http, image_id, payload_checksum(second, b"abc")))
    assert client.http.get(f"/v1/images/{image_id}/json").body == second


def test_put_json_4_20_other_json_discards_the_layer_of_the_old_json(client, aws):
    image = put_image(client.http, complete=False)
    other = json.dumps({"id": image.id, "comment": "changed"}).encode()
    assert len(stored_state(aws)["s3"]) == 1
    assert_true(put_json(client.http, image.id, other))
    assert stored_state(aws)["s3"] == []                      # nothing left orphaned
    assert_true(put_layer(client.http, image.id, image.layer))
    assert_true(put_checksum(client.http, image.id, payload_checksum(other, image.layer)))


def test_put_json_4_20_same_bytes_again_keep_the_uploaded_layer(client, aws):
    image = put_image(client.http, complete=False)
    before = stored_state(aws)
    assert_true(put_json(client.http, image.id, image.json))  # a retry or a racing push
    assert stored_state(aws) == before
    assert_true(put_checksum(client.http, image.id, image.checksum))


def test_put_json_413_over_json_limit_stores_nothing(client, aws):
    image_id = new_id()
    body = json.dumps({"id": image_id, "pad": "x" * 300_000}).encode()
    before = stored_state(aws)
    response = put_json(client.http, image_id, body)
    assert response.status_code == 413 and error_of(response)
    assert stored_state(aws) == before


# ---- §2.6 GET json ----

def test_get_json_2_6_returns_stored_bytes_verbatim_with_headers(client):
    image_id = new_id()
    odd = ('{ "parent":null ,\n\t"id" :  "%s",  "created":"2015-05-01T10:00:00Z",'
           '"config": {"Cmd": ["sh"]}, "z": 1.50 }' % image_id).encode()
    layer = b"\x1f\x8b" + bytes(range(256)) * 10
    assert_true(put_json(client.http, image_id, odd))
    assert_true(put_layer(client.http, image_id, layer))
    assert_true(put_checksum(client.http, image_id, payload_checksum(odd, layer)))
    response = client.http.get(f"/v1/images/{image_id}/json")
    assert response.status_code == 200
    assert response.body == odd
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Docker-Size"] == str(len(layer))
    assert response.headers["X-Docker-Checksum-Payload"] == payload_checksum(odd, layer)
    assert_immutable_headers(response)


@pytest.mark.parametrize("resource", ["json", "layer", "ancestry"])
def test_get_4_18_if_modified_since_is_304_with_cache_headers(client, resource):
    image = put_image(client.http)
    response = client.http.get(f"/v1/images/{image.id}/{resource}",
                               headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"})
    assert (response.status_code, response.body) == (304, b"")
    assert_immutable_headers(response)


@pytest.mark.parametrize("resource", ["json", "layer", "ancestry"])
def test_get_4_18_if_modified_since_still_checks_existence(client, resource):
    response = client.http.get(f"/v1/images/{new_id()}/{resource}",
                               headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"})
    assert_error(response, 404, "Image not found")


@pytest.mark.parametrize("resource", ["json", "layer", "ancestry"])
def test_get_2_6_unknown_image_is_404(client, resource):
    assert_error(client.http.get(f"/v1/images/{new_id()}/{resource}"), 404, "Image not found")


@pytest.mark.parametrize("resource", ["json", "layer", "ancestry"])
@pytest.mark.parametrize("stage", ["json", "layer", "mismatch"])
def test_get_4_20_unfinished_image_is_400_being_uploaded(client, resource, stage):
    image_id = new_id()
    assert_true(put_json(client.http, image_id, image_json(image_id)))
    if stage in ("layer", "mismatch"):
        assert_true(put_layer(client.http, image_id, b"abc"))
    if stage == "mismatch":
        put_checksum(client.http, image_id, "sha256:" + "0" * 64)
    assert_error(client.http.get(f"/v1/images/{image_id}/{resource}"), 400, BEING_UPLOADED)


# ---- §2.4 PUT layer ----

def test_put_layer_2_4_before_json_is_404_and_stores_nothing(client, aws):
    before = stored_state(aws)
    assert_error(put_layer(client.http, new_id(), b"abc"), 404, "Image not found")
    assert stored_state(aws) == before


def test_put_layer_4_20_after_completion_is_409(client, aws):
    image = put_image(client.http)
    before = stored_state(aws)
    assert_error(put_layer(client.http, image.id, b"other"), 409, "Image already exists")
    assert stored_state(aws) == before


def test_put_layer_413_over_inline_limit_leaves_image_retryable(client, aws, env):
    env.setenv("REGISTRY_INLINE_LAYER_LIMIT", "10")
    image_id = new_id()
    body = image_json(image_id)
    assert_true(put_json(client.http, image_id, body))
    before = stored_state(aws)
    response = put_layer(client.http, image_id, b"x" * 11)
    assert response.status_code == 413
    assert "X-Registry-Upload: redirect" in error_of(response)
    assert stored_state(aws) == before
    assert_true(put_layer(client.http, image_id, b"x" * 10))          # at the limit: inline
    assert_true(put_checksum(client.http, image_id, payload_checksum(body, b"x" * 10)))


def test_put_layer_4_20_replacing_a_layer_deletes_the_old_object(client, aws):
    image_id = new_id()
    assert_true(put_json(client.http, image_id, image_json(image_id)))
    assert_true(put_layer(client.http, image_id, b"first"))
    assert_true(put_layer(client.http, image_id, b"second"))
    sizes = [size for _key, size, _etag in stored_state(aws)["s3"]]
    assert sizes == [len(b"second")]


def test_put_layer_unknown_upload_mode_is_400(client):
    image = put_image(client.http, complete=False)
    assert_error(put_layer(client.http, image.id, b"", {"X-Registry-Upload": "stream"}),
                 400, "X-Registry-Upload must be 'redirect' or 'multipart'")


# ---- §2.5 PUT checksum ----

def test_put_checksum_2_5_missing_header_is_412(client):
    image = put_image(client.http, complete=False)
    response = put_checksum(client.http, image.id, None)
    assert response.status_code == 412
    assert "X-Docker-Checksum-Payload" in error_of(response)


def test_put_checksum_2_5_empty_header_is_400(client):
    image = put_image(client.http, complete=False)
    assert_error(put_checksum(client.http, image.id, ""), 400, "Missing Image's checksum")


def test_put_checksum_2_5_unknown_image_is_404(client):
    assert_error(put_checksum(client.http, new_id(), "sha256:" + "0" * 64), 404,
                 "Image not found")


def test_put_checksum_2_5_mismatch_is_400_and_image_stays_retryable(client, aws):
    image = put_image(client.http, complete=False)
    before = stored_state(aws)
    assert_error(put_checksum(client.http, image.id, payload_checksum(b"{}", image.layer)), 400,
                 "Checksum mismatch")
    assert stored_state(aws) == before
    assert_true(put_checksum(client.http, image.id, image.checksum))
    assert client.http.get(f"/v1/images/{image.id}/json").status_code == 200


def test_put_checksum_4_20_before_layer_is_mismatch(client):
    image_id = new_id()
    body = image_json(image_id)
    assert_true(put_json(client.http, image_id, body))
    assert_error(put_checksum(client.http, image_id, payload_checksum(body, b"")), 400,
                 "Checksum mismatch")


def test_put_checksum_2_5_completed_image_is_409(client):
    image = put_image(client.http)
    assert_error(put_checksum(client.http, image.id, "sha256:" + "1" * 64), 409,
                 "Cannot set this image checksum")


def test_put_checksum_5_9_completed_with_the_same_checksum_is_image_already_exists(client):
    """A racing push of the same bytes completed it first: docker skips on this error (§5.9)."""
    image = put_image(client.http)
    assert_error(put_checksum(client.http, image.id, image.checksum), 409, "Image already exists")


def test_state_machine_4_20_full_walk(client):
    """Every transition of §4.20 in order, for one image."""
    image_id, layer = new_id(), b"layer"
    body = image_json(image_id)
    url = f"/v1/images/{image_id}/json"
    assert_error(put_layer(client.http, image_id, layer), 404, "Image not found")  # absent
    assert_true(put_json(client.http, image_id, body))                  # → IN_PROGRESS
    assert_error(client.http.get(url), 400, BEING_UPLOADED)
    assert_true(put_json(client.http, image_id, body))                  # retry stays
    assert_true(put_layer(client.http, image_id, layer))
    assert_error(client.http.get(url), 400, BEING_UPLOADED)
    assert_error(put_checksum(client.http, image_id, "sha256:" + "1" * 64), 400,
                 "Checksum mismatch")                                    # stays IN_PROGRESS
    assert_true(put_checksum(client.http, image_id, payload_checksum(body, layer)))  # COMPLETE
    assert client.http.get(url).status_code == 200
    assert_error(put_json(client.http, image_id, body), 409, "Image already exists")
    assert_error(put_layer(client.http, image_id, layer), 409, "Image already exists")
    assert_error(put_checksum(client.http, image_id, payload_checksum(body, b"other")), 409,
                 "Cannot set this image checksum")
    assert_error(put_checksum(client.http, image_id, payload_checksum(body, layer)), 409,
                 "Image already exists")                                 # §5.9: a racer won
    assert client.http.get(url).body == body


# ---- §2.7 GET layer (302 to S3) and §4.17 ranges ----

def test_get_layer_2_7_redirects_to_presigned_s3_url_with_the_bytes(client):
    layer = bytes(range(256)) * 1000
    image = put_image(client.http, layer=layer)
    response = client.http.get(f"/v1/images/{image.id}/layer")
    assert (response.status_code, response.body) == (302, b"")
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["X-Docker-Size"] == str(len(layer))
    location = response.headers["Location"]
    # The blob, content-addressed (never the upload key a client could still write to).
    blob = "blobs/sha256/" + hashlib.sha256(layer).hexdigest()
    assert "X-Amz-Signature=" in location and blob + "?" in location
    fetched = requests.get(location)                     # moto answers the presigned GET
    assert (fetched.status_code, fetched.content) == (200, layer)
    ranged = requests.get(location, headers={"Range": f"bytes=1000-{len(layer)}"})
    assert ranged.status_code == 206
    assert ranged.content == layer[1000:]
    assert ranged.headers["Content-Range"] == f"bytes 1000-{len(layer) - 1}/{len(layer)}"


@pytest.mark.parametrize("value", ["bytes=10-", "bytes=11-", "bytes=15-19", "Bytes = 10 - 20",
                                   "bytes=" + "9" * 30 + "-", "bytes=" + "0" * 5000 + "10-"])
def test_get_layer_4_17_range_from_the_end_or_past_it_is_416_without_a_body(client, value):
    image = put_image(client.http, layer=b"0123456789")
    response = client.http.get(f"/v1/images/{image.id}/layer", headers={"Range": value})
    assert (response.status_code, response.body) == (416, b"")
    assert response.headers["Content-Range"] == "bytes */10"
    assert "Location" not in response.headers


@pytest.mark.parametrize("value", ["bytes=9-", "bytes=0-", "bytes=3-100", "bytes=-5",
                                   "bytes=0-1,20-30", "items=20-", "bytes=x-"])
def test_get_layer_4_17_satisfiable_or_other_ranges_go_to_s3(client, value):
    layer = b"0123456789"
    image = put_image(client.http, layer=layer)
    response = client.http.get(f"/v1/images/{image.id}/layer", headers={"Range": value})
    assert response.status_code == 302
    assert response.headers["X-Docker-Size"] == str(len(layer))


def test_get_layer_4_17_any_range_of_an_empty_layer_is_416(client):
    image = put_image(client.http, layer=b"")
    response = client.http.get(f"/v1/images/{image.id}/layer", headers={"Range": "bytes=0-"})
    assert (response.status_code, response.headers["Content-Range"]) == (416, "bytes */0")


def test_get_layer_2_7_empty_layer_has_size_zero(client):
    image = put_image(client.http, layer=b"")
    response = client.http.get(f"/v1/images/{image.id}/layer")
    assert response.headers["X-Docker-Size"] == "0"
    assert requests.get(response.headers["Location"]).content == b""


# ---- §2.8 HEAD: like GET ----

VARYING = {"Expires", "Location"}        # a date, and a presigned URL signed per call


@pytest.mark.parametrize("resource", ["json", "layer", "ancestry"])
def test_head_2_8_answers_like_get_in_every_state(client, resource):
    complete = put_image(client.http, layer=b"0123456789")
    uploading = put_image(client.http, complete=False)
    cases = [(complete.id, {}), (uploading.id, {}), (new_id(), {}), ("A" * 64, {}),
             (complete.id, {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}),
             (complete.id, {"Range": "bytes=10-"}),
             (complete.id, {"Authorization": "Token signature=forged"})]
    for image_id, headers in cases:
        path = f"/v1/images/{image_id}/{resource}"
        get, head = client.http.get(path, headers=headers), client.http.head(path, headers=headers)
        assert head.status_code == get.status_code, (path, headers)
        assert {k: v for k, v in head.headers.items() if k not in VARYING} == \
            {k: v for k, v in get.headers.items() if k not in VARYING}, (path, headers)
        assert set(head.headers) & VARYING == set(get.headers) & VARYING
    assert client.http.head(f"/v1/images/{complete.id}/{resource}").status_code in (200, 302)


# ---- redirected upload (X-Registry-Upload: redirect) ----

def start_redirect(client, image_id):
    response = put_layer(client.http, image_id, b"", {"X-Registry-Upload": "redirect"})
    assert (response.status_code, response.body) == (307, b"")
    return response.headers["Location"]


def test_redirected_upload_307_presigned_put_then_checksum_hashes_s3(client):
    image = put_image(client.http, complete=False, layer=b"")
    layer = b"\x1f\x8b redirected " * 5000
    location = start_redirect(client, image.id)
    assert "X-Amz-Signature=" in location
    assert requests.put(location, data=layer).status_code == 200
    assert_true(put_checksum(client.http, image.id, payload_checksum(image.json, layer)))
    response = client.http.get(f"/v1/images/{image.id}/layer")
    assert response.headers["X-Docker-Size"] == str(len(layer))
    assert requests.get(response.headers["Location"]).content == layer
    json_response = client.http.get(f"/v1/images/{image.id}/json")
    assert json_response.headers["X-Docker-Checksum-Payload"] == payload_checksum(image.json, layer)


def test_redirected_upload_wrong_object_is_mismatch_then_retryable(client, aws):
    image = put_image(client.http, complete=False, layer=b"")
    layer = b"the right bytes"
    assert requests.put(start_redirect(client, image.id), data=b"wrong bytes").status_code == 200
    assert_error(put_checksum(client.http, image.id, payload_checksum(image.json, layer)), 400,
                 "Checksum mismatch")
    assert_error(client.http.get(f"/v1/images/{image.id}/layer"), 400, BEING_UPLOADED)
    assert requests.put(start_redirect(client, image.id), data=layer).status_code == 200
    assert_true(put_checksum(client.http, image.id, payload_checksum(image.json, layer)))
    assert len(stored_state(aws)["s3"]) == 1           # the wrong object was replaced


def test_redirected_upload_nothing_uploaded_is_mismatch(client):
    image = put_image(client.http, complete=False, layer=b"")
    start_redirect(client, image.id)
    assert_error(put_checksum(client.http, image.id, payload_checksum(image.json, b"")), 400,
                 "Checksum mismatch")


def test_redirected_upload_before_json_is_404_and_after_completion_409(client):
    assert_error(put_layer(client.http, new_id(), b"", {"X-Registry-Upload": "redirect"}),
                 404, "Image not found")
    image = put_image(client.http)
    assert_error(put_layer(client.http, image.id, b"", {"X-Registry-Upload": "redirect"}),
                 409, "Image already exists")


# ---- §2.9 ancestry ----

def test_ancestry_2_9_is_self_first_then_parents_to_base(client):
    base = put_image(client.http)
    middle = put_image(client.http, parent=base.id)
    top = put_image(client.http, parent=middle.id)
    for image, expected in [(top, [top.id, middle.id, base.id]), (middle, [middle.id, base.id]),
                            (base, [base.id])]:
        response = client.http.get(f"/v1/images/{image.id}/ancestry")
        assert response.status_code == 200
        assert json.loads(response.body) == expected
        assert response.headers["Content-Type"] == "application/json"
        assert_immutable_headers(response)
