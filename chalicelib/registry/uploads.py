"""The upload of one image of a namespace (spec §2.3–2.5, §4.20): PUT json, layer, checksum.

Stages (`Image.stage`, derived from the record's attributes):

| stage            | means                                              | next, on                                   |
| ---------------- | -------------------------------------------------- | ------------------------------------------ |
| (absent)         | nothing stored                                     | json_only: PUT json                        |
| json_only        | JSON stored                                        | layer_inline: PUT layer (body)             |
|                  |                                                    | layer_unverified: PUT layer, redirect      |
|                  |                                                    | multipart_open: PUT layer, multipart       |
| layer_inline     | upload in S3, hashed while the registry stored it  | complete: PUT checksum (match)             |
| multipart_open   | S3 multipart upload open, parts go straight to S3  | layer_unverified: POST layer/multipart     |
| layer_unverified | upload in S3 through presigned URLs, not hashed    | complete: PUT checksum (hashed, match)     |
| complete         | readable; never changes again                      | PUT json/layer: 409 "Image already exists" |

Every uploading stage goes back to json_only on PUT json with other JSON (the old upload is
discarded), and to another layer stage on a new PUT layer (the replaced upload is
discarded). PUT checksum with another checksum: 400 "Checksum mismatch", stage unchanged.

Uploads live under fresh `uploads/` keys and are never served: completing an image copies
the exact version that was hashed to its content-addressed blob (store/s3.py), so no URL
handed to a client can change what the image serves. Unfinished uploads expire
(`expires_at`, a DynamoDB TTL; the bucket's lifecycle rule for the objects).
"""
import logging
import time
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from .. import faults
from ..auth.permissions import ImageScope
from ..bodies import json_body
from ..config import Settings
from ..errors import ApiError, bad_request, conflict, not_found
from ..names import IMAGE_ID
from ..store import membership, s3
from ..store.digests import layer_digests
from ..store.dynamo import cancelled, condition_failed, get_or_none
from ..store.models import (COMPLETE, JSON_ONLY, LAYER_UNVERIFIED, MULTIPART_OPEN, UPLOADING,
                            Ancestry, Image, Repository, RepositoryImage, connection)
from .images import MAX_ANCESTRY, ancestry_or_none, image_not_found

MAX_JSON_BYTES = 256 * 1024   # a DynamoDB item holds 400 KB
RECORD_ATTEMPTS = 5           # racing uploads of one image before giving up
ALREADY_EXISTS = "Image already exists"
CANNOT_SET_CHECKSUM = "Cannot set this image checksum"
DIGEST_FIELDS = ("payload_checksum", "layer_size", "blob_digest", "compression", "diff_id")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageJson:
    image_id: str
    text: str              # the exact bytes received, decoded as UTF-8
    parent: str | None


