"""Multipart layer uploads (README "Layer uploads"): a plan of presigned part URLs, then the
completion that joins the parts; the joined upload is hashed at PUT checksum like any other."""
import re

from pynamodb.exceptions import UpdateError

from ..auth.permissions import ImageScope
from ..bodies import json_body
from ..config import Settings
from ..errors import bad_request, conflict, not_found
from ..store import s3
from ..store.dynamo import condition_failed
from ..store.models import MULTIPART_OPEN, UPLOADING, Image
from .uploads import record_upload, unverified_actions, uploading

MAX_PARTS = 1000              # a plan carries one presigned URL per part: keep it < 1 MB
MAX_LAYER_BYTES = 5 * 1024 ** 4   # S3's object limit
BYTE_COUNT = re.compile(r"[0-9]{1,16}")


def parse_layer_size(value: str | None) -> int:
    """`X-Registry-Layer-Size` of a multipart upload: the compressed layer's byte count."""
    if not BYTE_COUNT.fullmatch(value or "") or not 0 < int(value) <= MAX_LAYER_BYTES:
        raise bad_request(f"X-Registry-Layer-Size must be a byte count from 1 to {MAX_LAYER_BYTES}")
    return int(value)


def start_multipart_upload(settings: Settings, scope: ImageScope, image_id: str,
                           layer_size: int) -> dict:
    """Open an S3 multipart upload and hand out presigned part URLs; hashed at PUT checksum."""
    image = uploading(scope, image_id)
    part_size = max(settings.multipart_part_size, -(-layer_size // MAX_PARTS))
    key = s3.new_upload_key()
    upload_id = s3.start_multipart(settings, key)
    record_upload(settings, image, key, unverified_actions(), upload_id)
    parts = [{"number": number, "url": s3.presigned_part(settings, key, upload_id, number)}
             for number in range(1, -(-layer_size // part_size) + 1)]
    return {"upload_id": upload_id, "part_size": part_size, "parts": parts}


def complete_multipart_upload(settings: Settings, scope: ImageScope, image_id: str,
                              body: bytes) -> None:
    """Join the uploaded parts (body `{"upload_id", "parts": [{"number", "etag"}]}`)."""
    upload_id, parts = _parse_completion(body)
    image = uploading(scope, image_id)
    if image.stage != MULTIPART_OPEN or image.multipart_upload_id != upload_id:
        raise not_found("Multipart upload not found")
    refused = s3.complete_multipart(settings, image.upload_key, upload_id, parts)
    if refused:
        raise bad_request(f"S3 refused the part list: {refused}")
    try:
        image.update(actions=[Image.multipart_upload_id.remove()],
                     condition=(Image.status == UPLOADING) & (Image.upload_key == image.upload_key))
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
    if not (isinstance(upload_id, str) and upload_id and parts and len(parts) <= MAX_PARTS
            and all(type(n) is int and 0 < n <= MAX_PARTS and isinstance(etag, str) and etag
                    for n, etag in parts)):
        raise bad_request(message)
    return upload_id, parts
