"""Registering an application from the command line (spec oauth-accounts-api §1.4: docker.io
did it by hand): `make oauth-client NAME=... REDIRECT_URI="..." [PUBLIC=1] [STAGE=...]`
prints `client_id=` and `client_secret=` on lines of their own, the secret only then; the
stored client keeps its hash. Against the local stack (`make run`), and a deploy stage's
tables."""
import io
import os
import subprocess
from contextlib import redirect_stdout
from unittest import mock

import boto3
import pytest
from moto import mock_aws

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_oauth_client(stack, *assignments: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-s", "oauth-client",
                           f"DATA={stack.data_dir}", *assignments],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def stored_client(stack, client_id: str) -> dict:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=stack.moto_url,
                            aws_access_key_id="local", aws_secret_access_key="local")
    return dynamodb.get_item(TableName="v1registry-local-oauth-clients",
                             Key={"client_id": {"S": client_id}}).get("Item")


@pytest.fixture(scope="module")
def local(stack):
    with open(os.path.join(stack.data_dir, "moto-endpoint")) as file:
        stack.moto_url = file.read().strip()
    return stack


def test_make_oauth_client_prints_the_credentials_once_and_keeps_a_hash(local):
    from chalicelib.oauth import credentials
    uris = "https://my.app/auth_complete/ https://my.app/cb?a=1&b=2 http://127.0.0.1:8765/cb"
    result = make_oauth_client(local, "NAME=Some Cool Docker Service", f"REDIRECT_URI={uris}")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["client_id", "client_secret"]
    client_id, secret = (line.split("=", 1)[1] for line in lines)
    assert len(secret) >= 43
    item = stored_client(local, client_id)
    assert item["name"] == {"S": "Some Cool Docker Service"}
    assert [uri["S"] for uri in item["redirect_uris"]["L"]] == uris.split()
    assert item["secret_hash"] == {"S": credentials.digest(secret)}
    assert secret not in str(item)


def test_make_oauth_client_public_has_no_secret(local):
    result = make_oauth_client(local, "NAME=Native app", "REDIRECT_URI=http://[::1]:9000/cb",
                               "PUBLIC=1")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    item = stored_client(local, line.removeprefix("client_id="))
    assert "secret_hash" not in item


@pytest.mark.parametrize("uri", ["http://my.app/cb", "https://my.app/cb#x", "my.app/cb"])
def test_make_oauth_client_refuses_a_bad_redirect_uri(local, uri):
    result = make_oauth_client(local, "NAME=Bad", f"REDIRECT_URI={uri}")
    assert result.returncode != 0 and "redirect URI" in result.stderr
    assert "client_id=" not in result.stdout


def test_register_for_a_deploy_stage_writes_the_stages_table(env, monkeypatch):
    """`STAGE=prod` (here dev): the stage's table names from .chalice/config.json."""
    from chalicelib.oauth import register
    from chalicelib.store import models
    from chalicelib.store.oauth_models import OAuthClient
    real_bind = models.bind

    def bind_and_create(settings):          # in moto, the tables the data stack would hold
        real_bind(settings)
        models.create_tables()
    monkeypatch.setattr(models, "bind", bind_and_create)
    output = io.StringIO()
    with mock.patch.dict(os.environ), mock_aws(), redirect_stdout(output):
        register.main(["Cool Service", "https://my.app/cb", "--stage", "dev"])
        assert OAuthClient.Meta.table_name == "v1registry-dev-oauth-clients"
        client_id = output.getvalue().splitlines()[0].removeprefix("client_id=")
        assert OAuthClient.get(client_id).name == "Cool Service"
