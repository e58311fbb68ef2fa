"""Which repositories hold which images (spec §3.4, §3.7, §4.22), and repository records.

Data, not rules: `chalicelib.auth.permissions` decides with these records, the API packages
write them.
"""
import time

from .. import config
from .dynamo import get_or_none
from .models import Repository, RepositoryImage


def announce(name: str, images: list[dict]) -> None:
    """Add `[{"id", "checksum"}]` to the repository's image list; never removes any (§3.6)."""
    known = {item.image_id: item for item in RepositoryImage.query(name)}
    with RepositoryImage.batch_write() as batch:
        for image in images:
            item = known.get(image["id"]) or RepositoryImage(name, image["id"])
            if image["checksum"] or image["id"] not in known:
                item.checksum = image["checksum"] or item.checksum
                batch.save(item)


def membership(name: str, image_id: str) -> RepositoryImage | None:
    return get_or_none(RepositoryImage, name, image_id)


def holders(image_id: str) -> list[RepositoryImage]:
    """Every repository that announced or holds the image (one query on the index)."""
    return list(RepositoryImage.by_image.query(image_id))


def records(names: set[str]) -> list[Repository]:
    return list(Repository.batch_get(names)) if names else []


def record_readable(name: str, image_ids: list[str]) -> None:
    """The images become readable through the repository: in the ancestry of one of its
    tags (§4.22), or completed through it (registry.uploads does that in its own
    transaction; an admin's upload outside any repository joins one when tagged). Not at
    PUT json: someone who announced a guessed id could overwrite an unfinished upload and
    then read what its owner uploads next."""
    known = {item.image_id: item for item in RepositoryImage.query(name)}
    with RepositoryImage.batch_write() as batch:
        for image_id in image_ids:
            item = known.get(image_id) or RepositoryImage(name, image_id)
            if not item.readable:
                item.readable = True
                batch.save(item)


def creation_actions(name: str) -> list:
    """Update actions that create a repository record if absent and keep it otherwise."""
    return [Repository.namespace.set(Repository.namespace | name.split("/")[0]),
            Repository.created_at.set(Repository.created_at | int(time.time())),
            Repository.private.set(Repository.private | config.settings().default_private)]
