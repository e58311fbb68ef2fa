"""Today's clients pull over the Registry v2 API from the local stack (spec v2-pull): skopeo
(inspect, copy to an OCI layout), docker 20.10 (login, pull of a public and a private
image: the image ID and `docker history` of the original built image) and containerd's
ctr. The original is built here as a `docker save` tarball with a real config and history
(rows without a layer included), pushed with v1reg; another image is pushed as docker 1.x
pushes, and its synthesized config gives the same ID on every pull. docker 1.x pushes and
pulls over v1 afterwards. A missing client skips its tests, named at the end of the run."""
import gzip
import hashlib
import json
import os
import subprocess
from urllib.parse import urlsplit

import pytest
import requests

import docker_save
import docker_v1
from cli_helpers import V1REG
from v2_helpers import DOCKER_20, built_config, digest

ALICE = ("alice", "alice-password")
HISTORY_FORMAT = "{{.CreatedAt}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}"


def v1reg(home, *args, stdin=None, stdout=None):
    done = subprocess.run([V1REG, *map(str, args)], input=stdin, stdout=stdout or subprocess.PIPE,
                          stderr=subprocess.PIPE, env={**os.environ, "DOCKER_CONFIG": str(home)})
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def images(stack, tmp_path_factory):
    """alice/public:1 and alice/private:1 (the same original image, pushed by v1reg),
    alice/old:1 (pushed as docker 1.x pushes)."""
    work = tmp_path_factory.mktemp("v2-clients")
    created = requests.post(stack.url + "/v1/users/", json={
        "username": ALICE[0], "password": ALICE[1], "email": ""})
    assert created.status_code == 201, created.text
    host = urlsplit(stack.url).netloc
    layers = docker_save.random_layers(2)
    config = built_config(layers, empty_rows=2)
    docker_save.save(str(work / "original.tar"), "legacy-24", layers, "example/original:1",
                     config=config)
    v1reg(work / "docker", "login", host, "-u", ALICE[0], "--password-stdin", stdin=ALICE[1].encode())
    for name in ("public", "private"):
        v1reg(work / "docker", "push", "-q", work / "original.tar", f"{host}/alice/{name}:1")
    made_private = requests.put(f"{stack.url}/v1/repositories/alice/private/properties",
                                json={"access": "private"}, auth=ALICE)
    assert made_private.status_code == 200
    old = docker_v1.chain([gzip.compress(docker_save.layer_tar({f"old/{n}": os.urandom(999)}))
                           for n in range(2)])
    docker_v1.push(stack.url, "alice/old", old, tag="1", auth=ALICE)
    return {"host": host, "work": work, "config": config, "layers": layers, "old": old,
            "manifest": manifest(stack, "alice/public")}


def manifest(stack, name: str, auth=ALICE) -> bytes:
    probe = requests.get(stack.url + "/v2/", headers={"User-Agent": DOCKER_20})
    realm = probe.headers["WWW-Authenticate"].split('realm="')[1].split('"')[0]
    token = requests.get(realm, params={"scope": f"repository:{name}:pull"}, auth=auth).json()
    return requests.get(f"{stack.url}/v2/{name}/manifests/1", headers={
        "Authorization": f"Bearer {token['token']}"}).content


# ---- skopeo ----

def test_skopeo_inspects_and_copies_every_layer_to_an_oci_layout(skopeo, images, tmp_path):
    ref = f"docker://{images['host']}/alice/public:1"
    inspected = json.loads(skopeo.run("inspect", ref).stdout)
    served = json.loads(images["manifest"])
    assert inspected["Digest"] == digest(images["manifest"])
    assert inspected["Layers"] == [layer["digest"] for layer in served["layers"]]
    assert inspected["Labels"] == {"by": "tests"}
    assert skopeo.run("inspect", "--raw", ref).stdout.encode() == images["manifest"]
    assert skopeo.run("inspect", "--config", "--raw", ref).stdout.encode() == images["config"]

    skopeo.run("copy", ref, f"oci:{tmp_path}/layout:1")
    index = json.loads((tmp_path / "layout" / "index.json").read_text())
    (entry,) = index["manifests"]
    copied = json.loads(blob(tmp_path / "layout", entry["digest"]))
    # skopeo writes OCI into an OCI layout: it re-encodes the config, same content.
    config = json.loads(blob(tmp_path / "layout", copied["config"]["digest"]))
    original = json.loads(images["config"])
    assert (config["rootfs"], config["history"]) == (original["rootfs"], original["history"])
    assert [layer["digest"] for layer in copied["layers"]] == inspected["Layers"]
    for layer, original in zip(copied["layers"], images["layers"]):
        data = blob(tmp_path / "layout", layer["digest"])      # checks the digest
        assert gzip.decompress(data) == original


def blob(layout, blob_digest: str) -> bytes:
    data = (layout / "blobs" / "sha256" / blob_digest.split(":")[1]).read_bytes()
    assert digest(data) == blob_digest
    return data


def test_skopeo_needs_credentials_for_a_private_image(skopeo, images):
    ref = f"docker://{images['host']}/alice/private:1"
    refused = skopeo.run("inspect", ref, check=False)
    assert refused.returncode != 0
    inspected = json.loads(skopeo.run("inspect", "--creds", ":".join(ALICE), ref).stdout)
    assert inspected["Digest"] == digest(images["manifest"])      # the same image's bytes


