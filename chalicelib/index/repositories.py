"""Repository records: lookup, properties (§2.20), delete (§2.17, §3.5)."""
from ..bodies import json_body
from ..errors import bad_request, not_found
from ..store.dynamo import get_or_none
from ..store.models import Repository, RepositoryImage, Tag


def get(name: str) -> Repository:
    repository = get_or_none(Repository, name)
    if repository is None:
        raise not_found("Repository not found")
    return repository


def properties(name: str) -> dict:
    """§2.20: `{"access": "private"|"public"}`."""
    return {"access": "private" if get(name).private else "public"}


def set_properties(name: str, body: bytes) -> None:
    data = json_body(body, dict, "Invalid data")
    if data.get("access") not in ("private", "public"):
        raise bad_request("Invalid data")
    get(name)
    Repository(name).update(actions=[Repository.private.set(data["access"] == "private")],
                            condition=Repository.name.exists())


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
