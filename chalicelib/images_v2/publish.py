"""Storing a tag's Registry v2 form: the config in S3 under its digest (a blob like the
layers), `Content` rows that make the manifests and blobs readable through the repository,
and the manifests on the tag, in transactions that each check the repository is live
(store/membership.make_readable)."""
import logging

from pynamodb.exceptions import TransactWriteError

from ..config import Settings
from ..names import namespace_of
from ..store import membership, s3
from ..store.dynamo import cancelled, get_or_none
from ..store.models import Tag
from .build import NotConvertible, V2Image, ancestry, build, chain_records

log = logging.getLogger(__name__)


def prepare(settings: Settings, namespace: str, chain: list[str]) -> V2Image | None:
    """For `PUT .../tags/<tag>`: the v2 form of the chain (`[id, parent, ..., base]`) with
    its config stored, or None when it has none yet (built later, on the first v2 request
    or by the backfill). Never fails the v1 push it is part of."""
    try:
        image = build(chain_records(namespace, chain))
        s3.put_blob(settings, image.config_digest, image.config)
        return image
    except NotConvertible as reason:
        log.info("no v2 manifest for %s/%s yet: %s", namespace, chain[0], reason)
    except Exception:                  # noqa: BLE001 — the tag is set without it
        log.exception("v2 manifest for %s/%s failed", namespace, chain[0])
    return None


def publish(settings: Settings, repository: str, tag: str, image_id: str) -> V2Image:
    """Build and store the v2 form of the image a tag points at (a tag set before the v2
    API, on its first v2 request or by the backfill); NotConvertible if it has none, or if
    the tag moved meanwhile."""
    namespace = namespace_of(repository)
    image = build(chain_records(namespace, ancestry(namespace, image_id)))
    s3.put_blob(settings, image.config_digest, image.config)
    attributes = image.tag_attributes()

    def point_tag(transaction):
        transaction.update(Tag(repository, tag), actions=[
            getattr(Tag, name).set(value) for name, value in attributes.items()],
            condition=Tag.image_id == image_id)
    try:
        membership.make_readable(repository, [], last=point_tag, items=image.content(repository))
    except TransactWriteError as error:
        if not cancelled(error):
            raise
        # Lost to a racing publish of the same tag (the same bytes), or the tag moved.
        now = get_or_none(Tag, repository, tag, consistent_read=True)
        if now is None or now.image_id != image_id or now.manifest != attributes["manifest"]:
            raise NotConvertible("the tag changed meanwhile; retry")
    return image