# ---- docker 20.10 ----

def image_id(dockerd, ref: str) -> str:
    return json.loads(dockerd.run("image", "inspect", ref).stdout)[0]["Id"]


def history(dockerd, ref: str) -> list[str]:
    return dockerd.run("history", "--no-trunc", "--human=false", "--format", HISTORY_FORMAT,
                       ref).stdout.splitlines()


@pytest.fixture(scope="module")
def original(dockerd, images):
    """The original built image's ID and `docker history`, loaded once and removed again."""
    dockerd.run("load", "--input", str(images["work"] / "original.tar"))
    found = image_id(dockerd, "example/original:1"), history(dockerd, "example/original:1")
    dockerd.run("image", "rm", "example/original:1")
    assert found[0] == digest(images["config"])
    assert len(found[1]) == len(json.loads(images["config"])["history"]) == 4
    return found


def test_docker_pulls_a_v1reg_push_as_the_original_image(dockerd, images, original):
    ref = f"{images['host']}/alice/public:1"
    dockerd.run("pull", ref)
    assert (image_id(dockerd, ref), history(dockerd, ref)) == original
    dockerd.run("image", "rm", ref)


def test_docker_login_then_pull_of_a_private_image(dockerd, images, original):
    ref = f"{images['host']}/alice/private:1"
    assert dockerd.run("pull", ref, check=False).returncode != 0
    login = dockerd.run("login", "-u", ALICE[0], "--password-stdin", images["host"],
                        input=ALICE[1])
    assert "Login Succeeded" in login.stdout
    saved = json.loads(open(os.path.join(dockerd.env["DOCKER_CONFIG"], "config.json")).read())
    assert saved["auths"][images["host"]]["identitytoken"]      # our refresh token (§2.5)
    try:
        dockerd.run("pull", ref)                                # POST grant_type=refresh_token
        assert (image_id(dockerd, ref), history(dockerd, ref)) == original
        dockerd.run("image", "rm", ref)
    finally:
        dockerd.run("logout", images["host"])


def test_v1reg_pull_loads_the_image_docker_pulls(dockerd, images, original, tmp_path):
    ref = f"{images['host']}/alice/public:1"
    with open(tmp_path / "pulled.tar", "wb") as out:
        v1reg(images["work"] / "docker", "pull", "-q", ref, stdout=out)
    dockerd.run("load", "--input", str(tmp_path / "pulled.tar"))
    assert (image_id(dockerd, ref), history(dockerd, ref)) == original
    dockerd.run("image", "rm", ref)


def test_a_docker_1x_push_pulls_as_the_same_image_every_time(dockerd, images, tmp_path):
    ref = f"{images['host']}/alice/old:1"
    pulls = []
    for _ in range(2):
        dockerd.run("pull", ref)
        pulls.append((image_id(dockerd, ref), history(dockerd, ref)))
        dockerd.run("image", "rm", ref)
    with open(tmp_path / "pulled.tar", "wb") as out:
        v1reg(images["work"] / "docker", "pull", "-q", ref, stdout=out)
    dockerd.run("load", "--input", str(tmp_path / "pulled.tar"))
    pulls.append((image_id(dockerd, ref), history(dockerd, ref)))
    dockerd.run("image", "rm", ref)
    assert pulls[0] == pulls[1] == pulls[2]
    created_by = [row.split("|")[1] for row in pulls[0][1]][::-1]       # history is newest first
    assert created_by == [" ".join(json.loads(image.json)["container_config"]["Cmd"])
                          for image in images["old"]]


# ---- containerd ----

def test_ctr_pulls_a_public_and_a_private_image(containerd, images):
    public, private = (f"{images['host']}/alice/{name}:1" for name in ("public", "private"))
    containerd.run("images", "pull", "--plain-http", public)
    rows = [line.split() for line in containerd.run("images", "ls").stdout.splitlines()[1:]]
    assert [row[:3] for row in rows if row[0] == public] == [
        [public, "application/vnd.docker.distribution.manifest.v2+json",
         digest(images["manifest"])]]
    assert containerd.run("content", "get", digest(images["config"])).stdout.encode() == \
        images["config"]
    assert containerd.run("images", "pull", "--plain-http", private, check=False).returncode != 0
    containerd.run("images", "pull", "--plain-http", "--user", ":".join(ALICE), private)
    for ref in (public, private):
        containerd.run("images", "rm", ref)


# ---- docker 1.x, after all of it (v2-pull §5.1) ----

def test_docker_1x_still_pushes_and_pulls_over_v1(stack, images):
    chain = docker_v1.chain([gzip.compress(docker_save.layer_tar({"after": b"x"}))])
    pushed = docker_v1.push(stack.url, "alice/after", chain, tag="1", auth=ALICE)
    assert [call.status for call in pushed.calls if call.path == "/v2/"] == [404]
    pulled = docker_v1.pull(stack.url, "alice/public", "1", auth=ALICE)
    assert hashlib.sha256(pulled.images[pulled.image_id].json).hexdigest()     # v1 as before
    assert json.loads(pulled.images[pulled.image_id].json)["id"] == digest(images["config"])[7:]
