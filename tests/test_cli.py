"""`v1reg` against the local stack over real HTTP: login (spec §5.3), push (§5.4) and pull
(§5.5) of `docker save` tarballs built here in all three layouts (§0.3, §4.14), resumed and
verified downloads (§4.13.1, §4.17), multipart uploads, and the one-line errors."""
import base64
import gzip
import hashlib
import json
import stat
import subprocess
import tarfile

import pytest

import docker_save
from v1reg import archive, reference
from v2_helpers import built_config
from cli_helpers import (ALICE, BOBBY, V1REG, home, login, read_pulled,  # noqa: F401 (fixtures)
                         registry, registry_get, run, saved_image, start_registry, v1reg)

# ---- login (§5.3) ----

def test_login_saves_docker_auths_with_mode_0600_5_3(registry, capsys, monkeypatch, home):
    (home / "docker").mkdir()
    (home / "docker" / "config.json").write_text('{"experimental": "enabled"}')
    login(capsys, monkeypatch, registry)
    config_file = home / "docker" / "config.json"
    config = json.loads(config_file.read_text())
    assert config["experimental"] == "enabled"
    assert base64.b64decode(config["auths"][registry.host]["auth"]) == b"alice:alice-password"
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600

    assert v1reg(capsys, "logout", registry.host) == (
        0, f"Removed login credentials for {registry.host}\n")
    assert json.loads(config_file.read_text())["auths"] == {}
    assert v1reg(capsys, "logout", registry.host) == (
        1, f"v1reg: not logged in to {registry.host}\n")


def test_login_wrong_password_is_a_one_line_error_3_2(registry, capsys, monkeypatch, home):
    status, err = v1reg(capsys, "login", registry.host, "-u", "alice", "--password-stdin",
                        stdin="wrong-password\n", monkeypatch=monkeypatch)
    assert (status, err) == (1, f"v1reg: {registry.host}: wrong username or password\n")
    assert not (home / "docker" / "config.json").exists()


def test_existing_docker_login_is_reused_5_3(registry, capsys, home, tmp_path):
    """docker ≤1.10 keyed `auths` by the full URL; the credentials are found either way."""
    (home / "docker").mkdir()
    auth = base64.b64encode(b"alice:alice-password").decode()
    (home / "docker" / "config.json").write_text(json.dumps(
        {"auths": {f"http://{registry.host}/v1/": {"auth": auth}}}))
    saved_image(tmp_path / "img.tar")
    assert v1reg(capsys, "push", "-q", tmp_path / "img.tar", f"{registry.host}/alice/reused")[0] == 0


# ---- push and pull round trip (§5.4, §5.5) ----

@pytest.mark.parametrize("fmt", docker_save.FORMATS)
def test_round_trip_keeps_layers_config_and_diff_ids_5_4_5_5(registry, capsys, monkeypatch,
                                                            tmp_path, fmt):
    login(capsys, monkeypatch, registry)
    layers = saved_image(tmp_path / "img.tar", fmt)
    ref = f"{registry.host}/alice/round-{fmt.replace('.', '')}:1"
    status, err = v1reg(capsys, "push", tmp_path / "img.tar", ref)
    assert status == 0, err
    status, err = v1reg(capsys, "pull", ref, "-o", tmp_path / "pulled.tar")
    assert status == 0, err

    entry, config, pulled_layers, repositories, read = read_pulled(tmp_path / "pulled.tar")
    assert pulled_layers == layers
    diff_ids = [docker_save.digest(layer) for layer in layers]
    assert config["rootfs"] == {"type": "layers", "diff_ids": diff_ids}
    assert len(config["history"]) == len(layers)
    assert entry["RepoTags"] == [ref]
    assert entry["Config"] == hashlib.sha256(read(entry["Config"])).hexdigest() + ".json"
    top_id = entry["Layers"][-1].split("/")[0]
    assert repositories == {ref.rsplit(":", 1)[0]: {"1": top_id}}
    ancestry = registry_get(registry, f"/v1/images/{top_id}/ancestry").json()
    assert [name.split("/")[0] for name in entry["Layers"]] == ancestry[::-1]

    if fmt == "legacy-1.9":      # v1 JSON pushed and pulled byte for byte (§1.2)
        with tarfile.open(tmp_path / "img.tar") as original:
            for image_id in ancestry:
                assert read(f"{image_id}/json") == original.extractfile(f"{image_id}/json").read()
        return
    # v2-pull §4.7: one v1 image per history row, the top one's id the config digest, its
    # JSON carrying the config; the registry serves those bytes back, so the image ID holds.
    config_bytes = docker_save.image_config(layers)
    assert read(entry["Config"]) == config_bytes
    assert top_id == hashlib.sha256(config_bytes).hexdigest()
    history = json.loads(config_bytes)["history"]
    for image_id, row in zip(ancestry[::-1][:-1], history):
        assert json.loads(read(f"{image_id}/json"))["container_config"] == {
            "Cmd": [row["created_by"]]}
    top_json = json.loads(read(f"{top_id}/json"))
    assert base64.b64decode(top_json["v1registry.v2.config"]) == config_bytes


