"""Settings read from the environment (set per stage in .chalice/config.json).

Read at call time, not import time: the Chalice test client applies a stage's
environment variables only while a request runs.
"""
import os
from dataclasses import dataclass

REGISTRY_VERSION = "0.1.0"


@dataclass(frozen=True)
class Settings:
    table_prefix: str
    bucket: str
    region: str
    aws_endpoint: str | None      # moto server URL locally; None on AWS
    presign_endpoint: str | None  # where presigned URLs point; None: aws_endpoint
    inline_layer_limit: int       # bytes; 0 means no limit (local stack)
    presign_seconds: int
    endpoints: str | None         # X-Docker-Endpoints value; None: the API's domain name
    bcrypt_rounds: int
    token_secret: str | None      # comma-separated keys: the first signs, all verify
    token_secret_id: str | None   # Secrets Manager id whose SecretString holds those keys
    token_ttl_seconds: int
    default_private: bool         # visibility of a new repository
    new_accounts_active: bool     # POST /v1/users/ accounts may log in at once
    login_max_failures: int       # per (user name, source) within the window, then 429
    login_max_failures_per_source: int
    login_max_failures_per_user: int   # across sources; trusted sources are spared
    login_window_seconds: int
    registrations_per_source: int      # accounts created per source and hour
    auth_cache_seconds: int       # how long a container trusts a user/repository record
    upload_expiry_seconds: int    # an unfinished upload is forgotten this long after its last write
    multipart_part_size: int      # bytes per presigned part (S3: 5 MiB minimum)
    # The OAuth API (chalicelib/oauth): lifetimes in seconds.
    oauth_access_token_seconds: int
    oauth_refresh_idle_seconds: int     # a refresh token unused this long expires
    oauth_refresh_max_seconds: int      # a grant's refresh tokens all expire this long after consent
    oauth_session_seconds: int          # the sign-in cookie of the authorize and applications pages
    v2_api: bool                  # serve the read-only Registry v2 API (chalicelib/v2)
    v2_hidden_up_to: tuple[int, int]  # docker engines up to this version (Linux) see no v2
    refresh_token_ttl_seconds: int    # v2 refresh tokens (docker's identity token)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _visibility(value: str) -> bool:
    if value not in ("public", "private"):
        raise ValueError("REGISTRY_DEFAULT_VISIBILITY must be public or private")
    return value == "private"


def _on_off(name: str, default: str) -> bool:
    value = os.environ.get(name, default)
    if value not in ("on", "off"):
        raise ValueError(f"{name} must be on or off")
    return value == "on"


def _docker_version(name: str, default: str) -> tuple[int, int]:
    major, _, minor = os.environ.get(name, default).partition(".")
    return int(major), int(minor or 0)


def settings() -> Settings:
    return Settings(
        table_prefix=os.environ.get("REGISTRY_TABLE_PREFIX", "v1registry"),
        bucket=os.environ.get("REGISTRY_BUCKET", "v1registry-layers"),
        region=os.environ.get("REGISTRY_REGION") or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        aws_endpoint=os.environ.get("REGISTRY_AWS_ENDPOINT") or None,
        presign_endpoint=os.environ.get("REGISTRY_PRESIGN_ENDPOINT") or None,
        inline_layer_limit=_int("REGISTRY_INLINE_LAYER_LIMIT", 0),
        presign_seconds=_int("REGISTRY_PRESIGN_SECONDS", 1200),
        endpoints=os.environ.get("REGISTRY_ENDPOINTS") or None,
        bcrypt_rounds=_int("REGISTRY_BCRYPT_ROUNDS", 12),
        token_secret=os.environ.get("REGISTRY_TOKEN_SECRET") or None,
        token_secret_id=os.environ.get("REGISTRY_TOKEN_SECRET_ID") or None,
        token_ttl_seconds=_int("REGISTRY_TOKEN_TTL_SECONDS", 4 * 3600),
        default_private=_visibility(os.environ.get("REGISTRY_DEFAULT_VISIBILITY", "public")),
        new_accounts_active=os.environ.get("REGISTRY_NEW_ACCOUNTS_ACTIVE", "true") == "true",
        login_max_failures=_int("REGISTRY_LOGIN_MAX_FAILURES", 10),
        login_max_failures_per_source=_int("REGISTRY_LOGIN_MAX_FAILURES_PER_SOURCE", 100),
        login_max_failures_per_user=_int("REGISTRY_LOGIN_MAX_FAILURES_PER_USER", 100),
        login_window_seconds=_int("REGISTRY_LOGIN_WINDOW_SECONDS", 900),
        registrations_per_source=_int("REGISTRY_REGISTRATIONS_PER_SOURCE", 20),
        auth_cache_seconds=_int("REGISTRY_AUTH_CACHE_SECONDS", 30),
        upload_expiry_seconds=_int("REGISTRY_UPLOAD_EXPIRY_SECONDS", 24 * 3600),
        multipart_part_size=_int("REGISTRY_MULTIPART_PART_SIZE", 64 * 1024 * 1024),
        oauth_access_token_seconds=_int("REGISTRY_OAUTH_ACCESS_TOKEN_SECONDS", 3600),
        oauth_refresh_idle_seconds=_int("REGISTRY_OAUTH_REFRESH_IDLE_SECONDS", 30 * 86400),
        oauth_refresh_max_seconds=_int("REGISTRY_OAUTH_REFRESH_MAX_SECONDS", 90 * 86400),
        oauth_session_seconds=_int("REGISTRY_OAUTH_SESSION_SECONDS", 3600),
        v2_api=_on_off("REGISTRY_V2_API", "on"),
        v2_hidden_up_to=_docker_version("REGISTRY_V2_HIDDEN_UP_TO_DOCKER", "17.05"),
        refresh_token_ttl_seconds=_int("REGISTRY_REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600),
    )
