"""Reading and writing `/v1/images/<id>/...` without a repository in the path (spec §4.22,
§4.6.4): membership of repositories, borrowing ids, and races on unfinished uploads."""
import json

from auth_world import PASSWORD, As, register, set_access, start_push
from conftest import basic
from helpers import JSON_HEADERS, new_id, put_image, put_tag


def callers(http):
    register(http, "alice")
    register(http, "bobby")
    return (As(http, basic("alice", PASSWORD)), As(http, basic("bobby", PASSWORD)),
            As(http, None))


def test_4_22_overwriting_an_unfinished_upload_reads_nothing_later(anonymous_client):
    alice, bobby, _ = callers(anonymous_client.http)
    image_id = new_id()
    start_push(alice, "alice/app", [image_id])
    set_access(alice, "alice/app", "private")
    put_image(alice, image_id=image_id, complete=False)
    start_push(bobby, "bobby/loot", [image_id])                   # a guessed id
    put_image(bobby, image_id=image_id, layer=b"bobby's bytes", complete=False)
    mine = put_image(alice, image_id=image_id, layer=b"alice's secret")   # alice retries
    assert alice.get(f"/v1/images/{image_id}/layer").status_code == 302
    assert bobby.get(f"/v1/images/{image_id}/json").status_code == 404
    assert put_tag(bobby, "bobby/loot", "latest", mine.id).status_code == 404
    assert put_tag(alice, "alice/app", "latest", mine.id).status_code == 200


def test_4_22_announcing_a_complete_private_image_gives_no_read(anonymous_client):
    alice, bobby, anonymous = callers(anonymous_client.http)
    image_id = new_id()
    start_push(alice, "alice/app", [image_id])
    set_access(alice, "alice/app", "private")
    put_image(alice, image_id=image_id)
    start_push(bobby, "bobby/loot", [image_id])
    again = bobby.put(f"/v1/images/{image_id}/json", body=b"{}", headers=JSON_HEADERS)
    assert again.status_code == 400 or json.loads(again.body)["error"] == "Image already exists"
    for caller, status in ((bobby, 404), (anonymous, 401)):
        for resource in ("json", "layer", "ancestry"):
            assert caller.get(f"/v1/images/{image_id}/{resource}").status_code == status


def test_4_22_public_parent_may_be_built_on_by_anyone(anonymous_client):
    alice, bobby, anonymous = callers(anonymous_client.http)
    base_id, child_id = new_id(), new_id()
    start_push(alice, "alice/base", [base_id])
    base = put_image(alice, image_id=base_id)
    assert put_tag(alice, "alice/base", "latest", base.id).status_code == 200
    start_push(bobby, "bobby/app", [base_id, child_id])
    assert bobby.get(f"/v1/images/{base_id}/json").status_code == 200     # push probe: skip
    child = put_image(bobby, parent=base_id, image_id=child_id)
    assert put_tag(bobby, "bobby/app", "latest", child.id).status_code == 200
    ancestry = anonymous.get(f"/v1/images/{child_id}/ancestry")
    assert json.loads(ancestry.body) == [child_id, base_id]
    # alice hides her base: bobby's public repository still holds it through his tag
    set_access(alice, "alice/base", "private")
    assert anonymous.get(f"/v1/images/{base_id}/json").status_code == 200


def test_4_22_image_only_in_a_private_repository_is_hidden_until_tagged_publicly(client,
                                                                                anonymous_client):
    """An admin may upload an image outside any repository; nobody else sees it until
    it is tagged into a readable repository."""
    _, bobby, anonymous = callers(anonymous_client.http)
    image = put_image(client.http)
    assert anonymous.get(f"/v1/images/{image.id}/json").status_code == 401
    assert bobby.get(f"/v1/images/{image.id}/json").status_code == 404
    assert put_tag(client.http, "library/tool", "latest", image.id).status_code == 200
    assert anonymous.get(f"/v1/images/{image.id}/json").status_code == 200


def test_4_6_4_write_needs_the_image_announced_for_the_tokens_repository(anonymous_client):
    alice, _, _ = callers(anonymous_client.http)
    announced, stray = new_id(), new_id()
    token = start_push(alice, "alice/app", [announced])
    with_token = As(anonymous_client.http, f"Token {token}")
    put_image(with_token, image_id=announced)
    response = with_token.put(f"/v1/images/{stray}/json", body=b"{}", headers=JSON_HEADERS)
    assert response.status_code == 403
    assert json.loads(response.body)["error"].startswith("Image was not announced for alice/app")
