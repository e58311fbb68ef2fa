"""The upload of one image (spec §2.3–2.5, §4.20): PUT json, layer, checksum.

Stages (`Upload.stage`, derived from the record's attributes):

| stage            | means                                              | next, on                                  |
| ---------------- | -------------------------------------------------- | ----------------------------------------- |
| (absent)         | nothing stored                                     | json_only: PUT json                       |
| json_only        | JSON stored                                        | layer_inline: PUT layer (body)            |
|                  |                                                    | layer_unverified: PUT layer, redirect     |
|                  |                                                    | multipart_open: PUT layer, multipart      |
| layer_inline     | layer in S3, payload checksum computed from it     | complete: PUT checksum (match)            |
| multipart_open   | S3 multipart upload open, parts go straight to S3  | layer_unverified: POST layer/multipart    |
| layer_unverified | layer in S3 through presigned URLs, not hashed yet | complete: PUT checksum (hashed, match)    |
| complete         | readable; never changes again                      | PUT json/layer: 409 "Image already exists" |

Every uploading stage goes back to json_only on PUT json with other JSON (the old layer is
discarded), and to another layer stage on a new PUT layer (the replaced upload is
discarded). PUT checksum with another checksum: 400 "Checksum mismatch", stage unchanged.

Claims: a pusher who may write a complete image but not read it (docker 1.10+ ids are
content-derived, §4.14) uploads it again as an ImageClaim through the same stages; at PUT
checksum the claim is accepted only if its payload checksum equals the image's.
"""
import hashlib
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..auth import permissions
from ..auth.permissions import Principal
from ..bodies import json_body
from ..config import Settings
from ..errors import ApiError, bad_request, conflict, not_found
from ..names import IMAGE_ID
from ..store import models, s3
from ..store.dynamo import cancelled, condition_failed, get_or_none
from ..store.models import (COMPLETE, LAYER_UNVERIFIED, MULTIPART_OPEN, UPLOADING, Ancestry,
                            Image, ImageClaim, RepositoryImage, Upload)
from .images import ancestry_or_none, image_not_found

MAX_JSON_BYTES = 256 * 1024   # a DynamoDB item holds 400 KB
RECORD_ATTEMPTS = 5           # racing uploads of one image before giving up
MAX_PARTS = 1000              # a plan carries one presigned URL per part: keep it < 1 MB
MAX_LAYER_BYTES = 5 * 1024 ** 4   # S3's object limit
ALREADY_EXISTS = "Image already exists"
CANNOT_SET_CHECKSUM = "Cannot set this image checksum"


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


def put_json(settings: Settings, writer: Principal, image: ImageJson) -> None:
    """Store new (or retried, still uploading) image JSON; 409 once complete, unless the
    writer may write the image but not read it: then a claim starts instead.

    The same bytes again (a retry, or a racing push of the same image) change nothing:
    the layer and checksum seeded with them stay valid. Other JSON replaces the record,
    and the layer uploaded for the old JSON is discarded, not left in S3 (§2.3 step 8)."""
    # A parent must be complete: an image still uploading is not readable (§4.20).
    if image.parent is not None and ancestry_or_none(image.parent) is None:
        raise bad_request("Image depends on a non existing parent")
    previous = get_or_none(Image, image.image_id)
    item = Image(image.image_id, json=image.text, parent=image.parent, status=UPLOADING)
    if previous is not None and previous.complete:
        repository = permissions.claim_repository(writer, image.image_id)
        if repository is None:
            raise conflict(ALREADY_EXISTS)
        previous = get_or_none(ImageClaim, image.image_id, repository)
        item = ImageClaim(image.image_id, repository, json=image.text, status=UPLOADING)
    if previous is not None and previous.json == image.text:
        return
    try:
        item.save(condition=type(item).image_id.does_not_exist() | (Upload.status == UPLOADING))
    except PutError as error:
        if condition_failed(error):
            raise conflict(ALREADY_EXISTS)
        raise
    if previous is not None and previous.layer_key:
        _discard_layer(settings, previous.layer_key, previous.multipart_upload_id)


def _upload(image_id: str, repository: str | None, refusal: str = ALREADY_EXISTS) -> Upload:
    """Where a layer or checksum goes: the image while it uploads, else the caller's
    claim on the complete image (started by PUT json through `repository`)."""
    image = get_or_none(Image, image_id)
    if image is None:
        raise image_not_found()
    if not image.complete:
        return image
    claim = get_or_none(ImageClaim, image_id, repository) if repository else None
    if claim is None:
        raise conflict(refusal)
    return claim


