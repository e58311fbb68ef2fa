"""Reading and writing `/v1/images/<id>/...` without a repository in the path (spec §4.22,
§4.6.4): an image belongs to a namespace, resolved from the token's repository (or the
Basic caller's own name), so the same id in two namespaces is two images, and nobody reads
or changes an image of a namespace through another."""
import json

from auth_world import PASSWORD, As, register, set_access, start_push
from conftest import basic
from helpers import JSON_HEADERS, error_of, new_id, put_image, put_tag


def callers(http):
    register(http, "alice")
    register(http, "bobby")
    return (As(http, basic("alice", PASSWORD)), As(http, basic("bobby", PASSWORD)),
            As(http, None))


def pushing(http, caller: As, name: str) -> As:
    """The caller's registry calls during a push to `name`: its write token (§5.4)."""
    return As(http, "Token " + start_push(caller, name, []))


def reading(caller: As, name: str) -> As:
    """A puller's registry calls: the read token of `GET .../images` (§5.5)."""
    response = caller.get(f"/v1/repositories/{name}/images", headers={"X-Docker-Token": "true"})
    assert response.status_code == 200, response.body
    return As(caller._http, "Token " + response.headers["X-Docker-Token"])


def layer_bytes(caller: As, image_id: str) -> bytes:
    import requests
    response = caller.get(f"/v1/images/{image_id}/layer")
    assert response.status_code == 302, response.body
    return requests.get(response.headers["Location"]).content


def test_same_id_in_two_namespaces_is_two_images(anonymous_client):
    http = anonymous_client.http
    alice, bobby, anonymous = callers(http)
    image_id = new_id()
    bobby_push = pushing(http, bobby, "bobby/squat")
    put_image(bobby_push, image_id=image_id, layer=b"bobby's bytes")
    assert put_tag(bobby, "bobby/squat", "latest", image_id).status_code == 200
    alice_push = pushing(http, alice, "alice/app")
    probe = alice_push.get(f"/v1/images/{image_id}/json")            # docker's push probe
    assert (probe.status_code, error_of(probe)) == (404, "Image not found")
    put_image(alice_push, image_id=image_id, layer=b"alice's bytes")
    assert put_tag(alice, "alice/app", "latest", image_id).status_code == 200
    assert layer_bytes(reading(anonymous, "alice/app"), image_id) == b"alice's bytes"
    assert layer_bytes(reading(anonymous, "bobby/squat"), image_id) == b"bobby's bytes"


def test_an_unfinished_upload_is_untouched_by_another_namespace(anonymous_client):
    http = anonymous_client.http
    alice, bobby, _ = callers(http)
    image_id = new_id()
    alice_push = pushing(http, alice, "alice/app")
    put_image(alice_push, image_id=image_id, layer=b"alice's layer", complete=False)
    bobby_push = pushing(http, bobby, "bobby/loot")                  # a guessed id
    put_image(bobby_push, image_id=image_id, layer=b"bobby's bytes")
    mine = put_image(alice_push, image_id=image_id, layer=b"alice's layer")   # she finishes
    assert put_tag(alice, "alice/app", "latest", mine.id).status_code == 200
    assert layer_bytes(alice_push, image_id) == b"alice's layer"
    assert alice_push.get(f"/v1/images/{image_id}/json").body == mine.json


def test_tagging_needs_the_image_in_the_repository_s_namespace(anonymous_client):
    http = anonymous_client.http
    alice, bobby, anonymous = callers(http)
    secret = put_image(pushing(http, alice, "alice/secret"))
    set_access(alice, "alice/secret", "private")
    start_push(bobby, "bobby/loot", [])
    response = put_tag(bobby, "bobby/loot", "latest", secret.id)
    assert (response.status_code, error_of(response)) == (404, "Image not found")
    for caller, status in ((reading(bobby, "bobby/loot"), 404), (anonymous, 401)):
        for resource in ("json", "layer", "ancestry"):
            assert caller.get(f"/v1/images/{secret.id}/{resource}").status_code == status


def test_a_parent_must_be_a_complete_image_of_the_same_namespace(anonymous_client):
    http = anonymous_client.http
    alice, bobby, _ = callers(http)
    base = put_image(pushing(http, alice, "alice/base"))
    assert put_tag(alice, "alice/base", "latest", base.id).status_code == 200
    child_id = new_id()
    response = pushing(http, bobby, "bobby/app").put(
        f"/v1/images/{child_id}/json", headers=JSON_HEADERS,
        body=json.dumps({"id": child_id, "parent": base.id}).encode())
    assert (response.status_code, error_of(response)) == (
        400, "Image depends on a non existing parent")


def test_a_read_token_reads_what_its_repository_holds_and_nothing_else(anonymous_client):
    http = anonymous_client.http
    alice, bobby, anonymous = callers(http)
    alice_push = pushing(http, alice, "alice/pub")
    base = put_image(alice_push)
    top = put_image(alice_push, parent=base.id)
    assert put_tag(alice, "alice/pub", "latest", top.id).status_code == 200
    other = put_image(pushing(http, alice, "alice/priv"))
    set_access(alice, "alice/priv", "private")
    for reader in (reading(anonymous, "alice/pub"), reading(bobby, "alice/pub")):
        ancestry = reader.get(f"/v1/images/{top.id}/ancestry")
        assert json.loads(ancestry.body) == [top.id, base.id]
        assert reader.get(f"/v1/images/{base.id}/json").body == base.json
        assert reader.get(f"/v1/images/{other.id}/json").status_code in (401, 404)
    # alice herself reads any image of her namespace, whatever the token's repository
    assert reading(alice, "alice/pub").get(f"/v1/images/{other.id}/json").body == other.json


def test_image_routes_without_a_token_act_in_the_callers_own_namespace(anonymous_client):
    http = anonymous_client.http
    alice, bobby, anonymous = callers(http)
    image = put_image(alice)                                  # Basic: namespace alice
    assert alice.get(f"/v1/images/{image.id}/json").body == image.json
    assert bobby.get(f"/v1/images/{image.id}/json").status_code == 404
    response = anonymous.get(f"/v1/images/{image.id}/json")
    assert (response.status_code, error_of(response)) == (401, "Requires authorization")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="auth required",Token'
    start_push(alice, "alice/app", [])
    assert put_tag(alice, "alice/app", "latest", image.id).status_code == 200


def test_a_completed_upload_is_readable_only_through_the_token_s_repository(anonymous_client):
    http = anonymous_client.http
    alice, bobby, _ = callers(http)
    image = put_image(pushing(http, alice, "alice/one"))
    start_push(alice, "alice/two", [])
    assert reading(bobby, "alice/one").get(f"/v1/images/{image.id}/json").body == image.json
    assert reading(bobby, "alice/two").get(f"/v1/images/{image.id}/json").status_code == 404
