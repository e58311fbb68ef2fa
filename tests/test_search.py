"""`GET /v1/search` (spec §3.11, §5.6): the JSON shape, paging, prefixes of the name or of
the repository part, only repositories the caller may read, and reads bounded by the
matches (the search indexes), never the whole table."""
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
                                            ("q=a&page=0", "page must be 1 to 500"),
                                            ("q=a&page=501", "page must be 1 to 500"),
                                            ("q=a&page=" + "9" * 5000, "page must be 1 to 500"),
                                            ("q=a&n=%D9%A1%D9%A0", "n must be an integer"),
                                            ("q=a&n=1_0", "n must be an integer"),
                                            ("q=a&n=%C2%B2", "n must be an integer"),
                                            ("q=a&n=-1", "n must be an integer")])
def test_search_3_11_bad_paging_is_400(client, query, message):
    response = client.http.get(f"/v1/search?{query}")
    assert (response.status_code, error_of(response)) == (400, message)


def test_search_private_repositories_only_for_who_may_read_them(anonymous_client, admin, aws):
    world = build(anonymous_client, aws, private=True)
    start_push(world.callers["owner"], "alice/app-public", [])
    seen = {role: names(search(world.callers[role], "q=app"))
            for role in ("anonymous", "owner", "other user", "admin", "read token")}
    assert seen == {
        "anonymous": ["alice/app-public"],
        "owner": ["alice/app", "alice/app-public"],
        "other user": ["alice/app-public"],
        "admin": ["alice/app", "alice/app-public"],
        "read token": ["alice/app", "alice/app-public"],      # alice's own token
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


NAMES = ["team/web", "team/web-tools", "library/web", "other/webby", "other/my-web", "weber/x",
         "team/api"]


@pytest.mark.parametrize("query, found", [
    ("q=web", ["web", "other/webby", "team/web", "team/web-tools", "weber/x"]),   # by name
    ("q=team/we", ["team/web", "team/web-tools"]),
    ("q=team/web-tools", ["team/web-tools"]),
    ("q=library/web", ["web", "other/webby", "team/web", "team/web-tools", "weber/x"]),
    ("q=TEAM/Web", ["team/web", "team/web-tools"]),
    ("q=my-web", ["other/my-web"]),
    ("q=team", ["team/api", "team/web", "team/web-tools"]),
    ("q=%20team/api%20", ["team/api"]),
    ("q=eb", []), ("q=team/eb", []), ("q=zzz", [])])
def test_search_3_11_prefix_of_the_name_or_of_the_repository_part(client, query, found):
    for name in NAMES:
        start_push(client.http, name, [])
    assert names(search(client.http, query)) == found


@pytest.mark.parametrize("term", ["%C3%A9", "a%20b", "%25", "*", "%00", "a" * 300, "%2F",
                                  "..%2F..", "%FF%FE", "' OR 1=1"])
def test_search_terms_no_name_can_hold_answer_empty(client, term):
    answer = search(client.http, f"q={term}")
    assert (answer["num_results"], answer["results"]) == (0, [])


def test_search_reads_only_the_matching_records_never_the_table(client, monkeypatch):
    """A search is a `begins_with` Query of the search indexes (on AWS its cost follows the
    matches, not the table): no Scan, and the items read are the matches."""
    import botocore.client
    for number in range(40):
        start_push(client.http, f"filler/other-{number}", [])
    for number in range(3):
        start_push(client.http, f"team/app-{number}", [])
    calls, real = [], botocore.client.BaseClient._make_api_call

    def recording(client_, operation, params):
        answer = real(client_, operation, params)
        if client_.meta.service_model.service_name == "dynamodb":
            calls.append((operation, params.get("IndexName"), answer.get("Count")))
        return answer
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    assert names(search(client.http, "q=app")) == ["team/app-0", "team/app-1", "team/app-2"]
    searches = [call for call in calls if call[0] in ("Scan", "Query")]
    assert {(operation, index) for operation, index, _ in searches} == {
        ("Query", "by-name"), ("Query", "by-part")}
    assert sum(count for _, _, count in searches) == 3


def test_search_counts_and_pages_through_at_most_max_matches(client, monkeypatch):
    from chalicelib.index import search as searching
    monkeypatch.setattr(searching, "MAX_MATCHES", 5)
    for number in range(8):
        start_push(client.http, f"team/app-{number}", [])
    answer = search(client.http, "q=app&n=2&page=3")
    assert (answer["num_results"], answer["num_pages"]) == (5, 3)
    assert names(answer) == ["team/app-4"]
    assert search(client.http, "q=&n=100")["num_results"] == 5
    response = client.http.get("/v1/search?q=app&page=6")
    assert (response.status_code, error_of(response)) == (400, "page must be 1 to 5")


def test_search_finds_a_repository_by_its_part_after_its_visibility_and_delete(
        client, anonymous_client):
    start_push(client.http, "team/tool", [])
    set_access(client.http, "team/tool", "private")
    anonymous = As(anonymous_client.http, None)
    assert names(search(anonymous, "q=tool")) == []
    assert names(search(client.http, "q=tool")) == ["team/tool"]
    assert client.http.delete("/v1/repositories/team/tool/").status_code == 200
    assert names(search(client.http, "q=tool")) == []
