"""docker 1.x push and pull over real HTTP against the local stack (`make run`):
spec §5.4, §5.5, §4.11, §4.17, §5.9, and a restart that keeps the data."""
import gzip
import io
import os
import tarfile

import pytest
import requests

import docker_v1

MIB = 1024 * 1024


def small_layer() -> bytes:
    """A real gzip-compressed tar with one file, like a docker layer."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        content = b"hello from a layer\n"
        info = tarfile.TarInfo("etc/motd")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return gzip.compress(buffer.getvalue())


@pytest.fixture(scope="module")
def images():
    """8 MiB of random bytes (base), an empty layer, a small gzip tar (top)."""
    return docker_v1.chain([os.urandom(8 * MIB), b"", small_layer()])


@pytest.fixture(scope="module")
def pushed(stack, images):
    return docker_v1.push(stack.url, "ns/repo", images, tag="latest", auth=stack.admin)


def statuses(calls, method, path):
    return [call.status for call in calls if (call.method, call.path) == (method, path)]


def assert_pulled_exactly(pulled, images):
    top = images[-1]
    assert pulled.image_id == top.id
    assert pulled.ancestry == [image.id for image in reversed(images)]
    assert list(pulled.images) == [image.id for image in images]          # base first
    for image in images:
        got = pulled.images[image.id]
        assert got.json == image.json
        assert got.layer == image.layer
        assert got.size == len(image.layer)


def test_push_5_4_three_layers_in_docker_sequence(pushed, images):
    calls = pushed.calls
    assert pushed.token and 'repository="ns/repo"' in pushed.token and "access=write" in pushed.token
    assert statuses(calls, "GET", "/v2/") == [404]
    assert statuses(calls, "PUT", "/v1/repositories/ns/repo/") == [200]
    for image in images:
        assert statuses(calls, "GET", f"/v1/images/{image.id}/json") == [404]   # probe: upload
        for resource in ("json", "layer", "checksum"):
            assert statuses(calls, "PUT", f"/v1/images/{image.id}/{resource}") == [200]
    layer_puts = [call for call in calls if call.method == "PUT" and call.path.endswith("/layer")]
    assert len(layer_puts) == 3 and all(call.chunked for call in layer_puts)
    assert statuses(calls, "PUT", "/v1/repositories/ns/repo/tags/latest") == [200]
    assert (calls[-1].method, calls[-1].path, calls[-1].status) == (
        "PUT", "/v1/repositories/ns/repo/images", 204)
    assert pushed.skipped == []


def test_pull_5_5_returns_every_byte(pushed, stack, images):
    pulled = docker_v1.pull(stack.url, "ns/repo", "latest", auth=stack.admin)
    assert_pulled_exactly(pulled, images)
    assert "access=read" in pulled.token
    assert all(image.accept_ranges == "bytes" for image in pulled.images.values())
    layer_calls = [call for call in pulled.calls if call.path.endswith("/layer")]
    assert {call.status for call in layer_calls} == {302}     # never streamed by the app
    tags = requests.get(f"{stack.url}/v1/repositories/ns/repo/tags",
                        headers={"Authorization": f"Token {pulled.token}"})
    assert tags.json() == {"latest": images[-1].id}           # the 1.6–1.7 tag call


def test_layer_resume_4_17_range_through_the_redirect(pushed, stack, images):
    base = images[0]
    session = docker_v1.Session(stack.url, registry_url=stack.url, token=pushed.token)
    offset, size = 3 * MIB + 17, len(base.layer)
    response = docker_v1.get_layer(session, base.id, {"Range": f"bytes={offset}-{size}"})
    assert response.status_code == 206
    assert response.content == base.layer[offset:]
    assert response.headers["Content-Range"] == f"bytes {offset}-{size - 1}/{size}"


def test_repush_5_9_probes_find_images_and_put_json_is_409(pushed, stack, images):
    again = docker_v1.push(stack.url, "ns/repo", images, tag="latest", auth=stack.admin)
    assert again.skipped == [image.id for image in images]
    assert all(statuses(again.calls, "GET", f"/v1/images/{image.id}/json") == [200]
               for image in images)
    assert not [call for call in again.calls if call.method == "PUT" and "/images/" in call.path]
    assert statuses(again.calls, "PUT", "/v1/repositories/ns/repo/tags/latest") == [200]
    # A client that lost the probe race PUTs the JSON anyway (§5.9).
    response = requests.put(f"{stack.url}/v1/images/{images[0].id}/json", data=images[0].json,
                            headers={"Content-Type": "application/json",
                                     "Authorization": f"Token {again.token}"})
    assert response.status_code == 409
    assert response.json() == {"error": "Image already exists"}


def test_restart_keeps_pushed_images(pushed, stack, images):
    stack.restart()
    assert_pulled_exactly(docker_v1.pull(stack.url, "ns/repo", "latest", auth=stack.admin),
                          images)


def test_single_component_name_4_11_pushes_verbatim_and_pulls_via_library(stack):
    images = docker_v1.chain([small_layer()])
    pushed = docker_v1.push(stack.url, "foo", images, tag="latest", auth=stack.admin)
    assert statuses(pushed.calls, "PUT", "/v1/repositories/foo/") == [200]
    assert statuses(pushed.calls, "PUT", "/v1/repositories/foo/tags/latest") == [200]
    assert 'repository="library/foo"' in pushed.token
    pulled = docker_v1.pull(stack.url, "foo", "latest", auth=stack.admin)
    assert statuses(pulled.calls, "GET", "/v1/repositories/library/foo/tags/latest") == [200]
    assert_pulled_exactly(pulled, images)


@pytest.mark.parametrize("path, body", [
    ("/v2/", b""), ("/v2/library/foo/manifests/latest", b""), ("/v2/_catalog", b""),
    ("/v2/a/b/c/manifests/latest", b'{"error": "Not found"}'),      # no such route
    ("/v1/no/such/route/at/all", b'{"error": "Not found"}')])
def test_v2_and_unknown_routes_4_21_are_404_without_v2_header_to_docker_1_x(stack, path, body):
    """docker 1.x falls back to v1 only without the header (v2-pull §5.1, §5.3): the v2
    routes answer it a plain 404, unknown routes the gateway's JSON 404."""
    response = requests.get(stack.url + path, headers={"User-Agent": docker_v1.USER_AGENT})
    assert (response.status_code, response.content) == (404, body)
    assert "Docker-Distribution-API-Version" not in response.headers


