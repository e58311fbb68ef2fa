"""`/v1/images/<id>/...`: image JSON, layers, checksums and ancestry (spec §2.3–2.9, §4.20)."""
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from . import models, storage
from .config import Settings
from .errors import ApiError, bad_request, conflict, not_found
from .models import COMPLETE, UPLOADING, Ancestry, Image, ImageClaim, RepositoryImage, Upload
from .names import IMAGE_ID

MAX_JSON_BYTES = 256 * 1024   # a DynamoDB item holds 400 KB
RECORD_ATTEMPTS = 5           # racing uploads of one image before giving up
MAX_PARTS = 1000              # a plan carries one presigned URL per part: keep it < 1 MB
MAX_LAYER_BYTES = 5 * 1024 ** 4   # S3's object limit
ALREADY_EXISTS = "Image already exists"


@dataclass(frozen=True)
class ImageJson:
    image_id: str
    text: str              # the exact bytes received, decoded as UTF-8
    parent: str | None


def _being_uploaded() -> ApiError:
    return bad_request("Image is being uploaded, retry later")


def _image_not_found() -> ApiError:
    return not_found("Image not found")


def parse_json(image_id: str, body: bytes) -> ImageJson:
    """Checks of §2.3 steps 1–3; the bytes themselves stay opaque."""
    if len(body) > MAX_JSON_BYTES:
        raise ApiError(413, f"Image JSON larger than {MAX_JSON_BYTES} bytes")
    try:
        text = body.decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise bad_request("Invalid JSON")
    if not isinstance(data, dict):
        raise bad_request("Invalid JSON")
    if "id" not in data:
        raise bad_request("Missing key `id' in JSON")
    if data["id"] != image_id:
        raise bad_request("JSON data contains invalid id")
    parent = data.get("parent") or None
    if parent is not None and not (isinstance(parent, str) and IMAGE_ID.fullmatch(parent)):
        raise bad_request("Invalid parent ID")
    return ImageJson(image_id, text, parent)


def put_json(settings: Settings, image: ImageJson,
             claim_through: Callable[[], str | None]) -> None:
    """Store new (or retried, still uploading) image JSON; 409 once complete, unless
    `claim_through()` names a repository: the caller may write the image through it but
    not read it, so a claim starts instead (a re-upload kept apart, accepted at PUT
    checksum only if it is the same image; docker 1.10+ ids are content-derived, §4.14).

    The same bytes again (a retry, or a racing push of the same image) change nothing:
    the layer and checksum seeded with them stay valid. Other JSON replaces the record,
    and the layer uploaded for the old JSON is discarded, not left in S3 (§2.3 step 8)."""
    # A parent must be complete: an image still uploading is not readable (§4.20).
    if image.parent is not None and _ancestry_or_none(image.parent) is None:
        raise bad_request("Image depends on a non existing parent")
    previous = _get_or_none(Image, image.image_id)
    item = Image(image.image_id, json=image.text, parent=image.parent, status=UPLOADING)
    if previous is not None and previous.complete:
        repository = claim_through()
        if repository is None:
            raise conflict(ALREADY_EXISTS)
        previous = _get_or_none(ImageClaim, image.image_id, repository)
        item = ImageClaim(image.image_id, repository, json=image.text, status=UPLOADING)
    if previous is not None and previous.json == image.text:
        return
    try:
        item.save(condition=type(item).image_id.does_not_exist() | (Upload.status == UPLOADING))
    except PutError as error:
        if _condition_failed(error):
            raise conflict(ALREADY_EXISTS)
        raise
    if previous is not None and previous.layer_key:
        _discard_layer(settings, previous.layer_key, previous.multipart_upload_id)


def _get_or_none(model, *keys):
    try:
        return model.get(*keys)
    except DoesNotExist:
        return None


