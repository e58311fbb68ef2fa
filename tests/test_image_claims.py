"""Shared layers: proof of possession for an image the pusher may write but not read
(spec §4.22, §4.13.1, §5.4, §5.9). Docker 1.10+ derive v1 ids from content (§0.3, §4.14), so a
second user pushing the same chain meets ids that exist only in someone else's private
repository: their PUT json starts a claim, and PUT checksum accepts it only when json and
layer hash to the image's own payload checksum. Over moto in process."""
import json

import pytest
import requests

from auth_world import PASSWORD, As, register, set_access, start_push
from conftest import basic
from helpers import (JSON_HEADERS, LAYER_HEADERS, error_of, image_json, new_id,
                     payload_checksum, put_image, put_tag, stored_state)

CLAIMS, IMAGES, ANCESTRY = "test-image-claims", "test-images", "test-ancestry"


@pytest.fixture
def world(anonymous_client, aws):
    """alice/vault (private) holding base ← top tagged latest; bobby, who holds the same
    bytes, announced both for bobby/app and pushes with the write token, as docker does."""
    http = anonymous_client.http
    register(http, "alice")
    register(http, "bobby")
    alice = As(http, basic("alice", PASSWORD))
    bobby_basic = As(http, basic("bobby", PASSWORD))
    base_id, top_id = new_id(), new_id()
    start_push(alice, "alice/vault", [base_id, top_id])
    base = put_image(alice, image_id=base_id, layer=b"base layer")
    top = put_image(alice, parent=base_id, image_id=top_id, layer=b"top layer")
    assert put_tag(alice, "alice/vault", "latest", top_id).status_code == 200
    set_access(alice, "alice/vault", "private")
    token = start_push(bobby_basic, "bobby/app", [base_id, top_id])
    return {"alice": alice, "bobby": As(http, f"Token {token}"), "bobby_basic": bobby_basic,
            "anonymous": As(http, None), "base": base, "top": top, "http": http}


def put(caller, image_id, resource, body=b"", headers=None):
    return caller.put(f"/v1/images/{image_id}/{resource}", body=body, headers=headers or {})


def image_rows(settings) -> dict:
    """The images and ancestry items and the S3 objects: what a claim must never change."""
    state = stored_state(settings)
    return {name: state[name] for name in (IMAGES, ANCESTRY, "s3")}


@pytest.mark.parametrize("credential", ["bobby", "bobby_basic"])
def test_claim_with_the_same_bytes_makes_the_image_readable_through_the_claimers_repository(
        world, aws, credential):
    bobby, base, top = world[credential], world["base"], world["top"]
    before = image_rows(aws)
    assert bobby.get(f"/v1/images/{base.id}/json").status_code == 404      # §5.4 probe
    put_image(bobby, image_id=base.id, layer=base.layer)           # json, layer, checksum: 200
    read = bobby.get(f"/v1/images/{base.id}/json")
    assert (read.status_code, read.body) == (200, base.json)
    assert read.headers["X-Docker-Checksum-Payload"] == base.checksum
    assert bobby.get(f"/v1/images/{base.id}/layer").status_code == 302
    put_image(bobby, parent=base.id, image_id=top.id, layer=top.layer)   # the parent is readable
    assert put_tag(bobby, "bobby/app", "latest", top.id).status_code == 200
    ancestry = bobby.get(f"/v1/images/{top.id}/ancestry")
    assert json.loads(ancestry.body) == [top.id, base.id]
    # the images and their layers are alice's, untouched; no claim and no claim object is left
    assert image_rows(aws) == before
    assert stored_state(aws)[CLAIMS] == []
    # alice's repository stays invisible to bobby
    assert world["bobby_basic"].get("/v1/repositories/alice/vault/tags").status_code == 404


@pytest.mark.parametrize("forged", ["layer", "json"])
def test_claim_with_other_bytes_is_400_checksum_mismatch_and_changes_nothing_4_13_1(
        world, aws, forged):
    bobby, base = world["bobby"], world["base"]
    before = image_rows(aws)
    claim_json = (json.dumps({"id": base.id, "Size": 1}).encode() if forged == "json"
                  else base.json)
    claim_layer = b"other bytes" if forged == "layer" else base.layer
    assert put(bobby, base.id, "json", claim_json, JSON_HEADERS).body == b"true"
    assert put(bobby, base.id, "layer", claim_layer, LAYER_HEADERS).body == b"true"
    with_claim = stored_state(aws)
    refused = put(bobby, base.id, "checksum", headers={
        "X-Docker-Checksum-Payload": payload_checksum(claim_json, claim_layer)})
    assert (refused.status_code, error_of(refused)) == (400, "Checksum mismatch")
    assert stored_state(aws) == with_claim              # the claim stays, to be retried
    for resource in ("json", "layer", "ancestry"):
        assert bobby.get(f"/v1/images/{base.id}/{resource}").status_code == 404
    assert put_tag(bobby, "bobby/app", "latest", base.id).status_code == 404
    child = new_id()
    start_push(world["bobby_basic"], "bobby/app", [child])
    assert put(world["bobby_basic"], child, "json", image_json(child, base.id),
               JSON_HEADERS).status_code == 404                   # no parent one cannot read
    # nothing of the image changed; the claim's own object is the only new one
    after = image_rows(aws)
    assert {k: v for k, v in after.items() if k != "s3"} == {
        k: v for k, v in before.items() if k != "s3"}
    assert set(before["s3"]) < set(after["s3"]) and len(after["s3"]) == len(before["s3"]) + 1
    # the same claim, retried with the right bytes, is accepted
    put_image(bobby, image_id=base.id, layer=base.layer)
    assert bobby.get(f"/v1/images/{base.id}/json").body == base.json
    assert image_rows(aws) == before


