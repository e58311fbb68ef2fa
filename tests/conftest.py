import os
import sys

import pytest
from moto import mock_aws

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "REGISTRY_TABLE_PREFIX": "test",
    "REGISTRY_BUCKET": "test-layers", "REGISTRY_INLINE_LAYER_LIMIT": "0",
}


@pytest.fixture
def env(monkeypatch):
    for name in ("AWS_PROFILE", "REGISTRY_AWS_ENDPOINT", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.fixture
def aws(env):
    """moto's in-process S3 and DynamoDB with the registry's tables and bucket."""
    from chalicelib import config, models, storage
    with mock_aws():
        settings = config.settings()
        models.bind(settings)
        models.create_tables()
        storage._client.cache_clear()
        storage.create_bucket(settings)
        yield settings
    storage._client.cache_clear()


@pytest.fixture
def client(aws, tmp_path):
    """Chalice's test client over the app; tmp_path has no .chalice/config.json,
    so the environment above is what the app sees."""
    from chalice.test import Client
    from app import app
    with Client(app, project_dir=str(tmp_path)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The local stack (`make run`) on a free port, over real HTTP."""
    from local_stack import LocalStack
    server = LocalStack(str(tmp_path_factory.mktemp("stack"))).start()
    yield server
    server.stop()
