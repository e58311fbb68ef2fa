"""v1reg's layer transfers against the local stack: downloads resumed with Range after a
broken connection or an earlier run (spec §4.17), corruption caught by the payload checksum
(§4.13.1), multipart uploads with a retried part (README "Layer uploads"), progress bars."""
import io
import os
from urllib.parse import urlsplit

import boto3
import requests
import urllib3
from requests.adapters import HTTPAdapter

import docker_save
from cli_helpers import (MIB, home, login, read_pulled,  # noqa: F401 (fixtures)
                         registry, registry_get, saved_image, v1reg)
from v1reg import progress
from v1reg.transport import Http


def pushed(registry, capsys, monkeypatch, tmp_path, name, layers=None, *extra):
    """Push an image as alice; (reference, layer tars, top image id)."""
    login(capsys, monkeypatch, registry)
    layers = saved_image(tmp_path / "img.tar", "oci-25", layers)
    ref = f"{registry.host}/alice/{name}:1"
    status, err = v1reg(capsys, "push", "-q", *extra, tmp_path / "img.tar", ref)
    assert status == 0, err
    top_id = registry_get(registry, f"/v1/repositories/alice/{name}/tags/1").json()
    return ref, layers, top_id


def storage_location(registry, image_id):
    """The S3 bucket and key behind the layer's presigned 302 (§4.18), and a client of the
    stack's moto itself (the presigned URL's host serves presigned requests only)."""
    layer = registry_get(registry, f"/v1/images/{image_id}/layer", allow_redirects=False)
    assert layer.status_code == 302
    bucket, key = urlsplit(layer.headers["Location"]).path.lstrip("/").split("/", 1)
    s3 = boto3.client("s3", endpoint_url=registry.moto_endpoint, region_name="us-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local")
    return s3, bucket, key, layer.headers["Location"]


class Recorder:
    """A response hook: (method, host, Range header, status) of every response."""

    def __init__(self, http: Http):
        self.seen = []
        http.session.hooks["response"].append(self)

    def __call__(self, response, **_):
        request = response.request
        self.seen.append((request.method, urlsplit(request.url).netloc,
                          request.headers.get("Range"), response.status_code))

    def storage_gets(self, registry):
        return [(rng, status) for method, host, rng, status in self.seen
                if method == "GET" and host != registry.host]


class BreaksOnce:
    """Cuts the first layer download from storage after `limit` bytes, as a dropped
    connection would: the client sees urllib3's ProtocolError mid-body."""

    def __init__(self, http: Http, registry, limit: int):
        self.registry, self.limit, self.done = registry, limit, False
        http.session.hooks["response"].append(self)

    def __call__(self, response, **_):
        host = urlsplit(response.request.url).netloc
        if self.done or host == self.registry.host or response.request.method != "GET":
            return
        self.done = True
        raw, limit = response.raw, self.limit

        class Cut:
            def stream(self, amount, decode_content=None):
                sent = 0
                for chunk in raw.stream(amount, decode_content=decode_content):
                    if sent + len(chunk) >= limit:
                        yield chunk[:limit - sent]
                        raise urllib3.exceptions.ProtocolError("connection broken by the test")
                    sent += len(chunk)
                    yield chunk

            def __getattr__(self, name):
                return getattr(raw, name)
        response.raw = Cut()