def test_round_trip_keeps_rows_without_layers_and_the_exact_config_v2_4_7(
        registry, capsys, monkeypatch, tmp_path):
    """A config whose history has rows that added no layer (ENV, CMD...): each row is a v1
    image (throwaway with the empty tar when it added no layer), and the pull gets the
    config's exact bytes back from the registry's v2 API: the image ID is the original's."""
    login(capsys, monkeypatch, registry)
    layers = docker_save.random_layers(2)
    config = built_config(layers, empty_rows=2)
    docker_save.save(str(tmp_path / "img.tar"), "oci-25", layers, "example/img:1", config=config)
    ref = f"{registry.host}/alice/history:1"
    assert v1reg(capsys, "push", "-q", tmp_path / "img.tar", ref) == (0, "")
    assert v1reg(capsys, "pull", "-q", ref, "-o", tmp_path / "pulled.tar") == (0, "")

    entry, _, pulled_layers, repositories, read = read_pulled(tmp_path / "pulled.tar")
    assert read(entry["Config"]) == config
    assert pulled_layers == layers
    top_id = repositories[ref.rsplit(":", 1)[0]]["1"]
    assert top_id == hashlib.sha256(config).hexdigest()
    ancestry = registry_get(registry, f"/v1/images/{top_id}/ancestry").json()[::-1]
    rows = json.loads(config)["history"]
    assert len(ancestry) == len(rows) == 4
    for image_id, row in zip(ancestry, rows):
        v1 = json.loads(read(f"{image_id}/json"))
        assert v1.get("throwaway", False) == row.get("empty_layer", False)
        if image_id != top_id:
            assert (v1["created"], v1["container_config"]["Cmd"]) == (row["created"],
                                                                       [row["created_by"]])
    throwaway = [image_id for image_id, row in zip(ancestry, rows) if row.get("empty_layer")]
    assert registry_get(registry, f"/v1/images/{throwaway[0]}/layer").content == \
        archive.EMPTY_TAR_GZIP
    assert [name.split("/")[0] for name in entry["Layers"]] == [
        image_id for image_id in ancestry if image_id not in throwaway]


@pytest.fixture(scope="module")
def registry_without_v2(tmp_path_factory):
    server = start_registry(str(tmp_path_factory.mktemp("cli-stack-v1")), REGISTRY_V2_API="off")
    yield server
    server.stop()


