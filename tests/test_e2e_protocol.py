"""Protocol details over real HTTP through the local stack (spec §2.8, §4.17): what the
server writes on the wire, where the in-process client cannot tell."""
import base64
import json
import http.client

import pytest

import docker_v1


@pytest.fixture(scope="module")
def pushed(stack):
    images = docker_v1.chain([b"base layer bytes", b"top layer"])
    top = images[-1]          # with bytes beyond ASCII: Content-Length counts bytes
    images[-1] = docker_v1.Image(top.id, top.json[:-1] + ', "comment": "caf\u00e9 \u2615"}'.encode(),
                                 top.layer)
    docker_v1.push(stack.url, "admin/proto", images, auth=stack.admin)
    return images


def connection(stack) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)


def auth(stack) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(":".join(stack.admin).encode()).decode()}


@pytest.mark.parametrize("resource", ["json", "layer", "ancestry"])
def test_head_2_8_headers_of_get_and_no_body_on_a_kept_alive_connection(stack, pushed, resource):
    path = f"/v1/images/{pushed[-1].id}/{resource}"
    wire = connection(stack)
    try:
        wire.request("HEAD", path, headers=auth(stack))
        head = wire.getresponse()
        assert head.read() == b""
        wire.request("GET", path, headers=auth(stack))     # a stray HEAD body would break it
        get = wire.getresponse()
        body = get.read()
    finally:
        wire.close()
    assert head.status == get.status == (302 if resource == "layer" else 200)
    assert head.getheader("Content-Length") == str(len(body))
    assert {name: value for name, value in head.getheaders() if name not in ("Expires", "Date",
            "Location")} == {name: value for name, value in get.getheaders()
                             if name not in ("Expires", "Date", "Location")}


def test_head_2_8_of_an_unknown_image_is_404_without_a_body(stack):
    wire = connection(stack)
    try:
        wire.request("HEAD", "/v1/images/" + "a" * 64 + "/layer", headers=auth(stack))
        response = wire.getresponse()
        assert (response.status, response.read()) == (404, b"")
        assert response.getheader("Content-Type") == "application/json"
    finally:
        wire.close()


def test_range_4_17_at_the_end_is_416_with_an_empty_body_over_http(stack, pushed):
    top = pushed[-1]
    wire = connection(stack)
    try:
        wire.request("GET", f"/v1/images/{top.id}/layer",
                     headers={**auth(stack), "Range": f"bytes={len(top.layer)}-{len(top.layer)}"})
        response = wire.getresponse()
        assert (response.status, response.read()) == (416, b"")
    finally:
        wire.close()
    assert response.getheader("Content-Length") == "0"          # docker 1.x: EOF (§4.17)
    assert response.getheader("Content-Range") == f"bytes */{len(top.layer)}"


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:80", "127.0.0.1:1"])
def test_endpoints_4_4_name_the_stack_whatever_host_header_arrives(stack, pushed, host):
    for method, path, body in [("PUT", "/v1/repositories/admin/proto/", b"[]"),
                               ("GET", "/v1/repositories/admin/proto/images", b""),
                               ("PUT", "/v1/repositories/admin/proto/images", b"[]")]:
        wire = connection(stack)
        try:
            wire.request(method, path, body=body, headers={
                **auth(stack), "Host": host, "X-Docker-Token": "true",
                "Content-Type": "application/json"})
            response = wire.getresponse()
            response.read()
        finally:
            wire.close()
        assert response.status in (200, 204), path
        assert response.getheader("X-Docker-Endpoints") == f"127.0.0.1:{stack.port}", path


def test_three_component_names_4_11_are_400_over_http(stack):
    with pytest.raises(docker_v1.ProtocolError) as refused:
        docker_v1.push(stack.url, "admin/b/c", docker_v1.chain([b"layer"]), auth=stack.admin)
    assert refused.value.calls[-1].status == 400
    assert refused.value.calls[-1].error == "Invalid repository name"
    for path in ["/v1/repositories/admin/b/c/images", "/v1/repositories/admin/b/c/tags/latest"]:
        wire = connection(stack)
        try:
            wire.request("GET", path, headers=auth(stack))
            response = wire.getresponse()
            assert (response.status, json.loads(response.read())) == (
                400, {"error": "Invalid repository name"})
        finally:
            wire.close()
