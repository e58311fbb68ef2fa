"""Nobody can change what another user pulls (issue 9), over real HTTP against the local
stack with real accounts: images belong to the namespace that pushed them, verified bytes
are immutable, a deleted private repository stays gone, and credentials end with their
reason. Each test is an attack that worked; it must fail for the attacker.

Spec: §4.22 (authorising /v1/images/...), §4.20 (upload states), §2.3–2.7 and §2.15
(image and tag calls), §3.3–3.7 (Index), §5.4/§5.5 (what docker 1.x sends), §5.9.
"""
import hashlib
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

import docker_v1
from docker_v1 import new_image, open_pull, open_push, put_checksum, put_json, put_layer, put_tag
from trust_world import (CHALLENGE, JSON, account, basic, complete_multipart, content_of,
                         error_of, login, multipart_plan, redirect_url, served, set_access,
                         token)

AUTH_CACHE_SECONDS = 1
STACK_ENV = {"REGISTRY_AUTH_CACHE_SECONDS": str(AUTH_CACHE_SECONDS),
             "REGISTRY_REGISTRATIONS_PER_SOURCE": "100"}
KIB = 1024


@pytest.fixture(scope="module")
def alice(stack):
    return account(stack, "alice")


@pytest.fixture(scope="module")
def mallory(stack):
    return account(stack, "mallory")


def wait_past_auth_cache():
    """Each container caches user and repository records REGISTRY_AUTH_CACHE_SECONDS."""
    time.sleep(AUTH_CACHE_SECONDS + 1)


def image_reads(stack, image_id: str, headers: dict) -> dict:
    """Status and body of GET json, layer and ancestry (no redirect followed)."""
    return {resource: requests.get(f"{stack.url}/v1/images/{image_id}/{resource}",
                                   headers=headers, allow_redirects=False)
            for resource in ("json", "layer", "ancestry")}


# ---- 1. verified bytes are immutable (§2.5, §4.20, README "Layer uploads") ----

def test_redirect_upload_rewritten_after_verification_keeps_serving_the_verified_bytes(
        stack, alice):
    """The presigned PUT URL of a redirected upload stays valid (20 min) after PUT checksum;
    bytes PUT there afterwards are never served: the image is COMPLETE (§4.20)."""
    image = new_image(os.urandom(64 * KIB))
    session = open_push(stack.url, "alice/redirected", [image], auth=alice)
    assert put_json(session, image).status_code == 200
    url = redirect_url(session, image.id)
    assert requests.put(url, data=image.layer).status_code == 200
    assert put_checksum(session, image).content == b"true"
    assert put_tag(session, "alice/redirected", "latest", image.id).status_code == 200

    requests.put(url, data=os.urandom(len(image.layer)))    # S3 may take it; it must not matter

    for auth in (None, alice):
        assert served(stack, "alice/redirected", auth) == content_of(image)


def test_multipart_part_rewritten_after_verification_keeps_serving_the_verified_bytes(
        stack, alice):
    """A part URL of a completed multipart upload, PUT again, changes nothing served; the
    completion cannot be repeated on a COMPLETE image (409, §4.20)."""
    image = new_image(os.urandom(64 * KIB))
    session = open_push(stack.url, "alice/multipart", [image], auth=alice)
    assert put_json(session, image).status_code == 200
    plan = multipart_plan(session, image.id, len(image.layer))
    (part,) = plan["parts"]
    uploaded = requests.put(part["url"], data=image.layer)
    parts = [{"number": 1, "etag": uploaded.headers["ETag"]}]
    assert complete_multipart(session, image.id, plan["upload_id"], parts).content == b"true"
    assert put_checksum(session, image).content == b"true"
    assert put_tag(session, "alice/multipart", "latest", image.id).status_code == 200

    rewritten = requests.put(part["url"], data=os.urandom(len(image.layer)))
    parts = [{"number": 1, "etag": rewritten.headers.get("ETag", '"0"')}]
    assert error_of(complete_multipart(session, image.id, plan["upload_id"], parts)) == (
        409, "Image already exists")

    for auth in (None, alice):
        assert served(stack, "alice/multipart", auth) == content_of(image)