def test_pull_from_a_registry_without_v2_builds_the_config_from_v1_json(
        registry_without_v2, capsys, monkeypatch, tmp_path):
    registry = registry_without_v2
    login(capsys, monkeypatch, registry)
    layers = docker_save.random_layers(1)
    config = built_config(layers, empty_rows=1)
    docker_save.save(str(tmp_path / "img.tar"), "oci-25", layers, "example/img:1", config=config)
    ref = f"{registry.host}/alice/plain:1"
    assert v1reg(capsys, "push", "-q", tmp_path / "img.tar", ref) == (0, "")
    assert v1reg(capsys, "pull", "-q", ref, "-o", tmp_path / "pulled.tar") == (0, "")
    entry, pulled_config, pulled_layers, _, read = read_pulled(tmp_path / "pulled.tar")
    assert read(entry["Config"]) != config          # docker 1.10–17.x's rebuild, as before
    assert pulled_layers == [layers[0], gzip.decompress(archive.EMPTY_TAR_GZIP)]
    assert pulled_config["rootfs"]["diff_ids"] == [
        docker_save.digest(layer) for layer in pulled_layers]
    # The lower rows come back from their v1 JSON; the top one is the config's (§4.5).
    assert [row.get("created_by") for row in pulled_config["history"]][:-1] == [
        row["created_by"] for row in json.loads(config)["history"]][:-1]


@pytest.mark.parametrize("gzip_blobs, level, stored_as", [
    (True, "6", "the gzip blob itself"), (False, "0", "the tar itself")])
def test_layers_already_gzip_or_level_0_are_uploaded_as_they_are(
        registry, capsys, monkeypatch, tmp_path, gzip_blobs, level, stored_as):
    login(capsys, monkeypatch, registry)
    layers = docker_save.random_layers(2)
    docker_save.save(str(tmp_path / "img.tar"), "oci-25", layers, "example/img:1", gzip_blobs)
    ref = f"{registry.host}/alice/stored-{level}:1"
    assert v1reg(capsys, "push", "-q", "--compress-level", level, tmp_path / "img.tar",
                 ref) == (0, "")
    top_id = registry_get(registry, f"/v1/repositories/alice/stored-{level}/tags/1").json()
    stored = registry_get(registry, f"/v1/images/{top_id}/layer").content
    assert stored == (gzip.compress(layers[-1], mtime=0) if gzip_blobs else layers[-1]), stored_as
    assert v1reg(capsys, "pull", "-q", ref, "-o", tmp_path / "out.tar") == (0, "")
    _, config, pulled_layers, _, _ = read_pulled(tmp_path / "out.tar")
    assert pulled_layers == layers
    assert config["rootfs"]["diff_ids"] == [docker_save.digest(layer) for layer in layers]


def test_console_script_pushes_stdin_and_pulls_to_stdout(registry, capsys, monkeypatch,
                                                         tmp_path):
    """`docker save img | v1reg push - …` and `v1reg pull … | docker load`."""
    login(capsys, monkeypatch, registry)
    layers = saved_image(tmp_path / "img.tar", "oci-25")
    ref = f"{registry.host}/alice/piped:2"
    with open(tmp_path / "img.tar", "rb") as archive:
        pushed = subprocess.run([V1REG, "push", "-", ref], stdin=archive, capture_output=True)
    assert pushed.returncode == 0, pushed.stderr
    with open(tmp_path / "pulled.tar", "wb") as out:
        pulled = subprocess.run([V1REG, "pull", ref], stdout=out, stderr=subprocess.PIPE)
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stderr.decode().splitlines()[-1].startswith(f"pulled {ref} (")
    assert read_pulled(tmp_path / "pulled.tar")[2] == layers


def test_tags_inspect_and_rm_2_13_2_16_2_17(registry, capsys, monkeypatch, tmp_path):
    login(capsys, monkeypatch, registry)
    saved_image(tmp_path / "img.tar")
    name = f"{registry.host}/alice/removable"
    for tag in ("1", "2"):
        assert v1reg(capsys, "push", "-q", tmp_path / "img.tar", f"{name}:{tag}")[0] == 0
    status, out, _ = run(capsys, "inspect", f"{name}:1")
    shown = json.loads(out)
    top_id = shown["id"]
    assert shown["json"]["id"] == top_id
    assert [image["id"] for image in shown["ancestry"]] == registry_get(
        registry, f"/v1/images/{top_id}/ancestry").json()
    assert all(image["checksum"].startswith("sha256:") and image["size"] > 0
               for image in shown["ancestry"])
    assert run(capsys, "tags", name) == (0, f"1\t{top_id}\n2\t{top_id}\n", "")
    status, out, _ = run(capsys, "search", registry.host, "removable")
    assert status == 0 and out.startswith("alice/removable\t0\t")

    assert v1reg(capsys, "rm", f"{name}:2") == (0, f"deleted {name}:2\n")
    assert run(capsys, "tags", name)[1] == f"1\t{top_id}\n"
    assert v1reg(capsys, "rm", f"{name}:2") == (
        1, "v1reg: tag 2 not found in repository alice/removable\n")
    assert v1reg(capsys, "rm", name) == (0, f"deleted {name}\n")
    assert v1reg(capsys, "tags", name) == (
        1, f"v1reg: repository alice/removable not found on {registry.host}\n")


