"""The real clients of tests/real_clients.py run here: chromium, dockerd, skopeo, containerd."""
import gzip
import json
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import docker_save

PAGE = b"""<!doctype html><title>smoke</title>
<p id="greeting">Hello from 127.0.0.1</p>
<form method="post" action="/clicked"><button id="go">Go</button></form>"""


class PageHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.answer(PAGE)

    def do_POST(self):
        self.server.posted.append(self.path)
        self.answer(b'<!doctype html><p id="result">clicked</p>')

    def answer(self, body: bytes):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def page_server():
    """A one-page site on 127.0.0.1; `posted` lists the paths POSTed to it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    server.posted = []
    server.url = f"http://127.0.0.1:{server.server_port}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_chromium_reads_a_page_and_clicks_its_button(browser, page_server):
    browser.get(page_server.url)
    assert browser.find_element(By.ID, "greeting").text == "Hello from 127.0.0.1"
    browser.find_element(By.ID, "go").click()
    result = WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "result"))
    assert result[0].text == "clicked"
    assert page_server.posted == ["/clicked"]


def test_dockerd_is_the_sessions_own(dockerd):
    info = json.loads(dockerd.run("info", "--format", "{{json .}}").stdout)
    assert info["DockerRootDir"] == f"{dockerd.directory}/data"
    assert info["Driver"] == "vfs"


@pytest.mark.parametrize("fmt", ["legacy-24", "oci-25"])
def test_docker_loads_a_docker_save_tarball(dockerd, tmp_path, fmt):
    layers = docker_save.random_layers(2)
    name = f"smoke/{fmt}:1"
    docker_save.save(str(tmp_path / "image.tar"), fmt, layers, name)
    dockerd.run("load", "--input", str(tmp_path / "image.tar"))
    image = json.loads(dockerd.run("image", "inspect", name).stdout)[0]
    assert image["Id"] == docker_save.digest(docker_save.image_config(layers))
    assert image["RootFS"]["Layers"] == [docker_save.digest(layer) for layer in layers]
    dockerd.run("image", "rm", name)


def test_skopeo_inspects_and_copies_an_oci_layout(skopeo, tmp_path):
    layer = docker_save.layer_tar({"etc/motd": b"hello from a layer\n"})
    blob = gzip.compress(layer, mtime=0)
    files = docker_save.oci_layout(docker_save.image_config([layer]), [blob], "smoke/oci:1",
                                   docker_save.LAYER_TAR_GZIP)
    docker_save.write_tree(str(tmp_path / "layout"), files)
    manifest_digest = json.loads(files["index.json"])["manifests"][0]["digest"]

    inspected = json.loads(skopeo.run("inspect", f"oci:{tmp_path}/layout:1").stdout)
    assert inspected["Digest"] == manifest_digest
    assert inspected["Layers"] == [docker_save.digest(blob)]
    assert inspected["Labels"] == {"built.by": "v1reg tests"}
    raw = skopeo.run("inspect", "--raw", f"oci:{tmp_path}/layout:1").stdout
    assert docker_save.digest(raw.encode()) == manifest_digest

    skopeo.run("copy", f"oci:{tmp_path}/layout:1", f"oci:{tmp_path}/copy:1")
    copied = json.loads(skopeo.run("inspect", f"oci:{tmp_path}/copy:1").stdout)
    assert copied["Digest"] == manifest_digest


def test_containerd_imports_a_docker_save_tarball(containerd, tmp_path):
    layers = docker_save.random_layers(2)
    tarball = str(tmp_path / "image.tar")
    docker_save.save(tarball, "oci-25", layers, "smoke/ctr:1")
    with tarfile.open(tarball) as tar:
        manifest_digest = json.load(tar.extractfile("index.json"))["manifests"][0]["digest"]

    containerd.run("images", "import", tarball)
    rows = [line.split() for line in containerd.run("images", "ls").stdout.splitlines()[1:]]
    assert [row[:3] for row in rows if row[0] == "smoke/ctr:1"] == [
        ["smoke/ctr:1", "application/vnd.oci.image.manifest.v1+json", manifest_digest]]
    config = containerd.run("content", "get", docker_save.digest(docker_save.image_config(layers)))
    assert config.stdout.encode() == docker_save.image_config(layers)
    base, top = (docker_save.digest(layer) for layer in layers)
    chain_id = docker_save.digest(f"{base} {top}".encode())     # unpacked: the top snapshot
    assert chain_id in containerd.run("snapshots", "ls").stdout
    containerd.run("images", "rm", "smoke/ctr:1")