def test_complete_image_refuses_every_new_upload_and_stays_as_verified(stack, alice):
    """§4.20: COMPLETE --PUT json|layer--> 409 "Image already exists", --PUT checksum-->
    409 "Cannot set this image checksum" (the same checksum: "Image already exists", §5.9);
    no new presigned URL or multipart plan for it either."""
    image = new_image(os.urandom(16 * KIB))
    pushed = docker_v1.push(stack.url, "alice/inline", [image], auth=alice)
    session = docker_v1.Session(stack.url, registry_url=stack.url, token=pushed.token)
    other = new_image(os.urandom(16 * KIB), image_id=image.id, author="someone else")

    assert error_of(put_layer(session, other)) == (409, "Image already exists")
    assert error_of(put_json(session, other)) == (409, "Image already exists")
    assert error_of(put_checksum(session, other)) == (409, "Cannot set this image checksum")
    assert error_of(put_checksum(session, image)) == (409, "Image already exists")
    for mode in ({"X-Registry-Upload": "redirect"},
                 {"X-Registry-Upload": "multipart", "X-Registry-Layer-Size": "1000"}):
        response = session.registry("PUT", f"/v1/images/{image.id}/layer", data=b"",
                                    headers=mode)
        assert error_of(response) == (409, "Image already exists")

    for auth in (None, alice):
        assert served(stack, "alice/inline", auth) == content_of(image)


SWAP_ATTEMPTS = 8


def test_bytes_swapped_while_the_checksum_is_verified_are_never_served(stack, alice, mallory):
    """While the registry verifies a redirected upload (PUT checksum), mallory keeps PUTting
    other bytes to his presigned URL. If the checksum is accepted, his image serves the bytes
    it was verified against; and alice, pushing those same layer bytes later in her own
    namespace (a layer pushed twice is stored once), pulls her bytes, never his swap."""
    for attempt in range(SWAP_ATTEMPTS):
        layer, swap = os.urandom(256 * KIB), os.urandom(256 * KIB)
        his = new_image(layer)
        session = open_push(stack.url, f"mallory/swap{attempt}", [his], auth=mallory)
        assert put_json(session, his).status_code == 200
        url = redirect_url(session, his.id)
        assert requests.put(url, data=layer).status_code == 200

        verified = threading.Event()

        def swap_until_verified():
            while not verified.is_set():
                for body in (layer, swap):
                    requests.put(url, data=body)

        with ThreadPoolExecutor(1) as pool:
            swapping = pool.submit(swap_until_verified)
            checksum = put_checksum(session, his)
            verified.set()
            swapping.result()
        if checksum.status_code == 200:
            assert put_tag(session, f"mallory/swap{attempt}", "latest", his.id).status_code == 200
            assert served(stack, f"mallory/swap{attempt}", mallory) == content_of(his)
        else:                   # it hashed the swap, or saw the upload change: retry later
            assert error_of(checksum)[0] in (400, 409)

        hers = new_image(layer)
        docker_v1.push(stack.url, f"alice/swap{attempt}", [hers], auth=alice)
        assert served(stack, f"alice/swap{attempt}", None) == content_of(hers)


# ---- 2. an id is not a claim on another namespace (§4.22, §4.14, §5.4) ----

def test_squatted_id_does_not_stand_in_for_another_users_image(stack, alice, mallory):
    """docker 1.10+ derive v1 ids from content (§4.14), so mallory can push id X with his
    own bytes before alice pushes X. Alice's push must probe 404 and upload her bytes (a 200
    probe makes docker skip the image, §5.4 step 3.1); each tag then serves its own bytes."""
    her_layer, his_layer = os.urandom(32 * KIB), os.urandom(32 * KIB)
    squatted = hashlib.sha256(her_layer).hexdigest()      # an id anyone can compute
    his = new_image(his_layer, image_id=squatted, author="mallory")
    hers = new_image(her_layer, image_id=squatted, author="alice")
    docker_v1.push(stack.url, "mallory/squat", [his], auth=mallory)

    pushed = docker_v1.push(stack.url, "alice/app", [hers], auth=alice)

    for auth in (None, alice):
        assert served(stack, "alice/app", auth) == content_of(hers)
    for auth in (None, mallory):
        assert served(stack, "mallory/squat", auth) == content_of(his)
    assert pushed.skipped == []
    calls = [(c.method, c.path.rsplit("/", 1)[1], c.status) for c in pushed.calls
             if c.path.startswith(f"/v1/images/{squatted}/")]
    assert calls == [("GET", "json", 404), ("PUT", "json", 200), ("PUT", "layer", 200),
                     ("PUT", "checksum", 200)]


