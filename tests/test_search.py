"""`GET /v1/search` (spec §3.11, §5.6): the JSON shape, paging, and only repositories
the caller may read."""
import json

import pytest

from auth_world import As, build, register, set_access, start_push
from conftest import basic
from helpers import error_of

SHAPE = {"query", "num_results", "num_pages", "page", "page_size", "results"}
RESULT_SHAPE = {"name", "description", "star_count", "is_official", "is_automated",
                "is_trusted"}


def search(caller, query: str) -> dict:
    response = caller.get(f"/v1/search?{query}", headers={"X-Docker-Token": "true"})
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "application/json"
    assert "X-Docker-Token" not in response.headers
    return json.loads(response.body)


def names(answer: dict) -> list[str]:
    return [result["name"] for result in answer["results"]]


def test_search_3_11_shape_and_types(client):
    start_push(client.http, "library/busybox", [])
    start_push(client.http, "admin/busybox-tools", [])
    answer = search(client.http, "q=busybox")
    assert set(answer) == SHAPE
    assert answer["query"] == "busybox"
    assert (answer["num_results"], answer["num_pages"], answer["page"], answer["page_size"]) \
        == (2, 1, 1, 25)
    assert names(answer) == ["admin/busybox-tools", "busybox"]    # library/ shown bare
    for result in answer["results"]:
        assert set(result) == RESULT_SHAPE
        assert result["description"] == "" and result["star_count"] == 0
        assert result["is_automated"] is False and result["is_trusted"] is False
    assert [r["is_official"] for r in answer["results"]] == [False, True]


def test_search_3_11_paging_with_n_and_page(client):
    for index in range(7):
        start_push(client.http, f"admin/app{index}", [])
    first = search(client.http, "q=app&n=3")
    third = search(client.http, "q=app&n=3&page=3")
    beyond = search(client.http, "q=app&n=3&page=4")
    assert (first["num_results"], first["num_pages"], first["page_size"]) == (7, 3, 3)
    assert names(first) == ["admin/app0", "admin/app1", "admin/app2"]
    assert names(third) == ["admin/app6"] and third["page"] == 3
    assert names(beyond) == []


def test_search_3_11_empty_query_lists_everything_readable(client):
    start_push(client.http, "admin/one", [])          # beside the client fixture's ns/repo
    assert names(search(client.http, "q=")) == ["admin/one", "ns/repo"]
    assert names(search(client.http, "")) == ["admin/one", "ns/repo"]


@pytest.mark.parametrize("query, message", [("q=a&n=0", "n must be 1 to 100"),
                                            ("q=a&n=101", "n must be 1 to 100"),
                                            ("q=a&n=ten", "n must be an integer"),
                                            ("q=a&page=0", "page must be at least 1")])
def test_search_3_11_bad_paging_is_400(client, query, message):
    response = client.http.get(f"/v1/search?{query}")
    assert (response.status_code, error_of(response)) == (400, message)


def test_search_private_repositories_only_for_who_may_read_them(anonymous_client, admin, aws):
    world = build(anonymous_client, aws, private=True)
    start_push(world.callers["owner"], "alice/public-app", [])
    seen = {role: names(search(world.callers[role], "q=app"))
            for role in ("anonymous", "owner", "other user", "admin", "read token")}
    assert seen == {
        "anonymous": ["alice/public-app"],
        "owner": ["alice/app", "alice/public-app"],
        "other user": ["alice/public-app"],
        "admin": ["alice/app", "alice/public-app"],
        "read token": ["alice/app", "alice/public-app"],      # alice's own token
    }
    assert search(world.callers["anonymous"], "q=app")["num_results"] == 1


def test_search_follows_a_visibility_change(anonymous_client):
    http = anonymous_client.http
    register(http, "carol")
    carol = As(http, basic("carol", "secret-pw"))
    start_push(carol, "carol/tool", [])
    anonymous = As(http, None)
    assert names(search(anonymous, "q=tool")) == ["carol/tool"]
    set_access(carol, "carol/tool", "private")
    assert names(search(anonymous, "q=tool")) == []
