"""Bad input on every route: a 4xx `{"error": ...}`, never a 500, and no stored state
changed (spec §1.3, §4.11, §4.12, §2.3–2.5, §2.15, §3.4, §3.6). Unit tests over moto in
process, then raw request lines over real HTTP to the local stack."""
import base64
import http.client
import json
import os
import socket
import types

import pytest

from helpers import (JSON_HEADERS, image_json, new_id, payload_checksum, put_image, put_tag,
                     stored_state)

IMAGE_ROUTES = [("GET", "json"), ("PUT", "json"), ("GET", "layer"), ("PUT", "layer"),
                ("PUT", "checksum"), ("GET", "ancestry")]
REPOSITORY_ROUTES = [("GET", "/tags"), ("GET", "/images"), ("PUT", "/images"), ("GET", "/json"),
                     ("PUT", "/"), ("DELETE", "/")]
TAG_ROUTES = [("GET", ""), ("PUT", ""), ("DELETE", ""), ("GET", "/json")]

BAD_IMAGE_IDS = ["..%2Fx", "%2e%2e%2fx", "%2E%2E", "a%2Fb", "..", "A" * 64, "a" * 63, "a" * 65,
                 "a" * 16, "g" * 64, "a" * 63 + "%00", "a" * 64 + "%0A", "a" * 64 + "%20",
                 "%2e%2e%2f%2e%2e%2f" + "a" * 58, "x" * 5000]
BAD_NAMES = ["..%2Fx/repo", "ns/..%2Fx", "ns/%2e%2e", "ns%2F..%2F../repo", "a/repo", "-ns/repo",
             "ns-/repo", "n--s/repo", "NS/repo", "ns/Repo", "ns/.repo", "ns/-repo", "ns/re%20po",
             "ns/re%00po", "ns/re%2Fpo", f"ns/{'r' * 256}", f"{'n' * 251}/repo", "..%2Fx",
             "%2e%2e", "Foo", "a" * 64, "ns/r%C3%A9po"]
BAD_TAGS = [".x", "-x", "a%2Fb", "..%2F..", "%2e%2e", "t" * 129, "a%20b", "a%00", "t%C3%A9g"]
# (a body that is no JSON, a wrong shape, a wrong type) for each route that parses one
BAD_BODIES = {
    "image json": [b"{", b"[]", b'"id"', b"null", b"\xff", b'{"id": 5}', b'{"parent": "x"}'],
    "tag": [b"", b"{", b"5", b"null", b"[]", b'{"id": "x"}', b'"../x"', b'"' + b"a" * 63 + b'"'],
    "image list": [b"{", b'{"id": "x"}', b"[5]", b'[{"id": "../x"}]', b'[{"id": null}]',
                   b'[{"id": "%s", "checksum": []}]' % new_id().encode()],
}


@pytest.fixture
def seeded(client, aws):
    """One complete image tagged in ns/repo, one image still uploading: state to protect."""
    image = put_image(client.http)
    put_image(client.http, complete=False)
    assert put_tag(client.http, "ns/repo", "latest", image.id).status_code == 200
    return image