# ---- 3. an upload in progress is its pusher's (§4.20, §2.3–2.5) ----

def test_upload_in_progress_cannot_be_taken_over_from_another_namespace(stack, alice, mallory):
    """Alice stops after PUT json. Mallory lists her id in his own push and sends json,
    layer and checksum for it: that is an image of his namespace. Alice's upload is
    untouched: her layer and checksum answer 200 and her tag serves her bytes."""
    hers = new_image(os.urandom(32 * KIB), author="alice")
    his = new_image(os.urandom(32 * KIB), image_id=hers.id, author="mallory")
    alice_push = open_push(stack.url, "alice/upload", [hers], auth=alice)
    assert put_json(alice_push, hers).status_code == 200

    mallory_push = open_push(stack.url, "mallory/x", [his], auth=mallory)
    assert [put_json(mallory_push, his).status_code, put_layer(mallory_push, his).status_code,
            put_checksum(mallory_push, his).status_code] == [200, 200, 200]

    assert put_layer(alice_push, hers).content == b"true"
    assert put_checksum(alice_push, hers).content == b"true"
    assert put_tag(alice_push, "alice/upload", "latest", hers.id).status_code == 200
    for auth in (None, alice):
        assert served(stack, "alice/upload", auth) == content_of(hers)
    assert put_tag(mallory_push, "mallory/x", "latest", his.id).status_code == 200
    assert served(stack, "mallory/x", None) == content_of(his)


def test_bare_layer_put_from_another_namespace_does_not_break_a_push(stack, alice, mallory):
    """Between alice's PUT layer and PUT checksum, mallory PUTs a layer for her id with a
    write token of his own repository: his namespace has no such image (404, §2.4 step 2),
    and alice's checksum still matches."""
    hers = new_image(os.urandom(32 * KIB))
    alice_push = open_push(stack.url, "alice/steady", [hers], auth=alice)
    assert put_json(alice_push, hers).status_code == 200
    assert put_layer(alice_push, hers).status_code == 200

    mallory_push = open_push(stack.url, "mallory/y", [hers], auth=mallory)
    meddling = docker_v1.Image(hers.id, hers.json, os.urandom(32 * KIB))
    assert error_of(put_layer(mallory_push, meddling)) == (404, "Image not found")

    assert put_checksum(alice_push, hers).content == b"true"
    assert put_tag(alice_push, "alice/steady", "latest", hers.id).status_code == 200
    assert served(stack, "alice/steady", None) == content_of(hers)


# ---- 4. a private parent behind a public child (§4.22) ----

