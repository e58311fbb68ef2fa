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
    inline_layer_limit: int       # bytes; 0 means no limit (local stack)
    presign_seconds: int
    multipart_part_size: int      # bytes per presigned part (S3: 5 MiB minimum)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def settings() -> Settings:
    return Settings(
        table_prefix=os.environ.get("REGISTRY_TABLE_PREFIX", "v1registry"),
        bucket=os.environ.get("REGISTRY_BUCKET", "v1registry-layers"),
        region=os.environ.get("REGISTRY_REGION") or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        aws_endpoint=os.environ.get("REGISTRY_AWS_ENDPOINT") or None,
        inline_layer_limit=_int("REGISTRY_INLINE_LAYER_LIMIT", 0),
        presign_seconds=_int("REGISTRY_PRESIGN_SECONDS", 1200),
        multipart_part_size=_int("REGISTRY_MULTIPART_PART_SIZE", 64 * 1024 * 1024),
    )
