"""Fixtures and helpers of the v1reg tests: a local stack with two accounts, a fresh
~/.docker per test, and the CLI run in process."""
import io
import json
import os
import sys
import tarfile

import pytest
import requests

import docker_save
from local_stack import LocalStack
from v1reg import cli

MIB = 1024 * 1024
ALICE, BOBBY = ("alice", "alice-password"), ("bobby", "bobby-password")
V1REG = os.path.join(os.path.dirname(sys.executable), "v1reg")


def start_registry(directory: str, **env) -> LocalStack:
    """The local stack with 5 MiB multipart parts (S3's smallest) and two accounts."""
    server = LocalStack(directory, env={"REGISTRY_BCRYPT_ROUNDS": "4",
                                        "REGISTRY_MULTIPART_PART_SIZE": str(5 * MIB),
                                        **env}).start()
    for username, password in (ALICE, BOBBY):
        created = requests.post(server.url + "/v1/users/", json={
            "username": username, "password": password, "email": f"{username}@example.com"})
        assert created.status_code == 201, created.text
    server.host = server.url.split("://")[1]
    return server


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    server = start_registry(str(tmp_path_factory.mktemp("cli-stack")))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def home(monkeypatch, tmp_path):
    """A fresh ~/.docker and download cache per test."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def run(capsys, *argv, http=None, stdin=None, monkeypatch=None):
    """Run the CLI in process: (exit status, stdout, stderr)."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    capsys.readouterr()
    try:
        cli.main([str(arg) for arg in argv], http=http)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def v1reg(capsys, *argv, **kwargs):
    """(exit status, stderr)"""
    status, _, err = run(capsys, *argv, **kwargs)
    return status, err


def login(capsys, monkeypatch, registry, user=ALICE):
    status, err = v1reg(capsys, "login", registry.host, "-u", user[0], "--password-stdin",
                        stdin=user[1] + "\n", monkeypatch=monkeypatch)
    assert (status, err) == (0, "Login Succeeded\n")


def saved_image(path, fmt="oci-25", layers=None):
    layers = layers or docker_save.random_layers(3)
    docker_save.save(str(path), fmt, layers, "example/img:1")
    return layers


def read_pulled(path):
    """manifest.json entry, config, layer tars and repositories of a pulled archive."""
    with tarfile.open(path) as tar:
        files = {member.name: tar.extractfile(member).read() for member in tar if member.isfile()}
    read = files.__getitem__
    manifest = json.loads(read("manifest.json"))
    assert len(manifest) == 1
    entry = manifest[0]
    return (entry, json.loads(read(entry["Config"])), [read(n) for n in entry["Layers"]],
            json.loads(read("repositories")), read)


def registry_get(registry, path, user=ALICE, **kwargs):
    return requests.get(registry.url + path, auth=user, **kwargs)
