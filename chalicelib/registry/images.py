"""Reads of complete images of a namespace: JSON, layer URL, ancestry (spec §2.6, §2.7,
§2.9, §4.15, §4.17)."""
import re

from ..config import Settings
from ..errors import ApiError, bad_request, not_found
from ..store import s3
from ..store.cache import Memo
from ..store.dynamo import get_or_none
from ..store.models import Ancestry, Image

MAX_ANCESTRY = 256   # docker stops at 127 layers; history rows without a layer fit beside them


def being_uploaded() -> ApiError:
    return bad_request("Image is being uploaded, retry later")


def image_not_found() -> ApiError:
    return not_found("Image not found")


# A complete image and its ancestry never change: a container keeps them once read.
_complete = Memo(keep=lambda image: image is not None and image.complete)
_ancestries = Memo()


def readable_image(namespace: str, image_id: str) -> Image:
    """The image record if it is complete (one read, none once this container has it)."""
    image = _complete.get((namespace, image_id), lambda: get_or_none(Image, namespace, image_id))
    if image is None:
        raise image_not_found()
    if not image.complete:
        raise being_uploaded()
    return image


def layer_url(settings: Settings, image: Image) -> str:
    return s3.presigned_get(settings, image.blob_digest)


FIRST_BYTE = re.compile(r"\s*bytes\s*=\s*([0-9]+)\s*-\s*[0-9]*\s*", re.IGNORECASE)


def starts_past_the_end(range_header: str | None, size: int) -> bool:
    """Whether a single-range `Range: bytes=a-[b]` starts at or past the end of a layer of
    `size` bytes (§4.17: 416, answered from the stored size instead of S3's XML). Any other
    Range goes to S3 with the redirect."""
    found = FIRST_BYTE.fullmatch(range_header or "")
    if found is None:
        return False
    first = found[1].lstrip("0") or "0"
    return len(first) > len(str(size)) or int(first) >= size


def ancestry(namespace: str, image_id: str) -> list[str]:
    """One read on the happy path; a second only to tell 404 from 'uploading'."""
    found = ancestry_or_none(namespace, image_id)
    if found is not None:
        return found
    readable_image(namespace, image_id)          # raises 404 or 400 "being uploaded"
    raise being_uploaded()


def ancestry_or_none(namespace: str, image_id: str) -> list[str] | None:
    """`[id, parent, ..., base]` of a complete image, None for any other."""
    record = _ancestries.get((namespace, image_id),
                             lambda: get_or_none(Ancestry, namespace, image_id))
    return list(record.ancestry) if record is not None else None


def chain(namespace: str, image_id: str) -> list[str] | None:
    """The ancestry an image has or will have: a complete image's, or for one still
    uploading itself and its (complete) parent's; None if there is no such image."""
    found = ancestry_or_none(namespace, image_id)
    if found is not None:
        return found
    image = get_or_none(Image, namespace, image_id)
    if image is None:
        return None
    parent = ancestry_or_none(namespace, image.parent) if image.parent else []
    return [image_id, *(parent or [])]
