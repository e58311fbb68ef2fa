"""Shared layers over real HTTP: a docker 1.x push (§5.4) of a chain that exists only in another
user's private repository succeeds by proof of possession (the second pusher re-uploads it; it is
accepted only when json and layer hash to the stored payload checksum, §4.13.1), and reveals
nothing otherwise (§4.22). Docker 1.10+ derive v1 ids from content (§0.3, §4.14)."""
import base64
import json
import os
import types

import pytest
import requests

import docker_v1
from helpers import stored_state

PASSWORD = "secret-pw"
JSON = {"Content-Type": "application/json"}
PREFIX = "v1registry-local-"


def basic(auth):
    return {"Authorization": "Basic " + base64.b64encode(":".join(auth).encode()).decode()}


@pytest.fixture(scope="module")
def accounts(stack):
    for username in ("alice", "bobby"):
        body = {"username": username, "password": PASSWORD, "email": ""}
        assert requests.post(f"{stack.url}/v1/users/", data=json.dumps(body),
                             headers=JSON).status_code == 201
    return {"alice": ("alice", PASSWORD), "bobby": ("bobby", PASSWORD)}


def push_private(stack, name, images, auth):
    docker_v1.push(stack.url, name, images, auth=auth)
    answer = requests.put(f"{stack.url}/v1/repositories/{name}/properties",
                          data=json.dumps({"access": "private"}), headers={**basic(auth), **JSON})
    assert answer.status_code == 200


def tables(stack) -> dict:
    """Every item (by table suffix) and S3 object in the stack's moto server."""
    with open(os.path.join(stack.data_dir, "moto-endpoint")) as file:
        moto = types.SimpleNamespace(region="us-east-1", bucket="v1registry-local-layers",
                                     aws_endpoint=file.read().strip())
    return {name.removeprefix(PREFIX): items for name, items in stored_state(moto).items()}


def image_state(stack, image_id):
    """The image's own items (image, ancestry) and its layer object (not a claim's)."""
    state = tables(stack)
    items = [item for name in ("images", "ancestry") for item in state[name]
             if f'"image_id": {{"S": "{image_id}"}}' in item]
    objects = [obj for obj in state["s3"] if obj[0] in items[0]]
    assert len(items) == 2 and len(objects) == 1
    return items, objects


def test_second_user_pushes_a_chain_only_in_a_private_repository_5_4(stack, accounts):
    images = docker_v1.chain([os.urandom(64 * 1024), b"second layer"])
    push_private(stack, "alice/private", images, accounts["alice"])
    before = [image_state(stack, image.id) for image in images]

    pushed = docker_v1.push(stack.url, "bobby/mine", images, auth=accounts["bobby"])
    assert pushed.skipped == []
    for image in images:            # probe 404, then json, layer (chunked), checksum: all 200
        calls = [(c.method, c.path.rsplit("/", 1)[1], c.status, c.chunked)
                 for c in pushed.calls if f"/images/{image.id}/" in c.path]
        assert calls == [("GET", "json", 404, False), ("PUT", "json", 200, False),
                         ("PUT", "layer", 200, True), ("PUT", "checksum", 200, False)]

    pulled = docker_v1.pull(stack.url, "bobby/mine", auth=accounts["bobby"])
    assert pulled.ancestry == [images[1].id, images[0].id]
    for image in images:
        assert (pulled.images[image.id].json, pulled.images[image.id].layer) == (
            image.json, image.layer)
    # alice's images and layers are untouched, no claim is left
    assert [image_state(stack, image.id) for image in images] == before
    assert tables(stack)["image-claims"] == []
    # alice's repository stays invisible to bobby
    tags = requests.get(f"{stack.url}/v1/repositories/alice/private/tags",
                        headers=basic(accounts["bobby"]))
    assert (tags.status_code, tags.json()) == (404, {"error": "Repository not found"})
    with pytest.raises(docker_v1.ProtocolError) as refused:
        docker_v1.pull(stack.url, "alice/private", auth=accounts["bobby"])
    assert refused.value.calls[-1].status == 404


def test_claim_with_other_layer_bytes_is_400_checksum_mismatch_4_13_1(stack, accounts):
    (image,) = docker_v1.chain([os.urandom(4096)])
    push_private(stack, "alice/vault", [image], accounts["alice"])
    alice = basic(accounts["alice"])
    served = requests.get(f"{stack.url}/v1/images/{image.id}/json", headers=alice)
    before = image_state(stack, image.id)

    forged = docker_v1.Image(image.id, image.json, b"not the layer")
    with pytest.raises(docker_v1.ProtocolError) as refused:
        docker_v1.push(stack.url, "bobby/forged", [forged], auth=accounts["bobby"])
    last = refused.value.calls[-1]
    assert (last.method, last.status, last.error) == ("PUT", 400, "Checksum mismatch")
    assert last.path == f"/v1/images/{image.id}/checksum"

    bobby = basic(accounts["bobby"])
    for resource in ("json", "layer", "ancestry"):
        assert requests.get(f"{stack.url}/v1/images/{image.id}/{resource}",
                            headers=bobby).status_code == 404
    assert image_state(stack, image.id) == before
    again = requests.get(f"{stack.url}/v1/images/{image.id}/json", headers=alice)
    assert (again.content, again.headers["X-Docker-Checksum-Payload"],
            again.headers["X-Docker-Size"]) == (served.content,
                                                served.headers["X-Docker-Checksum-Payload"],
                                                served.headers["X-Docker-Size"])
    layer = requests.get(f"{stack.url}/v1/images/{image.id}/layer", headers=alice)
    assert layer.content == image.layer


def test_claim_for_an_image_not_announced_is_403_as_before_4_6_4(stack, accounts):
    (image,) = docker_v1.chain([os.urandom(1024)])
    push_private(stack, "alice/closed", [image], accounts["alice"])
    before = image_state(stack, image.id)
    answer = requests.put(f"{stack.url}/v1/images/{image.id}/json", data=image.json,
                          headers={**basic(accounts["bobby"]), **JSON})
    assert answer.status_code == 403
    assert answer.json()["error"].startswith("Image was not announced for a repository")
    assert image_state(stack, image.id) == before