def test_redirected_upload_through_the_stack_s_s3(stack):
    """X-Registry-Upload: redirect → 307 presigned PUT to the stack's moto S3 → checksum."""
    image = docker_v1.chain([os.urandom(MIB + 3)])[0]
    session = docker_v1.Session(stack.url, registry_url=stack.url)
    start = session.index("PUT", "/v1/repositories/ns/redirected/", stack.admin,
                          json=[{"id": image.id}])
    session.token = session.expect(start, 200).headers["X-Docker-Token"]
    session.expect(session.registry("PUT", f"/v1/images/{image.id}/json", data=image.json), 200)
    redirect = session.expect(session.registry(
        "PUT", f"/v1/images/{image.id}/layer", headers={"X-Registry-Upload": "redirect"}), 307)
    assert requests.put(redirect.headers["Location"], data=image.layer).status_code == 200
    session.expect(session.registry("PUT", f"/v1/images/{image.id}/checksum", headers={
        "X-Docker-Checksum-Payload": image.payload_checksum}), 200)
    session.expect(session.registry("PUT", "/v1/repositories/ns/redirected/tags/latest",
                                    data=f'"{image.id}"'), 200)
    pulled = docker_v1.pull(stack.url, "ns/redirected", "latest", auth=stack.admin)
    assert pulled.images[image.id].layer == image.layer
