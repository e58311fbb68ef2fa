"""The only code that knows S3: layer keys, uploads, hashing reads, presigned URLs."""
import functools
import hashlib
import uuid

import boto3
from botocore.config import Config

from .config import Settings

HASH_CHUNK = 1024 * 1024


@functools.lru_cache(maxsize=4)
def _client(settings: Settings, presigning: bool = False):
    """presigning: the client whose URLs go to clients (the local stack's S3 gateway)."""
    endpoint = (presigning and settings.presign_endpoint) or settings.aws_endpoint
    addressing = "path" if endpoint else "virtual"
    config = Config(signature_version="s3v4", s3={"addressing_style": addressing},
                    connect_timeout=2, read_timeout=10, retries={"max_attempts": 2})
    return boto3.client("s3", region_name=settings.region, endpoint_url=endpoint, config=config)


def new_layer_key(image_id: str) -> str:
    """A fresh key per upload, so a racing re-upload never mixes bytes and checksum."""
    return f"layers/{image_id}/{uuid.uuid4().hex}"


def put_layer(settings: Settings, key: str, body: bytes) -> None:
    _client(settings).put_object(Bucket=settings.bucket, Key=key, Body=body,
                                 ContentType="application/octet-stream")


def hash_layer(settings: Settings, key: str, prefix: bytes) -> tuple[str, int] | None:
    """sha256(prefix + object) and the object's size, read in chunks; None if absent."""
    client = _client(settings)
    try:
        body = client.get_object(Bucket=settings.bucket, Key=key)["Body"]
    except client.exceptions.NoSuchKey:
        return None
    digest, size = hashlib.sha256(prefix), 0
    for chunk in body.iter_chunks(HASH_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return "sha256:" + digest.hexdigest(), size


def delete_layer(settings: Settings, key: str) -> None:
    _client(settings).delete_object(Bucket=settings.bucket, Key=key)


def presigned_get(settings: Settings, key: str) -> str:
    return _client(settings, presigning=True).generate_presigned_url(
        "get_object", Params={"Bucket": settings.bucket, "Key": key},
        ExpiresIn=settings.presign_seconds)


def presigned_put(settings: Settings, key: str) -> str:
    return _client(settings, presigning=True).generate_presigned_url(
        "put_object", Params={"Bucket": settings.bucket, "Key": key},
        ExpiresIn=settings.presign_seconds)


def start_multipart(settings: Settings, key: str) -> str:
    return _client(settings).create_multipart_upload(
        Bucket=settings.bucket, Key=key, ContentType="application/octet-stream")["UploadId"]


def presigned_part(settings: Settings, key: str, upload_id: str, number: int) -> str:
    return _client(settings, presigning=True).generate_presigned_url(
        "upload_part", Params={"Bucket": settings.bucket, "Key": key, "UploadId": upload_id,
                               "PartNumber": number},
        ExpiresIn=settings.presign_seconds)


def complete_multipart(settings: Settings, key: str, upload_id: str,
                       parts: list[tuple[int, str]]) -> str | None:
    """Join the parts into the object; S3's error code if it refuses the part list."""
    client = _client(settings)
    try:
        client.complete_multipart_upload(
            Bucket=settings.bucket, Key=key, UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for n, etag in parts]})
    except client.exceptions.ClientError as error:
        code = error.response["Error"]["Code"]
        if code in ("InvalidPart", "InvalidPartOrder", "NoSuchUpload", "EntityTooSmall"):
            return code
        raise
    return None


def abort_multipart(settings: Settings, key: str, upload_id: str) -> None:
    client = _client(settings)
    try:
        client.abort_multipart_upload(Bucket=settings.bucket, Key=key, UploadId=upload_id)
    except client.exceptions.NoSuchUpload:
        pass


def create_bucket(settings: Settings) -> None:
    """Local stack and tests only; on AWS the bucket comes from infra/."""
    client = _client(settings)
    try:
        client.head_bucket(Bucket=settings.bucket)
    except client.exceptions.ClientError:
        location = {} if settings.region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": settings.region}}
        client.create_bucket(Bucket=settings.bucket, **location)
