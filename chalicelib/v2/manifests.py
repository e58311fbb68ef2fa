"""`GET`/`HEAD /v2/<name>/manifests/<tag|digest>` (spec v2-pull §1.4, §6.6, §6.7): the bytes
stored when the tag was set, Docker schema 2 or OCI per Accept. By tag: one read of the tag
(a tag set before the v2 API gets its manifests here, once: images_v2.publish); by digest:
one read of the repository's content."""
from .. import config
from ..auth import records
from ..images_v2 import manifests as media
from ..images_v2.build import NotConvertible
from ..images_v2.publish import publish
from ..store.dynamo import get_or_none
from ..store.models import Content, Tag
from .errors import manifest_unknown, name_unknown
from .references import Repo

ANY = "*/*"


def accepted(values: list[str]) -> set[str]:
    """Every media type of every Accept line, parameters (`;q=`) dropped (§6.7)."""
    return {part.split(";")[0].strip().lower() for value in values for part in value.split(",")
            if part.strip()}


def _acceptable(media_type: str, types: set[str]) -> bool:
    return not types or media_type in types or ANY in types


def by_tag(repo: Repo, tag: str, types: set[str]) -> tuple[str, bytes]:
    item = get_or_none(Tag, repo.name, tag)
    if item is None:
        repository = records.repository(repo.name)
        if repository is None or not repository.live:
            raise name_unknown(repo.path)
        raise manifest_unknown(tag)
    if item.manifest is not None:
        stored = {media.SCHEMA2: item.manifest.encode(), media.OCI: item.oci_manifest.encode()}
    else:
        try:
            image = publish(config.settings(), repo.name, tag, item.image_id)
        except NotConvertible as why:
            raise manifest_unknown(tag, f"no v2 manifest for this image: {why}")
        stored = {media_type: image.manifest(media_type) for media_type in (media.SCHEMA2,
                                                                              media.OCI)}
    # Schema 2 for everyone who takes it (every docker since 1.10); OCI for who asks only it.
    if _acceptable(media.SCHEMA2, types):
        return media.SCHEMA2, stored[media.SCHEMA2]
    if media.OCI in types:
        return media.OCI, stored[media.OCI]
    raise manifest_unknown(tag, f"only {media.SCHEMA2} and {media.OCI} are served here")


def by_digest(repo: Repo, digest: str, types: set[str]) -> tuple[str, bytes]:
    row = get_or_none(Content, repo.name, digest)
    if row is None or row.manifest is None:
        raise manifest_unknown(digest)
    if not _acceptable(row.media_type, types):
        raise manifest_unknown(digest, f"this manifest is {row.media_type}, not accepted")
    return row.media_type, row.manifest.encode()