def problems_with(response, label) -> list[str]:
    """What is wrong with an answer to bad input (empty when it is a proper 4xx)."""
    if not 400 <= response.status_code < 500:
        return [f"{label}: status {response.status_code} {response.body[:200]!r}"]
    try:
        body = json.loads(response.body)
    except ValueError:
        return [f"{label}: not JSON {response.body[:200]!r}"]
    if not (isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"]):
        return [f"{label}: not an error body {body!r}"]
    return []


def check_all(client, aws, requests_to_send):
    before = stored_state(aws)
    problems = []
    for method, path, body in requests_to_send:
        response = client.http.request(method, path, body=body, headers=JSON_HEADERS)
        problems += problems_with(response, f"{method} {path} {body[:40]!r}")
    assert problems == []
    assert stored_state(aws) == before


@pytest.mark.parametrize("method,resource", IMAGE_ROUTES)
def test_bad_image_ids_4_12_on_image_routes(client, aws, seeded, method, resource):
    body = b"" if resource != "json" else b"{}"
    check_all(client, aws, [(method, f"/v1/images/{image_id}/{resource}", body)
                            for image_id in BAD_IMAGE_IDS])


@pytest.mark.parametrize("method,suffix", REPOSITORY_ROUTES)
def test_bad_repository_names_4_11_4_12(client, aws, seeded, method, suffix):
    check_all(client, aws, [(method, f"/v1/repositories/{name}{suffix}", b"[]")
                            for name in BAD_NAMES])


@pytest.mark.parametrize("method,suffix", TAG_ROUTES)
def test_bad_names_and_tags_4_12_on_tag_routes(client, aws, seeded, method, suffix):
    body = json.dumps(seeded.id).encode()
    sent = [(method, f"/v1/repositories/ns/repo/tags/{tag}{suffix}", body) for tag in BAD_TAGS]
    sent += [(method, f"/v1/repositories/{name}/tags/latest{suffix}", body) for name in BAD_NAMES]
    check_all(client, aws, sent)


def test_malformed_image_json_bodies_2_3(client, aws, seeded):
    image_id = new_id()
    check_all(client, aws, [("PUT", f"/v1/images/{image_id}/json", body)
                            for body in BAD_BODIES["image json"]])


def test_malformed_tag_bodies_2_15(client, aws, seeded):
    check_all(client, aws, [("PUT", "/v1/repositories/ns/repo/tags/other", body)
                            for body in BAD_BODIES["tag"]])


def test_malformed_image_lists_3_4_3_6(client, aws, seeded):
    check_all(client, aws, [(method, "/v1/repositories/ns/repo" + suffix, body)
                            for body in BAD_BODIES["image list"]
                            for method, suffix in [("PUT", "/"), ("PUT", "/images")]])


def test_image_json_with_a_bad_parent_2_3(client, aws, seeded):
    image_id = new_id()
    bodies = [json.dumps({"id": image_id, "parent": parent}).encode()
              for parent in ["../x", "A" * 64, new_id(), 5, ["x"]]]
    check_all(client, aws, [("PUT", f"/v1/images/{image_id}/json", body) for body in bodies])


# Read routes take credentials in the handler (no authorizer): a Basic value that is not
# ASCII, or whose decoded bytes are not UTF-8, is a 401 like any credential that does not
# verify (§5.8), never a 500.
NON_ASCII_BASIC = ["Basic \u00e9\u00e9\u00e9\u00e9", "Basic \u00c3\u00a9t\u00c3\u00a9",
                   "Basic " + base64.b64encode("\u00fc:pw".encode("latin-1")).decode(),
                   "Basic " + base64.b64encode(b"\xff\xfe:\x80").decode(), "Basic \u2603"]
READ_ROUTES = ["/v1/repositories/ns/repo/images", "/v1/repositories/ns/repo/tags",
               "/v1/repositories/ns/repo/tags/latest", "/v1/repositories/ns/repo/json",
               "/v1/repositories/ns/repo/properties", "/v1/users/", "/v1/search?q=repo"]


def test_non_ascii_basic_credentials_on_read_routes_are_401_json(client, aws, seeded):
    before = stored_state(aws)
    paths = READ_ROUTES + [f"/v1/images/{seeded.id}/{resource}"
                           for resource in ("json", "layer", "ancestry")]
    answers = {(path, header): client.http.get(path, headers={"Authorization": header})
               for path in paths for header in NON_ASCII_BASIC}
    assert {key: (response.status_code, json.loads(response.body)) for key, response
            in answers.items()} == {key: (401, {"error": "Malformed Basic credentials"})
                                    for key in answers}
    assert all(response.headers["WWW-Authenticate"] == 'Basic realm="auth required",Token'
               for response in answers.values())
    assert stored_state(aws) == before


def test_tag_pointing_at_a_missing_image_2_15(client, aws, seeded):
    body = json.dumps(new_id()).encode()
    check_all(client, aws, [("PUT", "/v1/repositories/ns/repo/tags/other", body),
                            ("PUT", "/v1/repositories/ns/fresh/tags/latest", body),
                            ("PUT", "/v1/repositories/fresh/tags/latest", body)])


def test_layer_before_json_and_checksum_errors_2_4_2_5(client, aws, seeded):
    image = put_image(client.http, complete=False)
    before = stored_state(aws)
    wrong = "sha256:" + "0" * 64
    calls = [("PUT", f"/v1/images/{new_id()}/layer", b"bytes", {}),
             ("PUT", f"/v1/images/{new_id()}/checksum", b"", {"X-Docker-Checksum-Payload": wrong}),
             ("PUT", f"/v1/images/{image.id}/checksum", b"", {"X-Docker-Checksum-Payload": wrong}),
             ("PUT", f"/v1/images/{image.id}/checksum", b"", {"X-Docker-Checksum-Payload": ""}),
             ("PUT", f"/v1/images/{image.id}/checksum", b"", {}),
             ("PUT", f"/v1/images/{seeded.id}/checksum", b"",
              {"X-Docker-Checksum-Payload": seeded.checksum}),
             ("PUT", f"/v1/images/{seeded.id}/layer", b"other", {}),
             ("PUT", f"/v1/images/{seeded.id}/json", image_json(seeded.id), JSON_HEADERS)]
    problems = []
    for method, path, body, headers in calls:
        response = client.http.request(method, path, body=body, headers=headers)
        problems += problems_with(response, f"{method} {path} {headers}")
    assert problems == []
    assert stored_state(aws) == before


# ---- raw request lines over real HTTP (no client-side path normalisation) ----

RAW_PATHS = ["/v1/images/../x/json", "/v1/images/..%2f..%2fx/json", "/v1/images/%2e%2e/layer",
             "/v1/images/./json", "/v1/images//json", "/v1/repositories/../../tags",
             "/v1/repositories/ns/../tags/latest", "/v1/repositories/ns/repo/tags/..%2F..",
             "/v1/repositories/ns/repo/tags/../../../x", "/v1/repositories/%2e%2e%2f/tags",
             "/v1/images/" + "a" * 64 + "/../../_ping", "/v1/repositories/a/b/c/tags"]


def raw_request(url: str, method: str, path: str, body: bytes, headers: dict):
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def stack_state(stack) -> dict:
    with open(os.path.join(stack.data_dir, "moto-endpoint")) as file:
        moto = types.SimpleNamespace(region="us-east-1", bucket="v1registry-local-layers",
                                     aws_endpoint=file.read().strip())
    return stored_state(moto)


def admin_basic(stack) -> str:
    return "Basic " + base64.b64encode(":".join(stack.admin).encode()).decode()


def test_raw_traversal_paths_over_http(stack):
    auth = admin_basic(stack)
    before = stack_state(stack)
    problems = []
    for path in RAW_PATHS:
        for method, body in [("GET", b""), ("PUT", b'"' + b"a" * 64 + b'"'), ("DELETE", b"")]:
            status, answer = raw_request(stack.url, method, path, body, {
                "Authorization": auth, "Content-Type": "application/json"})
            response = types.SimpleNamespace(status_code=status, body=answer)
            problems += problems_with(response, f"{method} {path}")
    assert problems == []
    assert stack_state(stack) == before


def send_chunked(stack, path: str, chunked_body: bytes) -> tuple[int, bytes]:
    """A request whose chunked framing is written by hand, as a broken client might."""
    head = (f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {admin_basic(stack)}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", stack.port), timeout=10) as sock:
        sock.sendall(head + chunked_body)
        sock.shutdown(socket.SHUT_WR)                 # a truncated body ends here
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("chunked_body", [
    b"zz\r\nabc\r\n0\r\n\r\n", b"-1\r\n\r\n", b"3\r\nabc", b"5\r\nab\r\n0\r\n\r\n",
    b"3\r\nabcdef\r\n0\r\n\r\n", b"", b"ffffffffffffffff\r\nabc"])
def test_malformed_chunked_bodies_are_400_over_http(stack, chunked_body):
    before = stack_state(stack)
    image_id = new_id()
    status, body = send_chunked(stack, f"/v1/images/{image_id}/json", chunked_body)
    assert status == 400
    assert json.loads(body)["error"].startswith("Malformed chunked body")
    assert stack_state(stack) == before
    assert raw_request(stack.url, "GET", "/v1/_ping", b"", {})[0] == 200     # still serving


def test_chunk_extensions_and_trailers_keep_the_exact_bytes(stack):
    image_id = new_id()
    text = image_json(image_id)
    pieces = [text[i:i + 7] for i in range(0, len(text), 7)]
    chunked = b"".join(b"%x;name=value\r\n%s\r\n" % (len(p), p) for p in pieces)
    status, body = send_chunked(stack, f"/v1/images/{image_id}/json",
                                chunked + b"0\r\nX-Trailer: yes\r\n\r\n")
    assert (status, body) == (200, b"true")
    auth = {"Authorization": admin_basic(stack)}
    status, _ = send_chunked(stack, f"/v1/images/{image_id}/layer", b"0\r\n\r\n")  # empty
    assert status == 200
    checksum = {**auth, "X-Docker-Checksum-Payload": payload_checksum(text, b"")}
    assert raw_request(stack.url, "PUT", f"/v1/images/{image_id}/checksum", b"", checksum) == (
        200, b"true")                    # the checksum covers the exact JSON bytes (§4.13.1)
    assert raw_request(stack.url, "GET", f"/v1/images/{image_id}/json", b"", auth) == (200, text)
