"""Signed tokens (spec §4.2, §4.6.4, §4.7): format, tolerant parsing, forgery, expiry,
key rotation, and keys from Secrets Manager (moto)."""
import time
from dataclasses import replace

import boto3
import pytest

from chalicelib import config
from chalicelib.auth import tokens


@pytest.fixture
def settings(env):
    return config.settings()


def test_token_4_2_format_has_the_spec_pairs_first_and_no_prefix(settings):
    value = tokens.issue(settings, "alice", "alice/app", "write")
    assert value.startswith("signature=")
    pairs = tokens.parse(value)
    assert pairs["repository"] == "alice/app" and pairs["access"] == "write"
    assert '"alice/app"' in value and not value.lower().startswith("token")
    assert len(pairs["signature"]) == 64


def test_token_4_7_verifies_with_user_repository_access_expiry(settings):
    before = int(time.time())
    token = tokens.verify(settings, tokens.issue(settings, "alice", "alice/app", "read"))
    assert (token.user, token.repository, token.access) == ("alice", "alice/app", "read")
    assert before + settings.token_ttl_seconds <= token.expires <= time.time() + settings.token_ttl_seconds


@pytest.mark.parametrize("wrap", [
    lambda v: v,
    lambda v: "Token " + v,
    lambda v: "token Token " + v,                        # [dr] standalone's double prefix
    lambda v: v.replace("=", ":"),                       # key:value pairs
    lambda v: v.replace(",", ", "),
    lambda v: "Token junk " + v,                         # stray words
])
def test_token_4_2_parser_is_tolerant(settings, wrap):
    value = tokens.issue(settings, "alice", "alice/app", "read")
    assert tokens.verify(settings, wrap(value)) is not None


def test_token_4_2_last_repeated_key_wins(settings):
    value = tokens.issue(settings, "alice", "alice/app", "read")
    assert tokens.parse(value + ',access=write')["access"] == "write"
    assert tokens.verify(settings, value + ',access=write') is None     # and the signature breaks


@pytest.mark.parametrize("field, forged", [("repository", '"bob/app"'), ("access", "write"),
                                           ("user", "bob"), ("expires", "9999999999"),
                                           ("nonce", "0000000000000000")])
def test_token_forging_any_field_breaks_the_signature(settings, field, forged):
    pairs = tokens.parse(tokens.issue(settings, "alice", "alice/app", "read"))
    pairs[field] = forged.strip('"')
    value = ",".join(f'{key}="{val}"' if key == "repository" else f"{key}={val}"
                     for key, val in pairs.items())
    assert tokens.verify(settings, value) is None


@pytest.mark.parametrize("value", ["", "garbage", "signature=abc", "signature=é,user=a",
                                   'signature=00,repository="a/b",access=read,user=a,'
                                   'expires=notanumber,nonce=1'])
def test_token_malformed_is_refused_not_raised(settings, value):
    assert tokens.verify(settings, value) is None


def test_token_signed_with_another_key_is_refused(settings):
    other = replace(settings, token_secret="someone-elses-key")
    assert tokens.verify(settings, tokens.issue(other, "alice", "alice/app", "read")) is None


def test_token_expired_is_refused(settings):
    expired = tokens.issue(replace(settings, token_ttl_seconds=-1), "alice", "alice/app", "read")
    assert tokens.verify(settings, expired) is None


def test_token_rotation_old_key_still_verifies_new_key_signs(settings):
    old_only = replace(settings, token_secret="test-key-0")
    old_token = tokens.issue(old_only, "alice", "alice/app", "read")
    assert tokens.verify(settings, old_token) is not None       # "test-key-1,test-key-0"
    new_token = tokens.issue(settings, "alice", "alice/app", "read")
    assert tokens.verify(old_only, new_token) is None           # signed with test-key-1
    retired = replace(settings, token_secret="test-key-1")
    assert tokens.verify(retired, old_token) is None


def test_token_keys_from_secrets_manager(aws, env):
    env.delenv("REGISTRY_TOKEN_SECRET")
    env.setenv("REGISTRY_TOKEN_SECRET_ID", "v1registry/test-token-keys")
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="v1registry/test-token-keys", SecretString="sm-key-new, sm-key-old")
    tokens._secret_string.cache_clear()
    settings = config.settings()
    assert tokens.keys(settings) == [b"sm-key-new", b"sm-key-old"]
    value = tokens.issue(settings, "alice", "alice/app", "read")
    assert tokens.verify(replace(settings, token_secret_id=None, token_secret="sm-key-new"),
                         value) is not None
    tokens._secret_string.cache_clear()


def test_token_without_any_key_configured_is_a_clear_error(settings):
    with pytest.raises(RuntimeError, match="REGISTRY_TOKEN_SECRET"):
        tokens.issue(replace(settings, token_secret=None), "alice", "alice/app", "read")
