"""Repository records, their announced image lists and their metadata JSON (§2.17, §2.18, §3.4–3.7)."""
import json
import time

from pynamodb.exceptions import DoesNotExist, UpdateError

from . import config
from .errors import bad_request, not_found
from .models import Repository, RepositoryImage, Tag
from .names import IMAGE_ID

UA_FIELDS = {"docker": "docker_version", "go": "docker_go_version",
             "arch": "arch", "kernel": "kernel", "os": "os"}
DEFAULT_METADATA = {"last_update": None, "docker_version": None, "docker_go_version": None,
                    "arch": "amd64", "os": "linux", "kernel": None}


def push_metadata(user_agent: str | None) -> str:
    """The metadata JSON [dr] derives from the pushing client's User-Agent (§2.18)."""
    metadata = dict(DEFAULT_METADATA, last_update=int(time.time()))
    for token in (user_agent or "").split():
        name, _, value = token.partition("/")
        if name in UA_FIELDS and value:
            lowered = name in ("arch", "kernel", "os")
            metadata[UA_FIELDS[name]] = value.lower() if lowered else value
    return json.dumps(metadata)


def metadata_or_default(stored: str | None) -> dict:
    return json.loads(stored) if stored else dict(DEFAULT_METADATA)


def get(name: str) -> Repository:
    try:
        return Repository.get(name)
    except DoesNotExist:
        raise not_found("Repository not found")


def creation_actions(name: str) -> list:
    """Update actions that create the record if absent and keep it otherwise."""
    return [Repository.namespace.set(Repository.namespace | name.split("/")[0]),
            Repository.created_at.set(Repository.created_at | int(time.time())),
            Repository.private.set(Repository.private | config.settings().default_private)]


def ensure(name: str) -> None:
    Repository(name).update(actions=creation_actions(name))


def clear_metadata(name: str) -> None:
    try:
        Repository(name).update(actions=[Repository.metadata.remove()],
                                condition=Repository.name.exists())
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def repository_json(name: str) -> dict:
    try:
        stored = Repository.get(name).metadata
    except DoesNotExist:
        stored = None
    return metadata_or_default(stored)


def parse_image_list(body: bytes) -> list[dict]:
    """`[{"id": ..., "checksum"?: ...}, ...]` of §3.4/§3.6; other keys are dropped."""
    try:
        entries = json.loads(body or b"[]")
    except ValueError:
        raise bad_request("Invalid JSON")
    if not isinstance(entries, list):
        raise bad_request("Invalid data")
    images = []
    for entry in entries:
        if not isinstance(entry, dict) or not IMAGE_ID.fullmatch(str(entry.get("id", ""))):
            raise bad_request("Invalid data")
        checksum = entry.get("checksum")
        if checksum is not None and not isinstance(checksum, str):
            raise bad_request("Invalid data")
        images.append({"id": entry["id"], "checksum": checksum or None})
    return images


def announce_images(name: str, images: list[dict]) -> None:
    """Add images to the repository's list; never removes any (§3.6)."""
    known = {item.image_id: item for item in RepositoryImage.query(name)}
    with RepositoryImage.batch_write() as batch:
        for image in images:
            item = known.get(image["id"]) or RepositoryImage(name, image["id"])
            if image["checksum"] or image["id"] not in known:
                item.checksum = image["checksum"] or item.checksum
                batch.save(item)


def membership(name: str, image_id: str) -> RepositoryImage | None:
    try:
        return RepositoryImage.get(name, image_id)
    except DoesNotExist:
        return None


def holders(image_id: str) -> list[RepositoryImage]:
    """Every repository that announced or holds the image (one query on the index)."""
    return list(RepositoryImage.by_image.query(image_id))


def records(names: set[str]) -> list[Repository]:
    return list(Repository.batch_get(names)) if names else []


def properties(name: str) -> dict:
    """§2.20: `{"access": "private"|"public"}`."""
    return {"access": "private" if get(name).private else "public"}


def set_properties(name: str, body: bytes) -> None:
    try:
        data = json.loads(body or b"")
    except ValueError:
        raise bad_request("Invalid data")
    if not isinstance(data, dict) or data.get("access") not in ("private", "public"):
        raise bad_request("Invalid data")
    get(name)
    Repository(name).update(actions=[Repository.private.set(data["access"] == "private")],
                            condition=Repository.name.exists())


def record_readable(name: str, image_ids: list[str]) -> None:
    """The images become readable through the repository: in the ancestry of one of its
    tags (§4.22), or completed through it (images.put_checksum does that in its own
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


def image_list(name: str) -> list[dict]:
    get(name)
    return [{"id": item.image_id, "checksum": item.checksum or ""}
            for item in RepositoryImage.query(name)]


def delete(name: str) -> None:
    """Delete tags, image list and record; images stay (§2.17)."""
    get(name)
    with Tag.batch_write() as batch:
        for tag in Tag.query(name, attributes_to_get=["repository", "tag"]):
            batch.delete(tag)
    with RepositoryImage.batch_write() as batch:
        for item in RepositoryImage.query(name, attributes_to_get=["repository", "image_id"]):
            batch.delete(item)
    Repository(name).delete()