def test_claim_checksum_header_must_match_the_claims_own_bytes_first(world, aws):
    """Sending the image's checksum without its bytes proves nothing (§4.13.1)."""
    bobby, base = world["bobby"], world["base"]
    put(bobby, base.id, "json", base.json, JSON_HEADERS)
    put(bobby, base.id, "layer", b"guess", LAYER_HEADERS)
    refused = put(bobby, base.id, "checksum", headers={"X-Docker-Checksum-Payload": base.checksum})
    assert (refused.status_code, error_of(refused)) == (400, "Checksum mismatch")
    assert bobby.get(f"/v1/images/{base.id}/json").status_code == 404


def test_claim_needs_the_image_announced_for_a_repository_the_claimer_writes_4_6_4(world, aws):
    stranger_id = world["top"].id
    register(world["http"], "carol")
    carol = As(world["http"], basic("carol", PASSWORD))
    token = start_push(carol, "carol/app", [])
    before = stored_state(aws)
    for caller in (carol, As(world["http"], f"Token {token}")):
        refused = put(caller, stranger_id, "json", world["top"].json, JSON_HEADERS)
        assert refused.status_code == 403
        assert error_of(refused).startswith("Image was not announced for ")
    assert stored_state(aws) == before


def test_caller_who_can_read_the_image_still_gets_409_image_already_exists_5_9(world, aws):
    alice, bobby, base = world["alice"], world["bobby"], world["base"]
    set_access(alice, "alice/vault", "public")          # now bobby can read it too
    before = stored_state(aws)
    for caller in (alice, bobby):
        again = put(caller, base.id, "json", base.json, JSON_HEADERS)
        assert (again.status_code, error_of(again)) == (409, "Image already exists")
        layer = put(caller, base.id, "layer", base.layer, LAYER_HEADERS)
        assert (layer.status_code, error_of(layer)) == (409, "Image already exists")
    assert stored_state(aws) == before


def test_claim_layer_without_a_claim_is_409_as_before(world, aws):
    """PUT layer or checksum by a writer who never sent PUT json: no claim to store into."""
    bobby, base = world["bobby"], world["base"]
    layer = put(bobby, base.id, "layer", base.layer, LAYER_HEADERS)
    assert (layer.status_code, error_of(layer)) == (409, "Image already exists")
    checksum = put(bobby, base.id, "checksum", headers={"X-Docker-Checksum-Payload": base.checksum})
    assert (checksum.status_code, error_of(checksum)) == (409, "Cannot set this image checksum")


def test_claim_json_retried_with_other_bytes_discards_the_claims_layer_2_3(world, aws):
    bobby, base = world["bobby"], world["base"]
    before = image_rows(aws)
    put(bobby, base.id, "json", json.dumps({"id": base.id}).encode(), JSON_HEADERS)
    put(bobby, base.id, "layer", b"first try", LAYER_HEADERS)
    assert len(stored_state(aws)["s3"]) == len(before["s3"]) + 1
    put_image(bobby, image_id=base.id, layer=base.layer)
    assert image_rows(aws) == before and stored_state(aws)[CLAIMS] == []


def redirected(bobby, image_id, layer):
    started = put(bobby, image_id, "layer", headers={"X-Registry-Upload": "redirect"})
    assert started.status_code == 307
    assert requests.put(started.headers["Location"], data=layer).status_code == 200


def multipart(bobby, image_id, layer):
    started = put(bobby, image_id, "layer", headers={
        "X-Registry-Upload": "multipart", "X-Registry-Layer-Size": str(len(layer))})
    plan = json.loads(started.body)
    (part,) = plan["parts"]
    etag = requests.put(part["url"], data=layer).headers["ETag"]
    done = bobby.post(f"/v1/images/{image_id}/layer/multipart", headers=JSON_HEADERS, body=json.dumps(
        {"upload_id": plan["upload_id"], "parts": [{"number": 1, "etag": etag}]}).encode())
    assert done.body == b"true"


@pytest.mark.parametrize("upload", [redirected, multipart])
@pytest.mark.parametrize("layer_matches", [True, False])
def test_claim_through_presigned_uploads_is_verified_like_an_inline_one_2_4(
        world, aws, upload, layer_matches):
    bobby, base = world["bobby"], world["base"]
    before = image_rows(aws)
    layer = base.layer if layer_matches else b"not the layer"
    assert put(bobby, base.id, "json", base.json, JSON_HEADERS).body == b"true"
    upload(bobby, base.id, layer)
    answer = put(bobby, base.id, "checksum", headers={
        "X-Docker-Checksum-Payload": payload_checksum(base.json, layer)})
    if layer_matches:
        assert (answer.status_code, answer.body) == (200, b"true")
        assert bobby.get(f"/v1/images/{base.id}/json").body == base.json
        assert image_rows(aws) == before and stored_state(aws)[CLAIMS] == []
    else:
        assert (answer.status_code, error_of(answer)) == (400, "Checksum mismatch")
        assert bobby.get(f"/v1/images/{base.id}/json").status_code == 404
        assert image_rows(aws)[IMAGES] == before[IMAGES]