def test_private_parent_stays_unreadable_through_an_untagged_public_child(
        stack, alice, mallory):
    """P is in alice's private alice/secret; Q (child of P) was completed through her
    public alice/pub but never tagged. Mallory cannot tag Q (or P) into his repository, and
    neither he nor an anonymous caller reads P by any route or credential (§4.22: guard
    the indirection)."""
    parent = new_image(os.urandom(16 * KIB))
    docker_v1.push(stack.url, "alice/secret", [parent], auth=alice)
    set_access(stack, "alice/secret", "private", alice)
    child = new_image(os.urandom(16 * KIB), parent=parent.id)
    public = open_push(stack.url, "alice/pub", [child], auth=alice)
    for step in (put_json, put_layer, put_checksum):
        assert step(public, child).status_code == 200

    loot = open_push(stack.url, "mallory/loot", [child], auth=mallory)
    for image_id in (child.id, parent.id):
        assert error_of(put_tag(loot, "mallory/loot", "latest", image_id)) == (
            404, "Image not found")
    tags = requests.get(f"{stack.url}/v1/repositories/mallory/loot/tags", headers=basic(mallory))
    assert (tags.status_code, tags.json()) == (200, {})
    grandchild = new_image(b"mallory's layer", parent=parent.id)
    assert error_of(put_json(loot, grandchild)) == (400, "Image depends on a non existing parent")

    anonymous_pub = open_pull(stack.url, "alice/pub").token
    mallory_pub = open_pull(stack.url, "alice/pub", auth=mallory).token
    mallory_loot = open_pull(stack.url, "mallory/loot", auth=mallory).token
    # the child itself is public through alice/pub (completed through it), its ancestry too
    ancestry = requests.get(f"{stack.url}/v1/images/{child.id}/ancestry",
                            headers=token(anonymous_pub))
    assert (ancestry.status_code, ancestry.json()) == (200, [child.id, parent.id])
    for headers in ({}, token(anonymous_pub)):
        for resource, response in image_reads(stack, parent.id, headers).items():
            assert error_of(response)[0] == 401, (resource, headers)
            assert response.headers["WWW-Authenticate"] == CHALLENGE
    for headers in (basic(mallory), token(mallory_pub), token(mallory_loot),
                    token(loot.token)):
        for resource, response in image_reads(stack, parent.id, headers).items():
            assert error_of(response) == (404, "Image not found"), (resource, headers)
    for auth, status in ((None, 401), (mallory, 404)):
        response = requests.get(f"{stack.url}/v1/repositories/alice/secret/images",
                                headers={"X-Docker-Token": "true", **(basic(auth) if auth else {})})
        assert response.status_code == status and "X-Docker-Token" not in response.headers
    # alice herself still reads it
    assert image_reads(stack, parent.id, basic(alice))["json"].content == parent.json


# ---- 5. a deleted private repository stays deleted (§2.17, §3.5, §2.15) ----

def assert_invisible_to_others(stack, name: str, mallory, image_ids: list[str]):
    """Nothing of `name` or its images reaches an anonymous caller or mallory."""
    for auth, statuses in ((None, {401, 404}), (mallory, {404})):
        headers = basic(auth) if auth else {}
        for path in ("tags", "tags/latest", "images", "properties"):
            response = requests.get(f"{stack.url}/v1/repositories/{name}/{path}",
                                    headers={"X-Docker-Token": "true", **headers})
            assert error_of(response)[0] in statuses, (auth, path, response.text)
            assert "X-Docker-Token" not in response.headers
        for image_id in image_ids:
            for resource, response in image_reads(stack, image_id, headers).items():
                assert error_of(response)[0] in statuses, (auth, resource)
        found = requests.get(f"{stack.url}/v1/search", params={"q": name.split("/")[1]},
                             headers=headers).json()["results"]
        assert name not in [result["name"] for result in found]


def test_tag_after_delete_does_not_bring_the_repository_back(stack, alice, mallory):
    """A push's write token outlives a DELETE of its repository: PUT tag with it must not
    recreate the repository (404 "Repository not found"), let alone as public, even for an
    image alice still has elsewhere; only her PUT /v1/repositories/<name>/ makes it again,
    empty."""
    base, extra = docker_v1.chain([os.urandom(8 * KIB), os.urandom(8 * KIB)])
    docker_v1.push(stack.url, "alice/elsewhere", [base], auth=alice)
    session = open_push(stack.url, "alice/gone", [base, extra], auth=alice)
    set_access(stack, "alice/gone", "private", alice)
    assert put_tag(session, "alice/gone", "latest", base.id).status_code == 200
    assert put_json(session, extra).status_code == 200
    assert put_layer(session, extra).status_code == 200

    deleted = requests.delete(f"{stack.url}/v1/repositories/alice/gone/", headers=basic(alice))
    assert deleted.status_code == 200

    assert error_of(put_tag(session, "alice/gone", "latest", base.id)) == (
        404, "Repository not found")
    assert put_checksum(session, extra).status_code < 500
    assert error_of(put_tag(session, "alice/gone", "other", extra.id)) == (
        404, "Repository not found")
    tags = requests.get(f"{stack.url}/v1/repositories/alice/gone/tags", headers=basic(alice))
    assert error_of(tags) == (404, "Repository not found")
    assert_invisible_to_others(stack, "alice/gone", mallory, [extra.id])

    open_push(stack.url, "alice/gone", [base], auth=alice)
    tags = requests.get(f"{stack.url}/v1/repositories/alice/gone/tags", headers=basic(alice))
    assert (tags.status_code, tags.json()) == (200, {})