def parse_json(image_id: str, body: bytes) -> ImageJson:
    """Checks of §2.3 steps 1–3; the bytes themselves stay opaque."""
    if len(body) > MAX_JSON_BYTES:
        raise ApiError(413, f"Image JSON larger than {MAX_JSON_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("Invalid JSON")
    data = json_body(body, dict, "Invalid JSON")
    if "id" not in data:
        raise bad_request("Missing key `id' in JSON")
    if data["id"] != image_id:
        raise bad_request("JSON data contains invalid id")
    parent = data.get("parent") or None
    if parent is not None and not (isinstance(parent, str) and IMAGE_ID.fullmatch(parent)):
        raise bad_request("Invalid parent ID")
    return ImageJson(image_id, text, parent)


def _expiry(settings: Settings) -> int:
    return int(time.time()) + settings.upload_expiry_seconds


def put_json(settings: Settings, scope: ImageScope, image: ImageJson) -> None:
    """Store new (or retried, still uploading) image JSON; 409 once complete.

    The same bytes again (a retry, or a racing push of the same image) change nothing:
    the layer and checksum seeded with them stay valid. Other JSON replaces the record,
    and the upload made for the old JSON is discarded (§2.3 step 8)."""
    parent_ancestry = []
    if image.parent is not None:
        # A parent must be complete: an image still uploading is not readable (§4.20).
        parent_ancestry = ancestry_or_none(scope.namespace, image.parent)
        if parent_ancestry is None:
            raise bad_request("Image depends on a non existing parent")
    if len(parent_ancestry) >= MAX_ANCESTRY:
        raise bad_request(f"Image ancestry longer than {MAX_ANCESTRY} images")
    previous = get_or_none(Image, scope.namespace, image.image_id)
    if previous is not None and previous.complete:
        raise conflict(ALREADY_EXISTS)
    if previous is not None and previous.json == image.text:
        return
    item = Image(scope.namespace, image.image_id, json=image.text, parent=image.parent,
                 status=UPLOADING, expires_at=_expiry(settings))
    try:
        item.save(condition=Image.image_id.does_not_exist() | (Image.status == UPLOADING))
    except PutError as error:
        if condition_failed(error):
            raise conflict(ALREADY_EXISTS)
        raise
    if previous is not None and previous.upload_key:
        _discard(settings, previous.upload_key, previous.multipart_upload_id)


def uploading(scope: ImageScope, image_id: str) -> Image:
    image = get_or_none(Image, scope.namespace, image_id)
    if image is None:
        raise image_not_found()
    if image.complete:
        raise conflict(ALREADY_EXISTS)
    return image


def put_layer(settings: Settings, scope: ImageScope, image_id: str, body: bytes) -> None:
    """Store an inline layer body, hashed on the way (§2.4, §4.13.1)."""
    image = uploading(scope, image_id)
    limit = settings.inline_layer_limit
    if limit and len(body) > limit:
        raise ApiError(413, f"Layer larger than the inline limit of {limit} bytes; "
                            "upload it through a presigned URL (X-Registry-Upload: redirect)")
    digests = layer_digests(image.json.encode(), body)
    key = s3.new_upload_key()
    version = s3.put_upload(settings, key, body)
    record_upload(settings, image, key, [*_digest_actions(digests),
                                          Image.upload_version.set(version),
                                          Image.layer_unverified.remove()],
                   checksum=digests["payload_checksum"])


def _digest_actions(digests: dict) -> list:
    return [getattr(Image, field).set(digests[field]) if digests[field] is not None
            else getattr(Image, field).remove() for field in DIGEST_FIELDS]


def unverified_actions() -> list:
    return [*(getattr(Image, field).remove() for field in DIGEST_FIELDS),
            Image.upload_version.remove(), Image.layer_unverified.set(True)]


def start_redirected_upload(settings: Settings, scope: ImageScope, image_id: str) -> str:
    """A fresh upload key for a presigned S3 PUT; hashed at PUT checksum."""
    image = uploading(scope, image_id)
    key = s3.new_upload_key()
    record_upload(settings, image, key, unverified_actions())
    return s3.presigned_put(settings, key)


def record_upload(settings: Settings, image: Image, key: str, actions: list,
                   upload_id: str | None = None, checksum: str | None = None) -> None:
    """Point the record at a new upload and discard the upload it replaces.

    Conditional on the key read, so every replaced upload is discarded once instead of
    left in S3. Racing uploads of the same bytes (`checksum`, known for inline bodies)
    keep the first one recorded; others replace it, the last one winning."""
    upload_action = (Image.multipart_upload_id.set(upload_id) if upload_id
                     else Image.multipart_upload_id.remove())
    json_text = image.json      # the JSON the checksum was seeded with
    for _attempt in range(RECORD_ATTEMPTS):
        old_key, old_upload_id = image.upload_key, image.multipart_upload_id
        same_key = (Image.upload_key.does_not_exist() if old_key is None
                    else Image.upload_key == old_key)
        try:
            image.update(actions=[Image.upload_key.set(key), upload_action,
                                  Image.expires_at.set(_expiry(settings)), *actions],
                         condition=(Image.status == UPLOADING) & (Image.json == json_text)
                         & same_key)
        except UpdateError as error:
            if condition_failed(error) and _reread_still_uploading(image, json_text):
                if checksum is not None and image.payload_checksum == checksum:
                    _discard(settings, key, upload_id)   # the same bytes are recorded
                    return
                continue        # another upload was recorded first: replace that one
            _discard(settings, key, upload_id)
            if condition_failed(error):
                raise conflict(ALREADY_EXISTS)
            raise
        if old_key:
            _discard(settings, old_key, old_upload_id)
        return
    _discard(settings, key, upload_id)
    raise conflict("Concurrent layer uploads for this image; retry")


def _reread_still_uploading(image: Image, json_text: str) -> bool:
    try:
        image.refresh(consistent_read=True)
    except DoesNotExist:        # expired meanwhile
        return False
    return image.status == UPLOADING and image.json == json_text


def _discard(settings: Settings, key: str, upload_id: str | None = None,
             version: str | None = None) -> None:
    """Remove an upload nothing refers to any more. A clean-up: S3 failing here leaves it to
    the bucket's lifecycle rules (uploads/ and open multipart uploads go after a day), and
    the request goes on."""
    try:
        # Abort first: a completion racing this delete then fails instead of leaving an object.
        if upload_id:
            s3.abort_multipart(settings, key, upload_id)
        s3.delete_upload(settings, key, version)
    except Exception as error:
        if not faults.transient(error):
            raise
        log.warning("upload %s left to the lifecycle rule: %r", key, error)


def put_checksum(settings: Settings, scope: ImageScope, image_id: str,
                 payload_checksum: str | None) -> None:
    """Verify the payload checksum and complete the image (§2.5): its bytes become a blob,
    and it becomes readable through the token's repository."""
    if payload_checksum is None:
        raise ApiError(412, "Missing X-Docker-Checksum-Payload header "
                            "(upgrade docker to 0.10 or later)")
    if not payload_checksum:
        raise bad_request("Missing Image's checksum")
    image = get_or_none(Image, scope.namespace, image_id)
    if image is None:
        raise image_not_found()
    if image.complete:
        raise _refusal_for_complete(image, payload_checksum)
    if image.stage == MULTIPART_OPEN:
        raise bad_request("Multipart upload not completed")
    if image.stage == LAYER_UNVERIFIED:
        _verify_upload(settings, image)
    if image.stage == JSON_ONLY or image.payload_checksum != payload_checksum:
        raise bad_request("Checksum mismatch")
    s3.store_blob(settings, image.upload_key, image.upload_version, image.blob_digest)
    _complete(scope, image, payload_checksum)
    _discard(settings, image.upload_key, version=image.upload_version)


def _refusal_for_complete(image: Image, payload_checksum: str) -> ApiError:
    """A racing push of the same bytes completed the image first: it exists (§5.9), so
    docker goes on to its tags instead of failing; another checksum cannot be set (§2.5)."""
    if image.payload_checksum == payload_checksum:
        return conflict(ALREADY_EXISTS)
    return conflict(CANNOT_SET_CHECKSUM)


def _complete(scope: ImageScope, image: Image, payload_checksum: str) -> None:
    parent = (ancestry_or_none(scope.namespace, image.parent) or []) if image.parent else []
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(image, actions=[
                Image.status.set(COMPLETE), Image.upload_key.remove(),
                Image.upload_version.remove(), Image.expires_at.remove()], condition=(
                (Image.status == UPLOADING) & (Image.payload_checksum == payload_checksum)
                & (Image.upload_key == image.upload_key)))
            transaction.save(Ancestry(scope.namespace, image.image_id,
                                      ancestry=[image.image_id, *parent]))
            if scope.repository is not None:   # not at PUT json: nothing unverified is readable
                transaction.condition_check(Repository, scope.repository,
                                            condition=membership.live_condition())
                transaction.update(RepositoryImage(scope.repository, image.image_id),
                                   actions=[RepositoryImage.readable.set(True)])
    except TransactWriteError as error:
        if not cancelled(error):
            raise
        image.refresh(consistent_read=True)
        if image.complete:
            raise _refusal_for_complete(image, payload_checksum)
        if scope.repository is not None and not membership.is_live(scope.repository):
            raise not_found("Repository not found")
        raise conflict(CANNOT_SET_CHECKSUM)


def _verify_upload(settings: Settings, image: Image) -> None:
    """Hash an upload that arrived through presigned URLs, once."""
    result = s3.hash_upload(settings, image.upload_key, image.json.encode())
    if result is None:
        raise bad_request("Checksum mismatch")   # nothing was uploaded
    digests, version = result
    try:
        image.update(actions=[*_digest_actions(digests), Image.upload_version.set(version),
                              Image.layer_unverified.remove()],
                     condition=(Image.upload_key == image.upload_key) & (Image.status == UPLOADING))
    except UpdateError as error:
        if condition_failed(error):
            raise conflict(CANNOT_SET_CHECKSUM)
        raise
