"""A docker 1.x client's v1 push and pull, call for call, over real HTTP (spec §5.4, §5.5).

Used by the end-to-end tests and bench/. The interface is kept stable:

    images = chain([layer_bytes, ...])                    # base first, ids and parents set
    pushed = push(base_url, "ns/repo", images, tag="latest", auth=("user", "pw"))
    pulled = pull(base_url, "ns/repo", tag="latest", auth=("user", "pw"))

Tests that take a push or pull apart use its steps: `new_image` (a chosen id or JSON keys),
`open_push` / `open_pull` (the Index call; the session holds the token), then `put_json`,
`put_layer`, `put_checksum`, `put_tag`, `get_layer`, each returning the response.

`auth=None` means "not logged in": push still sends `Authorization: Basic Og==` to the Index
calls (docker 1.6 does), pull sends none. Registry calls carry `Authorization: Token <token>`
when the Index returned one (§4.2). Any answer a docker client would fail on raises
ProtocolError; the calls made so far are in `.calls` of the error and of each result.
"""
import base64
import hashlib
import json
import os
from dataclasses import dataclass, field

import requests

USER_AGENT = ("docker/1.6.2 go/go1.4.2 git-commit/7c8fca2 kernel/3.16.0-4-amd64 "
              "os/linux arch/amd64")
CHUNK = 32 * 1024
ALREADY_EXISTS = "Image already exists"


@dataclass(frozen=True)
class Image:
    id: str
    json: bytes            # the exact bytes PUT, hashed into the payload checksum
    layer: bytes

    @property
    def payload_checksum(self) -> str:
        return "sha256:" + hashlib.sha256(self.json + b"\n" + self.layer).hexdigest()


def new_image(layer: bytes, parent: str | None = None, image_id: str | None = None,
              **fields) -> Image:
    """One image with docker-like JSON (a random id unless given); `fields` add keys."""
    image_id = image_id or os.urandom(32).hex()
    data = {"id": image_id, "created": "2015-05-01T10:00:00.123456789Z",
            "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop)"]},
            "docker_version": "1.6.2", "architecture": "amd64", "os": "linux",
            "Size": len(layer), **fields}
    if parent:
        data["parent"] = parent
    return Image(image_id, json.dumps(data).encode(), layer)


def chain(layers: list[bytes]) -> list[Image]:
    """Images base first, each the parent of the next, with docker-like JSON."""
    images, parent = [], None
    for layer in layers:
        images.append(new_image(layer, parent))
        parent = images[-1].id
    return images


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    status: int
    error: str | None = None          # the `error` of a JSON error body
    chunked: bool = False             # the body went out with Transfer-Encoding: chunked


