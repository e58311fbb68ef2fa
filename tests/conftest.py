import base64
import os
import sys

import pytest
from moto import mock_aws

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
pytest_plugins = [
    "aws_calls",        # records the app's AWS calls for tests/test_infra.py
    "real_clients",     # chromium, dockerd, containerd, skopeo fixtures; names skipped tests
]

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "REGISTRY_TABLE_PREFIX": "test",
    "REGISTRY_BUCKET": "test-layers", "REGISTRY_INLINE_LAYER_LIMIT": "0",
    "REGISTRY_BCRYPT_ROUNDS": "4", "REGISTRY_TOKEN_SECRET": "test-key-1,test-key-0",
    "REGISTRY_ENDPOINTS": "registry.example:5000",
}
ADMIN = ("admin", "admin-password")      # created per test (and per stack) by the fixtures


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


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
    from chalicelib import config
    from chalicelib.store import cache, models, s3 as storage
    cache.clear_all()                # records an earlier test's moto held
    with mock_aws():
        settings = config.settings()
        models.bind(settings)
        models.create_tables()
        storage._client.cache_clear()
        storage.create_bucket(settings)
        yield settings
    storage._client.cache_clear()


@pytest.fixture
def admin(aws):
    """An admin account (ADMIN) in the test tables."""
    from chalicelib.index import users
    users.create_admin(aws, *ADMIN, None)
    return ADMIN


@pytest.fixture
def anonymous_client(aws, tmp_path):
    """Chalice's test client over the app; tmp_path has no .chalice/config.json,
    so the environment above is what the app sees."""
    from chalice.test import Client
    from app import app
    with Client(app, project_dir=str(tmp_path)) as test_client:
        yield test_client


class DefaultAuthorization:
    """`client.http` whose requests carry `authorization` unless they set their own;
    `/v1/images/...` requests carry `image_authorization` when given."""

    def __init__(self, http, authorization: str, image_authorization: str | None = None):
        self._http, self._authorization = http, authorization
        self._image_authorization = image_authorization

    def request(self, method, path, headers=None, body=b""):
        headers = dict(headers or {})
        if not any(name.lower() == "authorization" for name in headers):
            image_call = path.startswith("/v1/images/") and self._image_authorization
            headers["Authorization"] = (self._image_authorization if image_call
                                        else self._authorization)
        return self._http.request(method, path, headers=headers, body=body)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def head(self, path, **kwargs):
        return self.request("HEAD", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)


class AdminClient:
    def __init__(self, test_client, authorization: str, image_authorization: str):
        self._client, self._authorization = test_client, authorization
        self.http = DefaultAuthorization(test_client.http, authorization, image_authorization)
        self.basic_http = DefaultAuthorization(test_client.http, authorization)  # Basic only

    def pushing_to(self, name: str) -> DefaultAuthorization:
        """`http` acting as the admin pushing to `name` (created if needed): its images
        land in that repository's namespace."""
        from helpers import create_repository
        token = create_repository(self.http, name)
        return DefaultAuthorization(self._client.http, self._authorization, f"Token {token}")

    def __getattr__(self, name):
        return getattr(self._client, name)


PUSH_REPOSITORY = "ns/repo"


@pytest.fixture
def client(anonymous_client, admin):
    """The test client acting as the admin pushing to ns/repo the way docker does (§5.4):
    a request without its own Authorization header carries the admin's Basic credentials,
    or on `/v1/images/...` the write token of ns/repo (created here), so images land in
    namespace `ns` and become readable through ns/repo."""
    from helpers import create_repository
    authorization = basic(*admin)
    token = create_repository(DefaultAuthorization(anonymous_client.http, authorization),
                              PUSH_REPOSITORY)
    return AdminClient(anonymous_client, authorization, f"Token {token}")


@pytest.fixture(scope="module")
def stack(request, tmp_path_factory):
    """The local stack (`make run`) on a free port, over real HTTP, with an admin
    account ADMIN (`stack.admin`) made by `python -m chalicelib.index.admin`.
    A test module may set STACK_ENV, a dict of settings for its stack."""
    from local_stack import LocalStack
    data_dir = str(tmp_path_factory.mktemp("stack"))
    env = {"REGISTRY_BCRYPT_ROUNDS": "4", **getattr(request.module, "STACK_ENV", {})}
    server = LocalStack(data_dir, env=env).start()
    server.create_admin(*ADMIN)
    yield server
    server.stop()
