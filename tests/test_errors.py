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


def _raising(error):
    def broken(*_args):
        raise error
    return broken


def test_s3_or_dynamodb_busy_or_unreachable_is_503_with_retry_after(client, monkeypatch, caplog):
    """chalicelib/faults.py; every step of a push and pull: tests/test_faults.py."""
    from botocore.exceptions import ClientError, ConnectTimeoutError
    from pynamodb.exceptions import QueryError
    from chalicelib.registry import tags
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}},
                            "Query")
    for error in [throttled, QueryError("Failed to query", throttled),
                  ConnectTimeoutError(endpoint_url="https://dynamodb.example"),
                  ClientError({"Error": {"Code": "SomethingNew"},
                               "ResponseMetadata": {"HTTPStatusCode": 502}}, "Query")]:
        monkeypatch.setattr(tags, "list_tags", _raising(error))
        with caplog.at_level(logging.WARNING):
            response = client.http.get("/v1/repositories/ns/repo/tags")
        assert (response.status_code, json.loads(response.body)) == (
            503, {"error": "Storage temporarily unavailable; retry"}), error
        assert response.headers["Retry-After"] == "1"
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_other_aws_errors_and_bugs_met_while_handling_a_fault_stay_500(client, monkeypatch):
    from botocore.exceptions import ClientError
    from chalicelib.registry import tags
    denied = ClientError({"Error": {"Code": "AccessDeniedException"},
                          "ResponseMetadata": {"HTTPStatusCode": 400}}, "Query")

    def bug_while_handling_a_fault(*_args):
        try:
            raise ClientError({"Error": {"Code": "ThrottlingException"}}, "Query")
        except ClientError:
            return None.get("x")
    for broken in (_raising(denied), bug_while_handling_a_fault):
        monkeypatch.setattr(tags, "list_tags", broken)
        response = client.http.get("/v1/repositories/ns/repo/tags")
        assert (response.status_code, json.loads(response.body)) == (
            500, {"error": "Internal server error"})
