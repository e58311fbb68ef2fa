"""Who may pull what over v2 (spec v2-pull §2.6, §2.7; v1 spec §4.22): the v1 read rules,
through tokens. Anonymous tokens reach public repositories only; a private one only its
owner and admins; a repository in no grant is 401 with the challenge (as distribution and
Docker Hub answer, so a private repository looks like a missing one); a token ends with its
reason (repository made private, password changed), as v1 tokens do."""
import json

import pytest

from auth_world import PASSWORD, As, register, set_access
from conftest import ADMIN, basic
from v2_helpers import bearer, code_of, digest, docker_1x_chain, push, random_layers, v2_get

ROLES = ["anonymous", "owner", "other user", "admin"]
# role -> (status on alice/public, status on alice/private)
EXPECTED = {"anonymous": (200, 401), "owner": (200, 200), "other user": (200, 401),
            "admin": (200, 200)}
SCOPES = ["repository:alice/public:pull", "repository:alice/private:pull"]


@pytest.fixture
def world(anonymous_client, admin):
    http = anonymous_client.http
    register(http, "alice")
    register(http, "bobby")
    alice = As(http, basic("alice", PASSWORD))
    images = {}
    for name in ("alice/public", "alice/private"):
        images[name] = docker_1x_chain(random_layers(1))
        push(alice, name, "1", images[name])
    set_access(alice, "alice/private", "private")
    authorizations = {"anonymous": "", "owner": basic("alice", PASSWORD),
                      "other user": basic("bobby", PASSWORD), "admin": basic(*ADMIN)}
    return http, images, authorizations


def paths(name: str, image) -> list[str]:
    return [f"/v2/{name}/manifests/1", f"/v2/{name}/blobs/{digest(image.layer)}",
            f"/v2/{name}/tags/list"]


@pytest.mark.parametrize("role", ROLES)
def test_pull_matrix_follows_the_v1_read_rules(world, role):
    http, images, authorizations = world
    token = bearer(http, SCOPES, authorizations[role])["token"]
    for name, expected in zip(("alice/public", "alice/private"), EXPECTED[role]):
        for path in paths(name, images[name][0]):
            response = v2_get(http, path, token)
            assert response.status_code in ((200, 307) if expected == 200 else (expected,)), \
                (role, path)
            if expected == 401:
                assert code_of(response) == "UNAUTHORIZED"
                assert f'scope="repository:{name}:pull"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("role", ROLES)
def test_catalog_matrix(world, role):
    http, _, authorizations = world
    token = bearer(http, ["registry:catalog:*"], authorizations[role])["token"]
    listed = json.loads(v2_get(http, "/v2/_catalog", token).body)["repositories"]
    readable = sorted(name for name, status in zip(("alice/public", "alice/private"),
                                                   EXPECTED[role]) if status == 200)
    assert [name for name in listed if name.startswith("alice/")] == readable


@pytest.mark.parametrize("role, status, code", [
    ("anonymous", 401, "UNAUTHORIZED"), ("other user", 404, "NAME_UNKNOWN"),
    ("owner", 200, None)])
def test_a_repository_made_private_ends_other_callers_tokens(world, role, status, code):
    http, images, authorizations = world
    token = bearer(http, ["repository:alice/public:pull"], authorizations[role])["token"]
    path = "/v2/alice/public/manifests/1"
    assert v2_get(http, path, token).status_code == 200
    set_access(As(http, basic("alice", PASSWORD)), "alice/public", "private")
    from chalicelib.store import cache
    cache.clear_all()                        # every container, REGISTRY_AUTH_CACHE_SECONDS on
    response = v2_get(http, path, token)
    assert response.status_code == status
    if code:
        assert code_of(response) == code


def test_v1_and_v2_tokens_do_not_stand_for_each_other(world):
    http, _, authorizations = world
    listing = http.get("/v1/repositories/alice/public/images",
                       headers={"X-Docker-Token": "true", "Authorization": ""})
    v1_token = listing.headers["X-Docker-Token"]
    assert v2_get(http, "/v2/alice/public/manifests/1", v1_token).status_code == 401
    v2_token = bearer(http, ["repository:alice/public:pull"])["token"]
    assert http.get("/v1/repositories/alice/public/tags", headers={
        "Authorization": f"Token {v2_token}"}).status_code == 401
