"""How images are stored (issue 9): records keyed by namespace, layers content-addressed and
written only by the registry, unfinished uploads expiring, the digests v2 needs recorded,
ancestry capped (spec §4.13.1, §4.15, §4.20; v2-pull §3.6, §6)."""
import gzip
import hashlib
import io
import json
import tarfile
import time

import pytest
import requests

from helpers import JSON_HEADERS, LAYER_HEADERS, error_of, image_json, new_id, put_image


def tar_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        member = tarfile.TarInfo(name)
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def record(namespace: str, image_id: str):
    from chalicelib.store.models import Image
    return Image.get(namespace, image_id, consistent_read=True)


def objects(settings) -> list[str]:
    import boto3
    listing = boto3.client("s3").list_objects_v2(Bucket=settings.bucket).get("Contents", [])
    return sorted(item["Key"] for item in listing)


def test_completion_records_the_digests_v2_serves(client):
    tar = tar_of("etc/hostname", b"registry\n")
    layer = gzip.compress(tar)
    image = put_image(client.http, layer=layer)
    stored = record("ns", image.id)
    assert stored.blob_digest == "sha256:" + hashlib.sha256(layer).hexdigest()
    assert stored.diff_id == "sha256:" + hashlib.sha256(tar).hexdigest()
    assert (stored.compression, stored.layer_size) == ("gzip", len(layer))
    assert stored.payload_checksum == image.checksum


def test_a_plain_tar_layer_is_its_own_diff_id(client):
    tar = tar_of("a", b"plain")
    stored = record("ns", put_image(client.http, layer=tar).id)
    assert stored.compression == "none"
    assert stored.diff_id == stored.blob_digest == "sha256:" + hashlib.sha256(tar).hexdigest()


def test_layers_are_served_from_one_blob_per_digest_and_uploads_go(client, aws):
    layer = b"the same layer bytes"
    first = put_image(client.http, layer=layer)
    second = put_image(client.pushing_to("admin/other"), layer=layer)    # another namespace
    blob = "blobs/sha256/" + hashlib.sha256(layer).hexdigest()
    assert objects(aws) == [blob]                     # stored once; no upload left behind
    for http, image in ((client.http, first), (client.pushing_to("admin/other"), second)):
        response = http.get(f"/v1/images/{image.id}/layer")
        assert f"/{blob}?" in response.headers["Location"]
        assert requests.get(response.headers["Location"]).content == layer


def test_an_unfinished_upload_expires_and_a_complete_image_does_not(client, aws):
    """The record of an upload carries `expires_at` (a DynamoDB TTL attribute,
    infra/template.yaml) REGISTRY_UPLOAD_EXPIRY_SECONDS after its last write; completion
    removes it, so nothing complete is ever expired."""
    image = put_image(client.http, complete=False)
    pending = record("ns", image.id)
    assert pending.upload_key.startswith("uploads/")
    assert 0 < pending.expires_at - time.time() <= aws.upload_expiry_seconds
    done = client.http.put(f"/v1/images/{image.id}/checksum",
                           headers={"X-Docker-Checksum-Payload": image.checksum})
    assert done.status_code == 200
    complete = record("ns", image.id)
    assert (complete.status, complete.expires_at, complete.upload_key) == ("complete", None, None)


def test_a_redirected_upload_rewritten_after_completion_changes_nothing_served(client):
    image_id = new_id()
    json_bytes = image_json(image_id)
    assert client.http.put(f"/v1/images/{image_id}/json", body=json_bytes,
                           headers=JSON_HEADERS).status_code == 200
    redirect = client.http.put(f"/v1/images/{image_id}/layer", body=b"",
                               headers={**LAYER_HEADERS, "X-Registry-Upload": "redirect"})
    url = redirect.headers["Location"]
    assert requests.put(url, data=b"verified bytes").status_code == 200
    checksum = "sha256:" + hashlib.sha256(json_bytes + b"\n" + b"verified bytes").hexdigest()
    assert client.http.put(f"/v1/images/{image_id}/checksum",
                           headers={"X-Docker-Checksum-Payload": checksum}).status_code == 200
    assert requests.put(url, data=b"swapped bytes").status_code == 200     # the old URL
    served = client.http.get(f"/v1/images/{image_id}/layer").headers["Location"]
    assert requests.get(served).content == b"verified bytes"


def test_ancestry_is_capped_at_256_images(client):
    """§4.15: every image stores its ancestry; past 256 (docker stops at 127 layers) PUT json
    is refused, so no request nor item grows without bound."""
    from chalicelib.store.models import Ancestry
    deepest, deep = put_image(client.http), put_image(client.http)
    Ancestry("ns", deepest.id, ancestry=[deepest.id] + [new_id() for _ in range(255)]).save()
    Ancestry("ns", deep.id, ancestry=[deep.id] + [new_id() for _ in range(254)]).save()
    child = new_id()
    response = client.http.put(f"/v1/images/{child}/json", body=image_json(child, deepest.id),
                               headers=JSON_HEADERS)
    assert (response.status_code, error_of(response)) == (
        400, "Image ancestry longer than 256 images")
    assert client.http.put(f"/v1/images/{child}/json", body=image_json(child, deep.id),
                           headers=JSON_HEADERS).status_code == 200


@pytest.mark.parametrize("body", [b'{"id": "%s", "Size": NaN}', b'{"id": "%s", "x": Infinity}',
                                  b'{"id": "%s", "x": -Infinity}'])
def test_image_json_with_nan_or_infinity_is_400(client, body):
    """Not JSON (RFC 8259), and docker's decoder refuses it."""
    image_id = new_id()
    response = client.http.put(f"/v1/images/{image_id}/json", body=body % image_id.encode(),
                               headers=JSON_HEADERS)
    assert (response.status_code, error_of(response)) == (400, "Invalid JSON")
    assert client.http.get(f"/v1/images/{image_id}/json").status_code == 404


def test_deeply_nested_json_is_400_on_every_json_route(client, anonymous_client):
    deep = b"[" * 5000
    image_id = new_id()
    for http, path, method in ((anonymous_client.http, "/v1/users/", "POST"),
                               (client.http, f"/v1/images/{image_id}/json", "PUT"),
                               (client.http, "/v1/repositories/ns/repo/", "PUT"),
                               (client.http, "/v1/repositories/ns/repo/tags/x", "PUT"),
                               (client.http, "/v1/repositories/ns/repo/properties", "PUT"),
                               (client.http, f"/v1/images/{image_id}/layer/multipart", "POST")):
        response = http.request(method, path, body=deep, headers=JSON_HEADERS)
        assert response.status_code == 400, (path, response.body)
        assert json.loads(response.body)["error"]
