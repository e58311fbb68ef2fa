"""A guarded route trusts the token fields the authorizer put in its context, and API
Gateway reuses that context for the same credential for up to 60 s (auth/gateway.py): the
handler checks it again (auth/callers.py `_from_token`) against the clock and the current
user record — expired, a new token generation (password change, deactivation) → 401.

The requests are API Gateway events carrying a context computed earlier (tests/gateway.py):
what the gateway sends while its cached answer outlives the token."""
import time

import pytest

import gateway
from auth_world import PASSWORD, As, register, start_push
from conftest import ADMIN, basic
from helpers import JSON_HEADERS

CHALLENGE = 'Basic realm="auth required",Token'


@pytest.fixture
def http(env, anonymous_client, admin):
    # A container that has not read alice's record yet (records are cached per container).
    env.setenv("REGISTRY_AUTH_CACHE_SECONDS", "0")
    register(anonymous_client.http, "alice")
    return anonymous_client.http


def cached_context(token: str) -> dict:
    """The context the authorizer answered for this token, as the gateway keeps it."""
    from chalicelib.auth import callers
    context = callers.authorizer_context(f"Token {token}")
    assert context["token_repository"] == "alice/app"       # the authorizer verified it
    return gateway.stringified(context)


def finish_push(token: str, context: dict) -> gateway.Answer:
    return gateway.request("PUT", "/v1/repositories/alice/app/images",
                           {"Authorization": f"Token {token}", **JSON_HEADERS}, b"[]",
                           authorizer=context)


def assert_refused(answer: gateway.Answer) -> None:
    assert (answer.status_code, answer.json) == (401, {"error": "Invalid or expired token"})
    assert answer.headers["WWW-Authenticate"] == CHALLENGE


def test_a_cached_context_of_a_live_token_is_served(http):
    token = start_push(As(http, basic("alice", PASSWORD)), "alice/app", [])
    context = cached_context(token)
    assert finish_push(token, context).status_code == 204
    assert finish_push(token, context).status_code == 204


def test_a_cached_context_outliving_its_token_is_401(env, http):
    env.setenv("REGISTRY_TOKEN_TTL_SECONDS", "2")
    token = start_push(As(http, basic("alice", PASSWORD)), "alice/app", [])
    context = cached_context(token)
    assert finish_push(token, context).status_code == 204
    time.sleep(max(0.0, int(context["token_expires"]) + 1.05 - time.time()))
    assert_refused(finish_push(token, context))


def test_a_cached_context_of_an_older_token_generation_is_401_after_a_password_change(http):
    alice = As(http, basic("alice", PASSWORD))
    token = start_push(alice, "alice/app", [])
    context = cached_context(token)
    changed = alice.put("/v1/users/alice/", body=b'{"password": "another-pw"}',
                        headers=JSON_HEADERS)
    assert changed.status_code == 204
    assert_refused(finish_push(token, context))
    fresh = start_push(As(http, basic("alice", "another-pw")), "alice/app", [])
    assert finish_push(fresh, cached_context(fresh)).status_code == 204


def test_a_cached_context_of_a_deactivated_user_is_401(http):
    token = start_push(As(http, basic("alice", PASSWORD)), "alice/app", [])
    context = cached_context(token)
    deactivated = As(http, basic(*ADMIN)).put("/v1/users/alice/", body=b'{"active": false}',
                                              headers=JSON_HEADERS)
    assert deactivated.status_code == 204
    assert_refused(finish_push(token, context))


def test_a_cached_context_whose_generation_was_bumped_without_a_password_change_is_401(http):
    """The generation alone decides (an admin's reset bumps it too, index/users.py)."""
    from chalicelib.store.models import User
    token = start_push(As(http, basic("alice", PASSWORD)), "alice/app", [])
    context = cached_context(token)
    User("alice").update(actions=[User.token_generation.add(1)])
    assert_refused(finish_push(token, context))