def put_layer(settings: Settings, image_id: str, body: bytes, repository: str | None) -> None:
    """Store an inline layer body and its payload checksum (§2.4, §4.13.1)."""
    image = _upload(image_id, repository)
    limit = settings.inline_layer_limit
    if limit and len(body) > limit:
        raise ApiError(413, f"Layer larger than the inline limit of {limit} bytes; "
                            "upload it through a presigned URL (X-Registry-Upload: redirect)")
    key = s3.new_layer_key(image_id)
    checksum = "sha256:" + hashlib.sha256(image.json.encode() + b"\n" + body).hexdigest()
    s3.put_layer(settings, key, body)
    _record_layer(settings, image, key, [
        Upload.layer_size.set(len(body)), Upload.payload_checksum.set(checksum),
        Upload.layer_unverified.remove()], checksum=checksum)


def start_redirected_upload(settings: Settings, image_id: str, repository: str | None) -> str:
    """Reserve a layer key for a presigned S3 PUT; verified at PUT checksum."""
    image = _upload(image_id, repository)
    key = s3.new_layer_key(image_id)
    _record_layer(settings, image, key, [
        Upload.layer_size.remove(), Upload.payload_checksum.remove(),
        Upload.layer_unverified.set(True)])
    return s3.presigned_put(settings, key)


def parse_layer_size(value: str | None) -> int:
    """`X-Registry-Layer-Size` of a multipart upload: the compressed layer's byte count."""
    if not (value or "").isdigit() or not 0 < int(value) <= MAX_LAYER_BYTES:
        raise bad_request(f"X-Registry-Layer-Size must be a byte count from 1 to {MAX_LAYER_BYTES}")
    return int(value)