RACE_ROUNDS = 30
RACE_SECONDS = 90


def test_delete_racing_tag_and_checksum_never_leaves_a_public_or_readable_repository(
        stack, alice, mallory):
    """DELETE of alice's private repository races PUT tag and PUT checksum with her push's
    write token. Afterwards the repository is gone (404 to alice) or wholly present and
    still private; never public, never partly readable by anyone else."""
    deadline = time.monotonic() + RACE_SECONDS
    outcomes = []
    for number in range(RACE_ROUNDS):
        if time.monotonic() > deadline:
            break
        name = f"alice/priv{number}"
        base, extra = docker_v1.chain([os.urandom(4 * KIB), os.urandom(4 * KIB)])
        session = open_push(stack.url, name, [base, extra], auth=alice)
        set_access(stack, name, "private", alice)
        for step in (put_json, put_layer, put_checksum):
            assert step(session, base).status_code == 200
        assert put_tag(session, name, "latest", base.id).status_code == 200
        assert put_json(session, extra).status_code == 200
        assert put_layer(session, extra).status_code == 200

        racers = {
            "DELETE repository": lambda: requests.delete(
                f"{stack.url}/v1/repositories/{name}/", headers=basic(alice)),
            "PUT tag racing": lambda: put_tag(session, name, "racing", base.id),
            "PUT checksum": lambda: put_checksum(session, extra),
            "PUT tag latest": lambda: put_tag(session, name, "latest", extra.id)}
        start = threading.Barrier(len(racers))

        def at_once(call):
            start.wait()
            return call()
        with ThreadPoolExecutor(len(racers)) as pool:
            answers = {racer: (answer.status_code, answer.text[:80]) for racer, answer
                       in zip(racers, pool.map(at_once, racers.values()))}
        assert all(status < 500 for status, _body in answers.values()), answers

        properties = requests.get(f"{stack.url}/v1/repositories/{name}/properties",
                                  headers=basic(alice))
        tags = requests.get(f"{stack.url}/v1/repositories/{name}/tags", headers=basic(alice))
        if properties.status_code == 404:
            outcomes.append("gone")
            assert error_of(properties) == (404, "Repository not found")
            assert error_of(tags) == (404, "Repository not found"), answers
        else:
            outcomes.append("present")
            assert properties.json() == {"access": "private"}, answers
            assert tags.status_code == 200 and "latest" in tags.json(), answers
        assert_invisible_to_others(stack, name, mallory, [base.id, extra.id])
    assert len(outcomes) >= 10, outcomes


# ---- 6. credentials that outlive their reason (§3.3, §4.7) ----

def repository_reads(stack, name: str, image_id: str, headers: dict) -> list:
    """(status, decoded body) of the tag list and of the image JSON, as a pull reads them."""
    tags = requests.get(f"{stack.url}/v1/repositories/{name}/tags", headers=headers)
    image = requests.get(f"{stack.url}/v1/images/{image_id}/json", headers=headers)
    return [(tags.status_code, tags.json()), (image.status_code, image.json())]


def put_tag_with(stack, name: str, image_id: str, headers: dict) -> requests.Response:
    return requests.put(f"{stack.url}/v1/repositories/{name}/tags/again",
                        data=json.dumps(image_id), headers={**headers, **JSON})


def assert_token_refused(response: requests.Response) -> None:
    """A credential that no longer verifies: 401 with the challenge, on every route."""
    assert error_of(response)[0] == 401, response.text
    assert response.headers["WWW-Authenticate"] == CHALLENGE


