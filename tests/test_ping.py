"""§2.1 ping, §2.2 root, §4.21 v2 probing by docker 1.x (unit, chalice test client)."""
import json

import pytest

from docker_v1 import USER_AGENT as DOCKER_1_6


@pytest.mark.parametrize("path", ["/v1/_ping", "/_ping"])
def test_ping_2_1_answers_true_with_registry_headers(client, path):
    response = client.http.get(path)
    assert response.status_code == 200
    assert response.body == b"true"
    assert response.headers["X-Docker-Registry-Standalone"] == "false"
    assert response.headers["X-Docker-Registry-Version"] == "0.1.0"
    assert response.headers["Content-Type"] == "application/json"


def test_root_2_2_is_the_server_string(client):
    response = client.http.get("/")
    assert (response.status_code, json.loads(response.body)) == (200, "docker-registry server")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_v2_probe_4_21_is_404_without_distribution_header_for_docker_1_x(client, method):
    """docker 1.x must keep falling back to v1 (v2-pull §5.3; tests/test_v2_gate.py)."""
    response = client.http.request(method, "/v2/", headers={"User-Agent": DOCKER_1_6})
    assert (response.status_code, response.body) == (404, b"")
    assert "Docker-Distribution-API-Version" not in response.headers