def _upload(image_id: str, repository: str | None, refusal: str = ALREADY_EXISTS) -> Upload:
    """Where a layer or checksum goes: the image while it uploads, else the caller's
    claim on the complete image (started by PUT json through `repository`)."""
    image = _get_or_none(Image, image_id)
    if image is None:
        raise _image_not_found()
    if not image.complete:
        return image
    claim = _get_or_none(ImageClaim, image_id, repository) if repository else None
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
    key = storage.new_layer_key(image_id)
    checksum = "sha256:" + hashlib.sha256(image.json.encode() + b"\n" + body).hexdigest()
    storage.put_layer(settings, key, body)
    _record_layer(settings, image, key, [
        Upload.layer_size.set(len(body)), Upload.payload_checksum.set(checksum),
        Upload.layer_unverified.remove()], checksum=checksum)


def start_redirected_upload(settings: Settings, image_id: str, repository: str | None) -> str:
    """Reserve a layer key for a presigned S3 PUT; verified at PUT checksum."""
    image = _upload(image_id, repository)
    key = storage.new_layer_key(image_id)
    _record_layer(settings, image, key, [
        Upload.layer_size.remove(), Upload.payload_checksum.remove(),
        Upload.layer_unverified.set(True)])
    return storage.presigned_put(settings, key)


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
    key = storage.new_layer_key(image_id)
    upload_id = storage.start_multipart(settings, key)
    _record_layer(settings, image, key, [
        Upload.layer_size.remove(), Upload.payload_checksum.remove(),
        Upload.layer_unverified.set(True)], upload_id)
    parts = [{"number": number, "url": storage.presigned_part(settings, key, upload_id, number)}
             for number in range(1, -(-layer_size // part_size) + 1)]
    return {"upload_id": upload_id, "part_size": part_size, "parts": parts}


def complete_multipart_upload(settings: Settings, image_id: str, body: bytes,
                              repository: str | None) -> None:
    """Join the uploaded parts (body `{"upload_id", "parts": [{"number", "etag"}]}`)."""
    upload_id, parts = _parse_completion(body)
    image = _upload(image_id, repository)
    if image.multipart_upload_id is None or image.multipart_upload_id != upload_id:
        raise not_found("Multipart upload not found")
    refused = storage.complete_multipart(settings, image.layer_key, upload_id, parts)
    if refused:
        raise bad_request(f"S3 refused the part list: {refused}")
    try:
        image.update(actions=[Upload.multipart_upload_id.remove()],
                     condition=(Upload.status == UPLOADING) & (Upload.layer_key == image.layer_key))
    except UpdateError as error:
        if _condition_failed(error):
            raise conflict("Layer upload was replaced")
        raise


def _parse_completion(body: bytes) -> tuple[str, list[tuple[int, str]]]:
    invalid = bad_request('Expected {"upload_id": ..., "parts": [{"number": n, "etag": ...}]}')
    try:
        data = json.loads(body or b"")
        parts = [(part["number"], part["etag"]) for part in data["parts"]]
        upload_id = data["upload_id"]
    except (ValueError, TypeError, KeyError):
        raise invalid
    if not (isinstance(upload_id, str) and parts and all(
            type(n) is int and isinstance(etag, str) for n, etag in parts)):
        raise invalid
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
            if _condition_failed(error) and _reread_still_uploading(image, json_text):
                if checksum is not None and image.payload_checksum == checksum:
                    _discard_layer(settings, key, upload_id)   # the same bytes are recorded
                    return
                continue        # another upload was recorded first: replace that one
            _discard_layer(settings, key, upload_id)
            if _condition_failed(error):
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
        storage.abort_multipart(settings, key, upload_id)
    storage.delete_layer(settings, key)


def put_checksum(settings: Settings, image_id: str, payload_checksum: str | None,
                 repository: str | None, may_read: Callable[[], bool]) -> None:
    """Verify the payload checksum and make the image readable (§2.5) through
    `repository`, or accept a claim."""
    if payload_checksum is None:
        raise ApiError(412, "Missing X-Docker-Checksum-Payload header "
                            "(upgrade docker to 0.10 or later)")
    if not payload_checksum:
        raise bad_request("Missing Image's checksum")
    try:
        _complete(settings, image_id, payload_checksum, repository)
    except ApiError as refusal:
        if refusal.status == 409 and _completed_by_a_racer(image_id, payload_checksum, may_read):
            raise conflict(ALREADY_EXISTS)
        raise


def _completed_by_a_racer(image_id: str, payload_checksum: str,
                          may_read: Callable[[], bool]) -> bool:
    """A racing push of the same bytes completed the image first. A caller who may read
    it is told it exists (§5.9), so docker goes on to its tags instead of failing."""
    image = _get_or_none(Image, image_id)
    return (image is not None and image.complete
            and image.payload_checksum == payload_checksum and may_read())


def _complete(settings: Settings, image_id: str, payload_checksum: str,
              repository: str | None) -> None:
    image = _upload(image_id, repository, "Cannot set this image checksum")
    if image.multipart_upload_id:
        raise bad_request("Multipart upload not completed")
    if image.layer_unverified:
        _verify_stored_layer(settings, image)
    if image.payload_checksum != payload_checksum:
        raise bad_request("Checksum mismatch")
    if isinstance(image, ImageClaim):
        return _accept_claim(settings, image)
    parent_ancestry = (_ancestry_or_none(image.parent) or []) if image.parent else []
    try:
        with TransactWrite(connection=models.connection()) as transaction:
            transaction.update(image, actions=[Image.status.set(COMPLETE)], condition=(
                (Image.status == UPLOADING) & (Image.payload_checksum == payload_checksum)
                & (Image.layer_key == image.layer_key)))
            transaction.save(Ancestry(image_id, ancestry=[image_id, *parent_ancestry]))
            if repository is not None:   # not at PUT json: see repositories.record_readable
                transaction.update(RepositoryImage(repository, image_id),
                                   actions=[RepositoryImage.readable.set(True)])
    except TransactWriteError as error:
        if error.cause_response_code == "TransactionCanceledException":
            raise conflict("Cannot set this image checksum")
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
        if error.cause_response_code == "TransactionCanceledException":
            raise conflict("Cannot set this image checksum")
        raise
    storage.delete_layer(settings, claim.layer_key)


def _verify_stored_layer(settings: Settings, image: Upload) -> None:
    """Hash an object that arrived through a presigned PUT, once."""
    result = storage.hash_layer(settings, image.layer_key, image.json.encode() + b"\n")
    if result is None:
        raise bad_request("Checksum mismatch")   # nothing was uploaded
    checksum, size = result
    try:
        image.update(actions=[Upload.payload_checksum.set(checksum), Upload.layer_size.set(size),
                              Upload.layer_unverified.remove()],
                     condition=(Upload.layer_key == image.layer_key) & (Upload.status == UPLOADING))
    except UpdateError as error:
        if _condition_failed(error):
            raise conflict("Cannot set this image checksum")
        raise


def readable_image(image_id: str) -> Image:
    """The image record if it is complete (one read)."""
    try:
        image = Image.get(image_id)
    except DoesNotExist:
        raise _image_not_found()
    if not image.complete:
        raise _being_uploaded()
    return image


def layer_url(settings: Settings, image: Image) -> str:
    return storage.presigned_get(settings, image.layer_key)


def ancestry(image_id: str) -> list[str]:
    """One read on the happy path; a second only to tell 404 from 'uploading'."""
    found = _ancestry_or_none(image_id)
    if found is not None:
        return found
    readable_image(image_id)          # raises 404 or 400 "being uploaded"
    raise _being_uploaded()


def _ancestry_or_none(image_id: str) -> list[str] | None:
    try:
        return list(Ancestry.get(image_id).ancestry)
    except DoesNotExist:
        return None


def _condition_failed(error) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"

