"""The route table: names of three components (spec §4.11, §4.12), and which route a path
reaches — literal segments before parameters — under chalice local and under API Gateway's
resource tree (at most one parameter per level, a literal child tried before it)."""
import json

import pytest
from chalice.local import RouteMatcher

from conftest import ADMIN, basic
from helpers import JSON_HEADERS, stored_state

INVALID_NAME = {"error": "Invalid repository name"}
# What docker 1.8+ sends for a three-component name (§5.4, §5.5).
THREE_COMPONENT_CALLS = [("PUT", "/v1/repositories/a/b/c/", b"[]"),
                         ("PUT", "/v1/repositories/a/b/c/images", b"[]"),
                         ("GET", "/v1/repositories/a/b/c/images", b""),
                         ("GET", "/v1/repositories/a/b/c/tags", b""),
                         ("GET", "/v1/repositories/a/b/c/tags/latest", b""),
                         ("PUT", "/v1/repositories/a/b/c/tags/latest", b'"' + b"a" * 64 + b'"')]


@pytest.mark.parametrize("authorization", [basic(*ADMIN), "Token signature=forged"])
def test_three_component_names_4_11_are_400_invalid_repository_name(client, aws, authorization):
    before = stored_state(aws)
    for method, path, body in THREE_COMPONENT_CALLS:
        response = client.http.request(method, path, body=body, headers={
            **JSON_HEADERS, "X-Docker-Token": "true", "Authorization": authorization})
        assert (response.status_code, json.loads(response.body)) == (400, INVALID_NAME), path
        assert "X-Docker-Token" not in response.headers
    assert stored_state(aws) == before


def test_three_component_names_4_11_without_credentials(anonymous_client, aws):
    """Reads check the name first; writes meet the gateway's 401 before (like every write)."""
    for method, path, body in THREE_COMPONENT_CALLS:
        response = anonymous_client.http.request(method, path, body=body, headers=JSON_HEADERS)
        assert response.status_code == (400 if method == "GET" else 401), path


# path -> the route it must reach: a literal segment wins over a parameter at its level
EXPECTED_ROUTES = {
    "/v1/repositories/a/b/c": "/v1/repositories/{namespace}/{repository}/{component}",
    "/v1/repositories/a/b/images": "/v1/repositories/{namespace}/{repository}/images",
    "/v1/repositories/a/b/json": "/v1/repositories/{namespace}/{repository}/json",
    "/v1/repositories/a/b/auth": "/v1/repositories/{namespace}/{repository}/auth",
    "/v1/repositories/a/b/properties": "/v1/repositories/{namespace}/{repository}/properties",
    "/v1/repositories/a/b/tags": "/v1/repositories/{namespace}/{repository}/tags",
    "/v1/repositories/a/tags/latest": "/v1/repositories/{namespace}/tags/{tag}",
    "/v1/repositories/a/images": "/v1/repositories/{namespace}/images",
    "/v1/repositories/a/b": "/v1/repositories/{namespace}/{repository}",
    "/v1/repositories/a/b/c/images": "/v1/repositories/{namespace}/{repository}/{component}/images",
    "/v1/repositories/a/b/c/tags": "/v1/repositories/{namespace}/{repository}/{component}/tags",
    "/v1/repositories/a/b/tags/images": "/v1/repositories/{namespace}/{repository}/tags/{tag}",
    "/v1/repositories/a/b/tags/latest": "/v1/repositories/{namespace}/{repository}/tags/{tag}",
    "/v1/repositories/a/tags/latest/json": "/v1/repositories/{namespace}/tags/{tag}/json",
    "/v1/repositories/a/b/c/tags/latest":
        "/v1/repositories/{namespace}/{repository}/{component}/tags/{tag}",
    "/v1/repositories/a/b/tags/latest/json":
        "/v1/repositories/{namespace}/{repository}/tags/{tag}/json",
    "/v1/images/x/layer/multipart": "/v1/images/{image_id}/layer/multipart",
    "/v1/users/alice": "/v1/users/{username}",
}


def resource_tree(paths) -> dict:
    """API Gateway's resources: {segment: subtree}; a route ends where "" is a key."""
    tree = {}
    for path in paths:
        node = tree
        for segment in path.strip("/").split("/"):
            node = node.setdefault(segment, {})
        node[""] = path
    return tree


def gateway_route(tree: dict, path: str) -> str | None:
    """The resource API Gateway gives a path: the literal child if there is one, else the
    one parameter child, level by level."""
    node = tree
    for segment in path.strip("/").split("/"):
        parameters = [key for key in node if key.startswith("{")]
        node = node.get(segment) or (node[parameters[0]] if parameters else None)
        if node is None:
            return None
    return node.get("")


def test_api_gateway_resources_have_at_most_one_parameter_per_level():
    """API Gateway refuses to import two parameter siblings (`{a}` beside `{b}`)."""
    from app import app

    def walk(node, where):
        parameters = [key for key in node if key.startswith("{")]
        assert len(parameters) <= 1, (where, parameters)
        for key, child in node.items():
            if key:
                walk(child, f"{where}/{key}")
    walk(resource_tree(app.routes), "")


@pytest.mark.parametrize("path", sorted(EXPECTED_ROUTES))
def test_literal_segments_win_over_parameters_locally_and_on_api_gateway(path):
    from app import app
    assert RouteMatcher(list(app.routes)).match_route(path).route == EXPECTED_ROUTES[path]
    assert RouteMatcher(list(app.routes)).match_route(path + "/").route == EXPECTED_ROUTES[path]
    assert gateway_route(resource_tree(app.routes), path) == EXPECTED_ROUTES[path]
