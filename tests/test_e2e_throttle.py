"""Throttling that nobody can turn against another user (issue 9), over real HTTP against
the local stack: failed password checks count per (user name, source address), per source,
and per user name except from the user's known sources; registration counts per source.
Each test calls from its own loopback addresses (127.0.0.0/8), which the stack sees as the
caller's source address (`requestContext.identity.sourceIp`).

Spec: §3.1 (register), §3.2 (login), §4.3 (401 and its challenge), §5.3 (docker login),
§5.8 (what docker makes of 401 and 403).
"""
import json

import pytest
import requests

from trust_world import (CHALLENGE, JSON, PASSWORD, account, basic, error_of, http_from, login,
                         register)

PER_USER_AND_SOURCE = 10
PER_SOURCE = 15
PER_USER = 25
REGISTRATIONS = 3
STACK_ENV = {"REGISTRY_LOGIN_MAX_FAILURES": str(PER_USER_AND_SOURCE),
             "REGISTRY_LOGIN_MAX_FAILURES_PER_SOURCE": str(PER_SOURCE),
             "REGISTRY_LOGIN_MAX_FAILURES_PER_USER": str(PER_USER),
             "REGISTRY_REGISTRATIONS_PER_SOURCE": str(REGISTRATIONS)}
WRONG = "not-the-password"


def assert_wrong_password(response: requests.Response) -> None:
    """§3.2/§4.3: a credential that does not verify is 401 with the Index challenge, so
    docker says "Wrong login/password" (or prompts a login) instead of failing on a 403."""
    assert error_of(response)[0] == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE


def assert_throttled(response: requests.Response) -> None:
    assert error_of(response)[0] == 429
    assert int(response.headers["Retry-After"]) > 0


@pytest.fixture(scope="module")
def alice(stack):
    return account(stack, "alice", http=http_from("127.0.0.10"))


def test_ten_wrong_passwords_lock_that_source_out_only(stack, alice):
    """Mallory's ten guesses from one address lock alice out from that address only: from
    anywhere else her password still logs her in (and docker pushes with it)."""
    attacker, elsewhere = http_from("127.0.0.2"), http_from("127.0.0.3")
    for _ in range(PER_USER_AND_SOURCE):
        response = login(stack, ("alice", WRONG), http=attacker)
        assert error_of(response) == (401, "Wrong login/password, please try again")
    assert_throttled(login(stack, ("alice", WRONG), http=attacker))
    assert_throttled(login(stack, alice, http=attacker))

    assert login(stack, alice, http=elsewhere).text == '"OK"'
    start = elsewhere.put(f"{stack.url}/v1/repositories/alice/app/", data="[]",
                          headers={**basic(alice), **JSON, "X-Docker-Token": "true"})
    assert start.status_code == 200 and "X-Docker-Token" in start.headers
    assert_throttled(login(stack, alice, http=attacker))


def test_wrong_password_on_a_guarded_route_is_401_and_counts_for_the_source(stack):
    """Every write route (the gateway's guarded ones) answers a wrong Basic password 401,
    not 403, and each one counts like a failed login from that source."""
    bob = account(stack, "bobby", http=http_from("127.0.0.11"))
    attacker, elsewhere = http_from("127.0.0.4"), http_from("127.0.0.5")
    image_id = "ab" * 32
    wrong = {**basic(("bobby", WRONG)), **JSON, "X-Docker-Token": "true"}
    guarded = [("PUT", "/v1/repositories/bobby/app/", "[]"),
               ("PUT", "/v1/repositories/bobby/app/images", "[]"),
               ("DELETE", "/v1/repositories/bobby/app/", ""),
               ("PUT", "/v1/repositories/bobby/app/tags/latest", json.dumps(image_id)),
               ("PUT", "/v1/repositories/bobby/app/properties", '{"access": "private"}'),
               ("PUT", f"/v1/images/{image_id}/json", json.dumps({"id": image_id})),
               ("PUT", f"/v1/images/{image_id}/layer", "layer"),
               ("PUT", f"/v1/images/{image_id}/checksum", ""),
               ("POST", f"/v1/images/{image_id}/layer/multipart", "{}"),
               ("PUT", "/v1/users/bobby/", '{"password": "mallorys-choice"}')]
    assert len(guarded) == PER_USER_AND_SOURCE
    for method, path, body in guarded:
        response = attacker.request(method, stack.url + path, data=body, headers=wrong)
        assert_wrong_password(response)

    assert_throttled(login(stack, bob, http=attacker))
    assert login(stack, bob, http=elsewhere).text == '"OK"'      # and the password unchanged


def test_malformed_and_unknown_user_names_count_against_the_source(stack, alice):
    """Failures under names that are not accounts (malformed or unknown) count against the
    source: past REGISTRY_LOGIN_MAX_FAILURES_PER_SOURCE it is refused whatever the name,
    while other sources are not."""
    attacker, elsewhere = http_from("127.0.0.6"), http_from("127.0.0.7")
    names = ["Mallory", "ab", "x" * 31, "two words", "ünïcode", "a__b", "_lead", "nosuchuser",
             "nobody_here", "ghost"]
    for number in range(PER_SOURCE):
        name = names[number % len(names)] + ("" if number < len(names) else str(number))
        assert_wrong_password(login(stack, (name, WRONG), http=attacker))

    assert_throttled(login(stack, alice, http=attacker))
    assert_throttled(login(stack, ("other_name", WRONG), http=attacker))
    assert login(stack, alice, http=elsewhere).status_code == 200


def test_failures_from_many_sources_spare_the_users_known_sources(stack):
    """Failures for one user name spread over many sources (each under the per-source
    limits) lock the name out past REGISTRY_LOGIN_MAX_FAILURES_PER_USER, but not from a
    source where the user logged in successfully."""
    erin = account(stack, "erin", http=http_from("127.0.0.12"))
    home = http_from("127.0.0.20")
    assert login(stack, erin, http=home).status_code == 200
    spread = {"127.0.0.21": 9, "127.0.0.22": 8, "127.0.0.23": 8}
    assert sum(spread.values()) == PER_USER
    for address, count in spread.items():
        attacker = http_from(address)
        for _ in range(count):
            assert_wrong_password(login(stack, ("erin", WRONG), http=attacker))

    assert_throttled(login(stack, erin, http=http_from("127.0.0.24")))
    assert login(stack, erin, http=home).text == '"OK"'


def test_registration_is_throttled_per_source(stack):
    """POST /v1/users/: past REGISTRY_REGISTRATIONS_PER_SOURCE new accounts from one source,
    429 and no account; other sources register. A name that exists still answers docker
    ≤1.10's exact `"Username or email already exists"` (§3.1, §5.3: every such `docker
    login` starts with this POST), so logins from that source keep working."""
    crowded, other = http_from("127.0.0.8"), http_from("127.0.0.9")
    for number in range(REGISTRATIONS):
        account(stack, f"bulk_{number}", http=crowded)
    refused = register(stack, "bulk_extra", http=crowded)
    assert_throttled(refused)
    assert login(stack, ("bulk_extra", PASSWORD), http=other).status_code == 401
    taken = register(stack, "bulk_0", http=crowded)
    assert (taken.status_code, taken.content) == (400, b'"Username or email already exists"')
    assert login(stack, ("bulk_0", PASSWORD), http=crowded).status_code == 200
    account(stack, "bulk_extra", http=other)