@dataclass
class Session:
    base_url: str
    calls: list[Call] = field(default_factory=list)
    token: str | None = None
    registry_url: str = ""        # from X-Docker-Endpoints (§4.4)

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
        response = requests.request(method, url, headers=headers, allow_redirects=False,
                                    timeout=60, **kwargs)
        chunked = response.request.headers.get("Transfer-Encoding") == "chunked"
        self.calls.append(Call(method, requests.utils.urlparse(url).path, response.status_code,
                               _error_of(response), chunked))
        return response

    def index(self, method: str, path: str, auth, **kwargs) -> requests.Response:
        headers = {"X-Docker-Token": "true", **kwargs.pop("headers", {})}
        if auth is not None:
            headers["Authorization"] = _basic(auth)
        return self.request(method, self.base_url + path, headers=headers, **kwargs)

    def registry(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        return self.request(method, self.registry_url + path, headers=headers, **kwargs)

    def expect(self, response: requests.Response, *statuses: int) -> requests.Response:
        if response.status_code not in statuses:
            raise ProtocolError(f"{response.request.method} {response.url}: "
                                f"{response.status_code} {response.text[:300]}", self.calls)
        return response

    def take_index_headers(self, response: requests.Response, endpoints_required: bool) -> None:
        self.token = response.headers.get("X-Docker-Token") or self.token
        endpoints = response.headers.get("X-Docker-Endpoints")
        if endpoints_required and not endpoints:
            raise ProtocolError("Index response didn't contain any endpoints", self.calls)
        scheme = requests.utils.urlparse(self.base_url).scheme
        host = endpoints.split(",")[0].strip() if endpoints else \
            requests.utils.urlparse(self.base_url).netloc
        self.registry_url = f"{scheme}://{host}"


class ProtocolError(Exception):
    def __init__(self, message: str, calls: list[Call]):
        super().__init__(message)
        self.calls = calls


@dataclass
class PushResult:
    calls: list[Call]
    token: str | None
    endpoints_url: str
    skipped: list[str]            # images the registry already had (probe 200 or 409 body)


@dataclass
class PulledImage:
    json: bytes
    layer: bytes
    size: int                      # X-Docker-Size of GET json
    accept_ranges: str | None      # of the final (post-redirect) layer response


@dataclass
class PullResult:
    calls: list[Call]
    token: str | None
    image_id: str                  # what the tag points at
    ancestry: list[str]
    images: dict[str, PulledImage]


def push(base_url: str, name: str, images: list[Image], tag: str = "latest",
         auth: tuple[str, str] | None = None) -> PushResult:
    """§5.4: Index start, probes, per image json/layer/checksum, tag, Index finish."""
    session = open_push(base_url, name, images, tag, auth)
    uploads = [image for image in images
               if session.registry("GET", f"/v1/images/{image.id}/json").status_code != 200]
    skipped = [image.id for image in images if image not in uploads]
    for image in uploads:
        response = put_json(session, image)
        if _error_of(response) == ALREADY_EXISTS:
            skipped.append(image.id)
            continue
        session.expect(response, 200)
        session.expect(put_layer(session, image), 200)
        response = put_checksum(session, image)
        if _error_of(response) != ALREADY_EXISTS:
            session.expect(response, 200)
    session.expect(put_tag(session, name, tag, images[-1].id), 200, 201)

    endpoints_url = session.registry_url + "/v1/"
    finish = session.index("PUT", f"/v1/repositories/{name}/images", auth or ("", ""),
                           data=b"[]", headers={"Content-Type": "application/json",
                                                "X-Docker-Endpoints": endpoints_url})
    session.expect(finish, 204)
    return PushResult(session.calls, session.token, endpoints_url, skipped)


def open_push(base_url: str, name: str, images: list[Image], tag: str = "latest",
              auth: tuple[str, str] | None = None) -> Session:
    """§5.4 steps 1–2: the probes and the Index start; the session holds the write token."""
    session = Session(base_url)
    _probe(session)
    entries = [{"id": image.id} for image in images]
    entries[-1]["Tag"] = tag
    start = session.index("PUT", f"/v1/repositories/{name}/", auth or ("", ""),
                          json=entries)
    session.expect(start, 200, 201)
    session.take_index_headers(start, endpoints_required=True)
    return session


def put_json(session: Session, image: Image) -> requests.Response:
    return session.registry("PUT", f"/v1/images/{image.id}/json", data=image.json,
                            headers={"Content-Type": "application/json"})


def put_layer(session: Session, image: Image) -> requests.Response:
    return session.registry("PUT", f"/v1/images/{image.id}/layer", data=_chunks(image.layer),
                            headers={"Content-Type": "application/octet-stream"})


def put_checksum(session: Session, image: Image) -> requests.Response:
    return session.registry("PUT", f"/v1/images/{image.id}/checksum", headers={
        "X-Docker-Checksum": "tarsum+sha256:" + hashlib.sha256(image.layer).hexdigest(),
        "X-Docker-Checksum-Payload": image.payload_checksum})


def put_tag(session: Session, name: str, tag: str, image_id: str) -> requests.Response:
    return session.registry("PUT", f"/v1/repositories/{name}/tags/{tag}",
                            data=json.dumps(image_id),
                            headers={"Content-Type": "application/json"})


def pull(base_url: str, name: str, tag: str = "latest",
         auth: tuple[str, str] | None = None) -> PullResult:
    """§5.5: Index images (token), tag lookup under library/ for one-part names, ancestry,
    then json and layer (following the redirect without Authorization) from base to top."""
    session = open_pull(base_url, name, auth)
    remote = name if "/" in name else f"library/{name}"
    image_id = session.expect(
        session.registry("GET", f"/v1/repositories/{remote}/tags/{tag}"), 200).json()
    ancestry = session.expect(session.registry("GET", f"/v1/images/{image_id}/ancestry"),
                              200).json()
    if not ancestry:
        raise ProtocolError("empty history", session.calls)
    pulled = {}
    for layer_id in reversed(ancestry):
        response = session.expect(session.registry("GET", f"/v1/images/{layer_id}/json"), 200)
        layer = get_layer(session, layer_id)
        pulled[layer_id] = PulledImage(response.content, layer.content,
                                       int(response.headers.get("X-Docker-Size", -1)),
                                       layer.headers.get("Accept-Ranges"))
    return PullResult(session.calls, session.token, image_id, ancestry, pulled)


def open_pull(base_url: str, name: str, auth: tuple[str, str] | None = None) -> Session:
    """§5.5 steps 1–2: the probes and the Index image list; the session holds the read token."""
    session = Session(base_url)
    _probe(session)
    listing = session.expect(session.index("GET", f"/v1/repositories/{name}/images", auth), 200)
    if not isinstance(listing.json(), list):
        raise ProtocolError("image list is not a JSON array", session.calls)
    session.take_index_headers(listing, endpoints_required=False)
    return session


def get_layer(session: Session, image_id: str, headers: dict | None = None) -> requests.Response:
    """GET layer, then its redirect target with the same headers but no Authorization
    (docker's redirect rule, §4.18)."""
    headers = headers or {}
    response = session.registry("GET", f"/v1/images/{image_id}/layer", headers=dict(headers))
    hops = 0
    while response.status_code in (301, 302, 303, 307) and hops < 10:
        response = session.request("GET", response.headers["Location"], headers=dict(headers))
        hops += 1
    return session.expect(response, 200, 206)


def _probe(session: Session) -> None:
    """§5.1: the v2 probe must fail for the client to fall back to v1; then the v1 ping."""
    v2 = session.request("GET", session.base_url + "/v2/")
    if v2.status_code == 200 or "Docker-Distribution-API-Version" in v2.headers:
        raise ProtocolError("registry answers as v2; docker would not fall back", session.calls)
    session.request("GET", session.base_url + "/v1/_ping")


def _basic(auth: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()


def _chunks(data: bytes):
    """A generator body: requests sends it with Transfer-Encoding: chunked, as docker does."""
    for start in range(0, len(data), CHUNK):
        yield data[start:start + CHUNK]


def _error_of(response: requests.Response) -> str | None:
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None
