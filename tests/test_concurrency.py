"""Racing requests over real HTTP against the local stack (threaded, like Lambda's concurrent
invocations): creating an image, finishing an upload and setting a tag stay consistent
(spec §2.3–2.5, §2.15, §4.20) and leave nothing behind in S3."""
import base64
import hashlib
import json
import os
import types
from concurrent.futures import ThreadPoolExecutor

import requests

import docker_v1
from helpers import stored_state

CLIENTS = 8


def race(function, count=CLIENTS):
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(function, range(count)))


def objects(stack, prefix: str) -> list[str]:
    with open(os.path.join(stack.data_dir, "moto-endpoint")) as file:
        moto = types.SimpleNamespace(region="us-east-1", bucket="v1registry-local-layers",
                                     aws_endpoint=file.read().strip())
    return [key for key, _size, _etag in stored_state(moto)["s3"] if key.startswith(prefix)]


def basic(stack):
    return {"Authorization": "Basic " + base64.b64encode(":".join(stack.admin).encode()).decode()}


def test_racing_pushes_of_one_image_complete_it_once_and_keep_one_layer(stack):
    (image,) = docker_v1.chain([os.urandom(256 * 1024)])

    def push(_):
        try:
            return docker_v1.push(stack.url, "ns/race", [image], auth=stack.admin).calls, None
        except docker_v1.ProtocolError as error:
            return error.calls, error

    results = race(push)
    calls = [call for made, _error in results for call in made]
    assert all(call.status < 500 for call in calls)
    assert any(error is None for _made, error in results)
    # §4.20: a COMPLETE image refuses the layer. At PUT checksum a racer of the same bytes
    # hears "Image already exists" and goes on like docker (§5.9) once the winner has
    # committed; a transaction cancelled while the winner's is still in flight stays 409.
    lost_race = {(f"/v1/images/{image.id}/layer", 409, "Image already exists"),
                 (f"/v1/images/{image.id}/checksum", 409, "Cannot set this image checksum")}
    for made, error in results:
        if error is not None:
            assert (made[-1].path, made[-1].status, made[-1].error) in lost_race
    pulled = docker_v1.pull(stack.url, "ns/race", auth=stack.admin)
    assert pulled.images[image.id].layer == image.layer
    # one blob for the layer; every upload deleted once completed or replaced
    blob = "blobs/sha256/" + hashlib.sha256(image.layer).hexdigest()
    assert objects(stack, blob) == [blob]
    assert objects(stack, "uploads/") == []


def test_racing_checksums_complete_the_image_exactly_once(stack):
    (image,) = docker_v1.chain([b"racing checksums"])
    session = docker_v1.Session(stack.url, registry_url=stack.url)
    assert session.index("PUT", "/v1/repositories/ns/race2/", stack.admin,
                         json=[{"id": image.id}]).status_code == 200
    for resource, body in [("json", image.json), ("layer", image.layer)]:
        assert requests.put(f"{stack.url}/v1/images/{image.id}/{resource}", data=body,
                            headers=basic(stack)).status_code == 200
    headers = {**basic(stack), "X-Docker-Checksum-Payload": image.payload_checksum}
    answers = race(lambda _: requests.put(f"{stack.url}/v1/images/{image.id}/checksum",
                                          headers=headers))
    assert sorted(answer.status_code for answer in answers) == [200] + [409] * (CLIENTS - 1)
    assert {answer.json()["error"] for answer in answers if answer.status_code == 409} == {
        "Image already exists"}                                          # §5.9
    ancestry = requests.get(f"{stack.url}/v1/images/{image.id}/ancestry", headers=basic(stack))
    assert ancestry.json() == [image.id]


def test_racing_tags_leave_one_consistent_answer(stack):
    images = docker_v1.chain([b"a", b"b", b"c", b"d"])
    for image in images:
        docker_v1.push(stack.url, "ns/tagrace", [image], tag=f"t-{image.id[:8]}", auth=stack.admin)
    answers = race(lambda n: requests.put(
        f"{stack.url}/v1/repositories/ns/tagrace/tags/latest",
        data=json.dumps(images[n % len(images)].id), headers=basic(stack)))
    assert [answer.status_code for answer in answers] == [200] * CLIENTS
    tags = requests.get(f"{stack.url}/v1/repositories/ns/tagrace/tags", headers=basic(stack)).json()
    assert tags["latest"] in {image.id for image in images}
    one = requests.get(f"{stack.url}/v1/repositories/ns/tagrace/tags/latest", headers=basic(stack))
    assert one.json() == tags["latest"]