def test_download_broken_half_way_resumes_with_range_4_17(registry, capsys, monkeypatch,
                                                          tmp_path):
    layer = docker_save.layer_tar({"big.bin": os.urandom(3 * MIB)})
    ref, layers, top_id = pushed(registry, capsys, monkeypatch, tmp_path, "resumed", [layer])
    size = int(registry_get(registry, f"/v1/images/{top_id}/json").headers["X-Docker-Size"])
    http = Http(backoff=0.01)
    BreaksOnce(http, registry, size // 2)
    recorder = Recorder(http)
    status, err = v1reg(capsys, "pull", ref, "-o", tmp_path / "out.tar", http=http)
    assert status == 0, err
    assert read_pulled(tmp_path / "out.tar")[2] == layers
    # The layer, resumed; then the image config from the registry's v2 API (v1reg/v2.py).
    assert recorder.storage_gets(registry) == [(None, 200), (f"bytes={size // 2}-", 206),
                                               (None, 200)]


def test_download_left_by_an_earlier_run_resumes_4_17(registry, capsys, monkeypatch, tmp_path,
                                                     home):
    ref, layers, top_id = pushed(registry, capsys, monkeypatch, tmp_path, "continued")
    compressed = registry_get(registry, f"/v1/images/{top_id}/layer").content
    cache = home / "cache" / "v1reg"
    cache.mkdir(parents=True)
    (cache / f"{top_id}.partial").write_bytes(compressed[:len(compressed) // 2])
    http = Http()
    recorder = Recorder(http)
    assert v1reg(capsys, "pull", "-q", ref, "-o", tmp_path / "out.tar", http=http) == (0, "")
    assert read_pulled(tmp_path / "out.tar")[2] == layers
    assert (f"bytes={len(compressed) // 2}-", 206) in recorder.storage_gets(registry)
    assert os.listdir(cache) == []


def test_corrupt_partial_download_is_fetched_again_4_13_1(registry, capsys, monkeypatch,
                                                         tmp_path, home):
    ref, layers, top_id = pushed(registry, capsys, monkeypatch, tmp_path, "refetched")
    cache = home / "cache" / "v1reg"
    cache.mkdir(parents=True)
    (cache / f"{top_id}.partial").write_bytes(b"\x1f\x8b garbage from an earlier run")
    assert v1reg(capsys, "pull", "-q", ref, "-o", tmp_path / "out.tar") == (0, "")
    assert read_pulled(tmp_path / "out.tar")[2] == layers


def test_corrupted_layer_in_storage_is_detected_and_nothing_written_4_13_1(
        registry, capsys, monkeypatch, tmp_path):
    ref, layers, top_id = pushed(registry, capsys, monkeypatch, tmp_path, "corrupted")
    s3, bucket, key, _ = storage_location(registry, top_id)
    stored = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    flipped = stored[:100] + bytes([stored[100] ^ 0xFF]) + stored[101:]
    s3.put_object(Bucket=bucket, Key=key, Body=flipped)

    status, err = v1reg(capsys, "pull", ref, "-o", tmp_path / "out.tar")
    assert status == 1
    assert err.startswith(f"v1reg: download layer {top_id[:12]}: checksum mismatch")
    assert err.count("\n") == 1
    assert sorted(os.listdir(tmp_path)) == ["cache", "docker", "img.tar"]


class LosesAnswerOnce(HTTPAdapter):
    """Sends a storage PUT of part 2 and then loses S3's answer once, as a dropped
    connection would: the client must upload that part again."""

    def __init__(self):
        super().__init__()
        self.part_two_statuses = []

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        if request.method == "PUT" and "partNumber=2" in request.url:
            self.part_two_statuses.append(response.status_code)
            if len(self.part_two_statuses) == 1:
                raise requests.ConnectionError("answer lost by the test")
        return response


def test_multipart_upload_with_a_retried_part(registry, capsys, monkeypatch, tmp_path):
    """12 MiB of incompressible layer in 5 MiB parts (the stack's REGISTRY_MULTIPART_PART_SIZE)."""
    layer = docker_save.layer_tar({"random.bin": os.urandom(12 * MIB)})
    login(capsys, monkeypatch, registry)
    saved_image(tmp_path / "img.tar", "oci-25", [layer])
    ref = f"{registry.host}/alice/multipart:1"
    http = Http(backoff=0.01)
    adapter = LosesAnswerOnce()
    http.session.mount("http://", adapter)
    recorder = Recorder(http)
    status, err = v1reg(capsys, "push", "-q", "--multipart-over", "0", "--compress-level", "1",
                        tmp_path / "img.tar", ref, http=http)
    assert (status, err) == (0, "")
    assert adapter.part_two_statuses == [200, 200]
    storage_puts = [rng for method, host, rng, status in recorder.seen
                    if method == "PUT" and host != registry.host]
    assert len(storage_puts) == 3       # parts 1 and 3, and part 2's retry (the lost answer
    #                                     never reached the hook)
    assert v1reg(capsys, "pull", "-q", ref, "-o", tmp_path / "out.tar") == (0, "")
    assert read_pulled(tmp_path / "out.tar")[2] == [layer]


def test_progress_bars_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    screen = Terminal()
    bars = progress.Progress(screen, enabled=True)
    first, second = bars.bar("aaaaaaaaaaaa", 2 * MIB), bars.bar("bbbbbbbbbbbb", 100)
    first(MIB)
    second(100)
    bars.finish()
    last_frame = screen.getvalue().split("\x1b[2F")[-1]
    assert "aaaaaaaaaaaa: [" + "=" * 15 + " " * 15 + "] 1.0 MiB/2.0 MiB" in last_frame
    assert "bbbbbbbbbbbb: [" + "=" * 30 + "] 100 B/100 B" in last_frame

    quiet = io.StringIO()
    silent = progress.Progress(quiet, enabled=False)
    silent.bar("a", 10)(10)
    silent.finish()
    assert quiet.getvalue() == ""