def start_multipart_upload(settings: Settings, image_id: str, layer_size: int,
                           repository: str | None) -> dict:
    """Open an S3 multipart upload and hand out presigned part URLs; verified at PUT checksum."""
    image = _upload(image_id, repository)
    part_size = max(settings.multipart_part_size, -(-layer_size // MAX_PARTS))
    key = s3.new_layer_key(image_id)
    upload_id = s3.start_multipart(settings, key)
    _record_layer(settings, image, key, [
        Upload.layer_size.remove(), Upload.payload_checksum.remove(),
        Upload.layer_unverified.set(True)], upload_id)
    parts = [{"number": number, "url": s3.presigned_part(settings, key, upload_id, number)}
             for number in range(1, -(-layer_size // part_size) + 1)]
    return {"upload_id": upload_id, "part_size": part_size, "parts": parts}


def complete_multipart_upload(settings: Settings, image_id: str, body: bytes,
                              repository: str | None) -> None:
    """Join the uploaded parts (body `{"upload_id", "parts": [{"number", "etag"}]}`)."""
    upload_id, parts = _parse_completion(body)
    image = _upload(image_id, repository)
    if image.stage != MULTIPART_OPEN or image.multipart_upload_id != upload_id:
        raise not_found("Multipart upload not found")
    refused = s3.complete_multipart(settings, image.layer_key, upload_id, parts)
    if refused:
        raise bad_request(f"S3 refused the part list: {refused}")
    try:
        image.update(actions=[Upload.multipart_upload_id.remove()],
                     condition=(Upload.status == UPLOADING) & (Upload.layer_key == image.layer_key))
    except UpdateError as error:
        if condition_failed(error):
            raise conflict("Layer upload was replaced")
        raise


def _parse_completion(body: bytes) -> tuple[str, list[tuple[int, str]]]:
    message = 'Expected {"upload_id": ..., "parts": [{"number": n, "etag": ...}]}'
    data = json_body(body, dict, message)
    try:
        parts = [(part["number"], part["etag"]) for part in data["parts"]]
        upload_id = data["upload_id"]
    except (TypeError, KeyError):
        raise bad_request(message)
    if not (isinstance(upload_id, str) and parts and all(
            type(n) is int and isinstance(etag, str) for n, etag in parts)):
        raise bad_request(message)
    return upload_id, parts


def _record_layer(settings: Settings, image: Upload, key: str, actions: list,
                  upload_id: str | None = None, checksum: str | None = None) -> None:
    """Point the record at a new upload and discard the upload it replaces.

    Conditional on the key read, so every replaced upload is discarded once instead of
    left in S3. Racing uploads of the same bytes (`checksum`, known for inline bodies)
    keep the first one recorded; others replace it, the last one winning."""
    upload_action = (Upload.multipart_upload_id.set(upload_id) if upload_id
                     else Upload.multipart_upload_id.remove())
    json_text = image.json      # the JSON the checksum was seeded with
    for _attempt in range(RECORD_ATTEMPTS):
        old_key, old_upload_id = image.layer_key, image.multipart_upload_id
        same_key = (Upload.layer_key.does_not_exist() if old_key is None
                    else Upload.layer_key == old_key)
        try:
            image.update(actions=[Upload.layer_key.set(key), upload_action, *actions],
                         condition=(Upload.status == UPLOADING) & (Upload.json == json_text)
                         & same_key)
        except UpdateError as error:
            if condition_failed(error) and _reread_still_uploading(image, json_text):
                if checksum is not None and image.payload_checksum == checksum:
                    _discard_layer(settings, key, upload_id)   # the same bytes are recorded
                    return
                continue        # another upload was recorded first: replace that one
            _discard_layer(settings, key, upload_id)
            if condition_failed(error):
                raise conflict(ALREADY_EXISTS)
            raise
        if old_key:
            _discard_layer(settings, old_key, old_upload_id)
        return
    _discard_layer(settings, key, upload_id)
    raise conflict("Concurrent layer uploads for this image; retry")


def _reread_still_uploading(image: Upload, json_text: str) -> bool:
    try:
        image.refresh(consistent_read=True)
    except DoesNotExist:        # a claim accepted meanwhile
        return False
    return image.status == UPLOADING and image.json == json_text


def _discard_layer(settings: Settings, key: str, upload_id: str | None) -> None:
    # Abort first: a completion racing this delete then fails instead of leaving an object.
    if upload_id:
        s3.abort_multipart(settings, key, upload_id)
    s3.delete_layer(settings, key)


def put_checksum(settings: Settings, writer: Principal, image_id: str,
                 payload_checksum: str | None) -> None:
    """Verify the payload checksum and make the image readable (§2.5) through the writer's
    repository, or accept a claim."""
    if payload_checksum is None:
        raise ApiError(412, "Missing X-Docker-Checksum-Payload header "
                            "(upgrade docker to 0.10 or later)")
    if not payload_checksum:
        raise bad_request("Missing Image's checksum")
    try:
        _complete(settings, image_id, payload_checksum, writer.repository)
    except ApiError as refusal:
        if refusal.status == 409 and _completed_by_a_racer(writer, image_id, payload_checksum):
            raise conflict(ALREADY_EXISTS)
        raise


def _completed_by_a_racer(writer: Principal, image_id: str, payload_checksum: str) -> bool:
    """A racing push of the same bytes completed the image first. A caller who may read
    it is told it exists (§5.9), so docker goes on to its tags instead of failing."""
    image = get_or_none(Image, image_id)
    return (image is not None and image.complete
            and image.payload_checksum == payload_checksum
            and permissions.may_read_image(writer, image_id))


def _complete(settings: Settings, image_id: str, payload_checksum: str,
              repository: str | None) -> None:
    image = _upload(image_id, repository, CANNOT_SET_CHECKSUM)
    if image.stage == MULTIPART_OPEN:
        raise bad_request("Multipart upload not completed")
    if image.stage == LAYER_UNVERIFIED:
        _verify_stored_layer(settings, image)
    if image.payload_checksum != payload_checksum:
        raise bad_request("Checksum mismatch")
    if isinstance(image, ImageClaim):
        return _accept_claim(settings, image)
    parent_ancestry = (ancestry_or_none(image.parent) or []) if image.parent else []
    try:
        with TransactWrite(connection=models.connection()) as transaction:
            transaction.update(image, actions=[Image.status.set(COMPLETE)], condition=(
                (Image.status == UPLOADING) & (Image.payload_checksum == payload_checksum)
                & (Image.layer_key == image.layer_key)))
            transaction.save(Ancestry(image_id, ancestry=[image_id, *parent_ancestry]))
            if repository is not None:   # not at PUT json: see membership.record_readable
                transaction.update(RepositoryImage(repository, image_id),
                                   actions=[RepositoryImage.readable.set(True)])
    except TransactWriteError as error:
        if cancelled(error):
            raise conflict(CANNOT_SET_CHECKSUM)
        raise


def _accept_claim(settings: Settings, claim: ImageClaim) -> None:
    """The claim proves possession only if json and layer hash to the image's payload
    checksum; then the image is readable through the claimer's repository and the claim's
    copy goes (the image keeps its own). A mismatch changes nothing: retry the claim."""
    if Image.get(claim.image_id).payload_checksum != claim.payload_checksum:
        raise bad_request("Checksum mismatch")
    try:
        with TransactWrite(connection=models.connection()) as transaction:
            transaction.delete(claim, condition=(Upload.layer_key == claim.layer_key)
                               & (Upload.payload_checksum == claim.payload_checksum))
            transaction.update(RepositoryImage(claim.repository, claim.image_id),
                               actions=[RepositoryImage.readable.set(True)],
                               condition=RepositoryImage.image_id.exists())
    except TransactWriteError as error:
        if cancelled(error):
            raise conflict(CANNOT_SET_CHECKSUM)
        raise
    s3.delete_layer(settings, claim.layer_key)


def _verify_stored_layer(settings: Settings, image: Upload) -> None:
    """Hash an object that arrived through a presigned PUT, once."""
    result = s3.hash_layer(settings, image.layer_key, image.json.encode() + b"\n")
    if result is None:
        raise bad_request("Checksum mismatch")   # nothing was uploaded
    checksum, size = result
    try:
        image.update(actions=[Upload.payload_checksum.set(checksum), Upload.layer_size.set(size),
                              Upload.layer_unverified.remove()],
                     condition=(Upload.layer_key == image.layer_key) & (Upload.status == UPLOADING))
    except UpdateError as error:
        if condition_failed(error):
            raise conflict(CANNOT_SET_CHECKSUM)
        raise