def test_password_change_ends_the_users_existing_tokens(stack):
    """PUT /v1/users/<u>/ with a new password (§3.3): within REGISTRY_AUTH_CACHE_SECONDS the
    tokens handed out before are refused, read and write alike, and so is the old password;
    the new password works, and its tokens too."""
    carol = account(stack, "carol")
    (image,) = docker_v1.chain([os.urandom(4 * KIB)])
    write = docker_v1.push(stack.url, "carol/app", [image], auth=carol).token
    read = open_pull(stack.url, "carol/app", auth=carol).token
    assert put_tag_with(stack, "carol/app", image.id, token(write)).status_code == 200
    assert repository_reads(stack, "carol/app", image.id, token(read)) == [
        (200, {"latest": image.id, "again": image.id}), (200, json.loads(image.json))]

    changed = requests.put(f"{stack.url}/v1/users/carol/", data=json.dumps(
        {"password": "carols-new-password"}), headers={**basic(carol), **JSON})
    assert changed.status_code == 204
    wait_past_auth_cache()

    assert_token_refused(put_tag_with(stack, "carol/app", image.id, token(write)))
    assert_token_refused(requests.get(f"{stack.url}/v1/repositories/carol/app/tags",
                                      headers=token(read)))
    assert_token_refused(requests.get(f"{stack.url}/v1/images/{image.id}/json",
                                      headers=token(read)))
    assert_token_refused(login(stack, carol))
    renewed = ("carol", "carols-new-password")
    assert login(stack, renewed).status_code == 200
    fresh = open_pull(stack.url, "carol/app", auth=renewed).token
    assert repository_reads(stack, "carol/app", image.id, token(fresh))[1] == (
        200, json.loads(image.json))


def test_deactivation_ends_the_users_tokens_for_good(stack):
    """An admin's PUT /v1/users/<u>/ {"active": false} ends the user's tokens within
    REGISTRY_AUTH_CACHE_SECONDS; activating the account again does not revive them."""
    dave = account(stack, "dave")
    (image,) = docker_v1.chain([os.urandom(4 * KIB)])
    write = docker_v1.push(stack.url, "dave/app", [image], auth=dave).token
    read = open_pull(stack.url, "dave/app", auth=dave).token

    def set_active(active):
        response = requests.put(f"{stack.url}/v1/users/dave/", data=json.dumps(
            {"active": active}), headers={**basic(stack.admin), **JSON})
        assert response.status_code == 204
        wait_past_auth_cache()

    def assert_tokens_refused():
        assert_token_refused(requests.get(f"{stack.url}/v1/images/{image.id}/json",
                                          headers=token(read)))
        assert_token_refused(put_tag_with(stack, "dave/app", image.id, token(write)))

    set_active(False)
    assert_tokens_refused()
    assert error_of(login(stack, dave)) == (403, "Account is not Active")
    set_active(True)
    assert_tokens_refused()
    assert login(stack, dave).status_code == 200
    fresh = open_pull(stack.url, "dave/app", auth=dave).token
    assert repository_reads(stack, "dave/app", image.id, token(fresh))[1] == (
        200, json.loads(image.json))


def test_making_a_repository_private_ends_other_users_tokens_not_the_owners(
        stack, alice, mallory):
    """Read tokens of a public repository (mallory's, an anonymous caller's) end within
    REGISTRY_AUTH_CACHE_SECONDS of the owner making it private (§2.20): mallory's answer
    404 (nothing revealed), the anonymous one 401. The owner's tokens go on working."""
    (image,) = docker_v1.chain([os.urandom(4 * KIB)])
    write = docker_v1.push(stack.url, "alice/shared", [image], auth=alice).token
    readers = {who: open_pull(stack.url, "alice/shared", auth=auth).token
               for who, auth in (("alice", alice), ("mallory", mallory), ("anonymous", None))}
    public = [(200, {"latest": image.id}), (200, json.loads(image.json))]
    for value in readers.values():
        assert repository_reads(stack, "alice/shared", image.id, token(value)) == public

    set_access(stack, "alice/shared", "private", alice)
    wait_past_auth_cache()

    assert repository_reads(stack, "alice/shared", image.id, token(readers["mallory"])) == [
        (404, {"error": "Repository not found"}), (404, {"error": "Image not found"})]
    anonymous = token(readers["anonymous"])
    assert_token_refused(requests.get(f"{stack.url}/v1/repositories/alice/shared/tags",
                                      headers=anonymous))
    assert_token_refused(requests.get(f"{stack.url}/v1/images/{image.id}/json",
                                      headers=anonymous))
    assert repository_reads(stack, "alice/shared", image.id, token(readers["alice"])) == public
    assert put_tag_with(stack, "alice/shared", image.id, token(write)).status_code == 200
