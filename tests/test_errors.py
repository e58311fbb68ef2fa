"""Unexpected failures answer like every other error (spec §1.3): `500 {"error": "Internal
server error"}`, never Chalice's `{"Code": ...}` body nor a trace, and are logged with the
request id and the traceback."""
import json
import logging


def test_a_handler_that_raises_answers_500_error_json_and_logs_it(client, monkeypatch, caplog):
    from chalicelib.registry import tags

    def broken(*_args):
        raise KeyError("something the code did not expect")

    monkeypatch.setattr(tags, "list_tags", broken)
    with caplog.at_level(logging.ERROR):
        response = client.http.get("/v1/repositories/ns/repo/tags")
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == {"error": "Internal server error"}
    (logged,) = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert "GET /v1/repositories/ns/repo/tags" in logged.getMessage()
    assert "request" in logged.getMessage() and logged.exc_info[0] is KeyError


def test_the_middleware_s_own_failure_answers_500_error_json(client, monkeypatch):
    from chalicelib.store import models

    def broken(_settings):
        raise RuntimeError("tables unreachable")

    monkeypatch.setattr(models, "bind", broken)
    response = client.http.get("/v1/_ping")
    assert (response.status_code, json.loads(response.body)) == (
        500, {"error": "Internal server error"})
