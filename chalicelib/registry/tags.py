"""`/v1/repositories/<name>/tags...` (spec §2.13–2.16, §2.19)."""
from pynamodb.exceptions import DeleteError, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..bodies import json_body
from ..errors import bad_request, conflict, not_found
from ..names import IMAGE_ID
from ..store import membership, models
from ..store.dynamo import cancelled, cancelled_by_condition, condition_failed, get_or_none
from ..store.models import Image, Repository, Tag
from . import metadata
from .images import ancestry_or_none

LATEST = "latest"


def list_tags(repository: str) -> dict:
    """`{tag: image_id}`; one query unless the repository has no tags."""
    tags = {item.tag: item.image_id
            for item in Tag.query(repository, attributes_to_get=["tag", "image_id"])}
    if not tags and get_or_none(Repository, repository) is None:
        raise not_found("Repository not found")
    return tags


def get_tag(repository: str, tag: str) -> str:
    item = get_or_none(Tag, repository, tag, attributes_to_get=["image_id"])
    if item is None:
        raise not_found("Tag not found")
    return item.image_id


def parse_tag_body(body: bytes) -> str:
    """The body of PUT tag is a bare JSON string holding an image id."""
    image_id = json_body(body, str, "Invalid data")
    if not IMAGE_ID.fullmatch(image_id):
        raise bad_request("Invalid image ID")
    return image_id


def set_tag(repository: str, tag: str, image_id: str, user_agent: str | None) -> None:
    """Point the tag at an image whose JSON exists, creating the repository if needed."""
    tag_metadata = metadata.push_metadata(user_agent)
    repo_actions = membership.creation_actions(repository)
    if tag == LATEST:
        repo_actions.append(Repository.metadata.set(tag_metadata))
    try:
        with TransactWrite(connection=models.connection()) as transaction:
            transaction.condition_check(Image, image_id, condition=Image.image_id.exists())
            transaction.save(Tag(repository, tag, image_id=image_id, metadata=tag_metadata))
            transaction.update(Repository(repository), actions=repo_actions)
    except TransactWriteError as error:
        if cancelled_by_condition(error, 0):
            raise not_found("Image not found")
        if cancelled(error):
            # DynamoDB cancels transactions racing on the same item (TransactionConflict).
            raise conflict("The repository is being updated by another request; retry")
        raise
    # Not complete yet: no ancestry to add but the image itself.
    membership.record_readable(repository, ancestry_or_none(image_id) or [image_id])


def delete_tag(repository: str, tag: str) -> None:
    try:
        Tag(repository, tag).delete(condition=Tag.tag.exists())
    except DeleteError as error:
        if condition_failed(error):
            raise not_found(f"Tag not found: {tag}")
        raise
    if tag == LATEST:
        metadata.clear_repository_metadata(repository)


def tag_json(repository: str, tag: str) -> dict:
    item = get_or_none(Tag, repository, tag, attributes_to_get=["metadata"])
    return metadata.metadata_or_default(item.metadata if item else None)