def test_pull_of_a_missing_tag_is_a_one_line_error_2_14(registry, capsys, monkeypatch,
                                                        tmp_path):
    login(capsys, monkeypatch, registry)
    saved_image(tmp_path / "img.tar")
    assert v1reg(capsys, "push", "-q", tmp_path / "img.tar",
                 f"{registry.host}/alice/tagged:1")[0] == 0
    assert v1reg(capsys, "pull", f"{registry.host}/alice/tagged:nope", "-o",
                 tmp_path / "out.tar") == (
        1, "v1reg: tag nope not found in repository alice/tagged\n")
    assert not (tmp_path / "out.tar").exists()


def test_push_without_permission_is_a_one_line_error_3_4(registry, capsys, monkeypatch,
                                                        tmp_path):
    login(capsys, monkeypatch, registry, BOBBY)
    saved_image(tmp_path / "img.tar")
    ref = f"{registry.host}/alice/not-bobbys:1"
    status, err = v1reg(capsys, "push", tmp_path / "img.tar", ref)
    assert status == 1
    assert err.startswith(f"v1reg: push {ref}: permission denied for user bobby")
    assert err.count("\n") == 1


def test_push_when_not_logged_in_asks_for_login_3_4(registry, capsys, tmp_path):
    saved_image(tmp_path / "img.tar")
    ref = f"{registry.host}/alice/anonymous:1"
    assert v1reg(capsys, "push", tmp_path / "img.tar", ref) == (
        1, f"v1reg: push {ref}: authentication required (run: v1reg login {registry.host})\n")


def test_push_of_something_else_than_docker_save_fails_cleanly(registry, capsys, monkeypatch,
                                                               tmp_path):
    login(capsys, monkeypatch, registry)
    (tmp_path / "junk.tar").write_bytes(b"not a tar at all" * 100)
    status, err = v1reg(capsys, "push", tmp_path / "junk.tar", f"{registry.host}/alice/junk")
    assert status == 1
    assert err.startswith(f"v1reg: {tmp_path / 'junk.tar'}: not a docker save archive")


@pytest.mark.parametrize("text, url, name, tag", [
    ("127.0.0.1:8000/me/img:1", "http://127.0.0.1:8000", "me/img", "1"),
    ("localhost:5000/img", "http://localhost:5000", "img", None),
    ("[::1]:5000/me/img:v1.0", "http://[::1]:5000", "me/img", "v1.0"),
    ("registry.example.com/me/img:latest", "https://registry.example.com", "me/img", "latest"),
    ("http://registry.example.com:80/me/img", "http://registry.example.com:80", "me/img", None),
])
def test_references_name_registry_repository_and_tag_4_11(text, url, name, tag):
    ref = reference.parse(text)
    assert (ref.registry.url, ref.name, ref.tag) == (url, name, tag)
    assert ref.library_name == (name if "/" in name else "library/" + name)


@pytest.mark.parametrize("text", ["img", "host/", "host/a/b/c", "host/Upper", "host/me/img:-x",
                                  "ftp://host/me/img"])
def test_invalid_references_are_one_line_errors_4_12(capsys, text):
    status, err = v1reg(capsys, "pull", text, "-o", "unused.tar")
    assert status == 1
    assert err.startswith("v1reg: invalid ") and err.count("\n") == 1
