"""The only code that knows S3. Two kinds of keys:

- `uploads/<uuid>`: what a client uploads (an inline body stored by the registry, or bytes
  sent to a presigned PUT or multipart part URL); a fresh key per upload, never served, and
  expired by the bucket's lifecycle rule when abandoned.
- `blobs/sha256/<hex>`: verified layer bytes, written only by the registry as a copy of the
  exact upload version it hashed; served through presigned GETs. A blob is written once and
  shared by every image whose layer has those bytes.

The bucket is versioned (infra/template.yaml; create_bucket locally), so a version the
registry hashed cannot change under it.
"""
import functools
import uuid

from botocore.config import Config

from ..config import Settings
from .digests import LayerDigests

HASH_CHUNK = 1024 * 1024
UPLOADS, BLOBS = "uploads/", "blobs/sha256/"
COPY_PART = 5 * 1024 ** 3          # S3's limit of one CopyObject


@functools.lru_cache(maxsize=4)
def _client(settings: Settings, endpoint: str | None = None):
    import boto3        # here, not at import: only routes that touch S3 pay for it
    addressing = "path" if settings.aws_endpoint else "virtual"
    config = Config(signature_version="s3v4", s3={"addressing_style": addressing},
                    connect_timeout=2, read_timeout=10, retries={"max_attempts": 2})
    return boto3.client("s3", region_name=settings.region,
                        endpoint_url=endpoint or settings.aws_endpoint, config=config)


def _presigner(settings: Settings):
    return _client(settings, settings.presign_endpoint)


def new_upload_key() -> str:
    return UPLOADS + uuid.uuid4().hex


def blob_key(digest: str) -> str:
    """`sha256:<hex>` → its object key."""
    return BLOBS + digest.partition(":")[2]


def _version(response: dict) -> str:
    """The version id S3 gave an object: the bucket must be versioned, or a version the
    registry hashed could change under it (infra/template.yaml versions it)."""
    version = response.get("VersionId")
    if not version or version == "null":
        raise RuntimeError("the layer bucket must have versioning enabled")
    return version


def put_upload(settings: Settings, key: str, body: bytes) -> str:
    """Store an inline layer body; its version id."""
    return _version(_client(settings).put_object(
        Bucket=settings.bucket, Key=key, Body=body, ContentType="application/octet-stream"))


def hash_upload(settings: Settings, key: str, json_bytes: bytes) -> tuple[dict, str] | None:
    """The digests (store.digests) of an uploaded object's current version and that
    version's id, read in chunks; None if nothing was uploaded."""
    client = _client(settings)
    try:
        response = client.get_object(Bucket=settings.bucket, Key=key)
    except client.exceptions.NoSuchKey:
        return None
    hasher = LayerDigests(json_bytes)
    for chunk in response["Body"].iter_chunks(HASH_CHUNK):
        hasher.update(chunk)
    return hasher.digests(), _version(response)


def _blob_exists(settings: Settings, digest: str) -> bool:
    client = _client(settings)
    try:
        client.head_object(Bucket=settings.bucket, Key=blob_key(digest))
        return True
    except client.exceptions.ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchKey"):
            raise
    return False


def store_blob(settings: Settings, upload_key: str, version: str, digest: str) -> None:
    """Copy the hashed version of an upload to its blob key, unless the blob exists."""
    client, key = _client(settings), blob_key(digest)
    if _blob_exists(settings, digest):
        return
    from boto3.s3.transfer import TransferConfig
    # In the request's thread, so its AWS calls stay on its stack and in its time.
    client.copy({"Bucket": settings.bucket, "Key": upload_key, "VersionId": version},
                settings.bucket, key, ExtraArgs={"ContentType": "application/octet-stream"},
                Config=TransferConfig(use_threads=False, multipart_threshold=COPY_PART))


def put_blob(settings: Settings, digest: str, data: bytes) -> None:
    """Store bytes the registry made (an image config, v2-pull §6.5) at their blob key,
    unless they are there."""
    if not _blob_exists(settings, digest):
        _client(settings).put_object(Bucket=settings.bucket, Key=blob_key(digest), Body=data,
                                     ContentType="application/octet-stream")


def upload_blob(settings: Settings, digest: str, file) -> None:
    """Store a file the registry made (a layer's gzip copy) at its blob key."""
    if not _blob_exists(settings, digest):
        _client(settings).upload_fileobj(file, settings.bucket, blob_key(digest),
                                         ExtraArgs={"ContentType": "application/octet-stream"})


def open_blob(settings: Settings, digest: str):
    """A verified blob's bytes as a file-like stream (the backfill's reads)."""
    return _client(settings).get_object(Bucket=settings.bucket, Key=blob_key(digest))["Body"]


def delete_upload(settings: Settings, key: str, version: str | None = None) -> None:
    """Delete an upload (one version when given; else the current one — other versions
    written through an old URL expire with the bucket's lifecycle rule)."""
    extra = {"VersionId": version} if version else {}
    _client(settings).delete_object(Bucket=settings.bucket, Key=key, **extra)


def presigned_get(settings: Settings, digest: str) -> str:
    return _presigner(settings).generate_presigned_url(
        "get_object", Params={"Bucket": settings.bucket, "Key": blob_key(digest)},
        ExpiresIn=settings.presign_seconds)


def presigned_put(settings: Settings, key: str) -> str:
    return _presigner(settings).generate_presigned_url(
        "put_object", Params={"Bucket": settings.bucket, "Key": key},
        ExpiresIn=settings.presign_seconds)


def start_multipart(settings: Settings, key: str) -> str:
    return _client(settings).create_multipart_upload(
        Bucket=settings.bucket, Key=key, ContentType="application/octet-stream")["UploadId"]


def presigned_part(settings: Settings, key: str, upload_id: str, number: int) -> str:
    return _presigner(settings).generate_presigned_url(
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
        if code in ("InvalidPart", "InvalidPartOrder", "NoSuchUpload", "EntityTooSmall",
                    "InvalidArgument"):
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
    """Local stack and tests only; on AWS the bucket comes from infra/ (versioned too)."""
    client = _client(settings)
    try:
        client.head_bucket(Bucket=settings.bucket)
    except client.exceptions.ClientError:
        location = {} if settings.region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": settings.region}}
        client.create_bucket(Bucket=settings.bucket, **location)
    client.put_bucket_versioning(Bucket=settings.bucket,
                                 VersioningConfiguration={"Status": "Enabled"})
