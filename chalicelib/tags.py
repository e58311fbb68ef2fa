"""`/v1/repositories/<name>/tags...` (spec §2.13–2.16, §2.19)."""
import json

from pynamodb.exceptions import DeleteError, DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from . import models, repositories
from .errors import bad_request, conflict, not_found
from .models import Ancestry, Image, Repository, Tag
from .names import IMAGE_ID

LATEST = "latest"


def list_tags(repository: str) -> dict:
    """`{tag: image_id}`; one query unless the repository has no tags."""
    tags = {item.tag: item.image_id
            for item in Tag.query(repository, attributes_to_get=["tag", "image_id"])}
    if not tags:
        repositories.get(repository)       # 404 "Repository not found"
    return tags


def get_tag(repository: str, tag: str) -> str:
    try:
        return Tag.get(repository, tag, attributes_to_get=["image_id"]).image_id
    except DoesNotExist:
        raise not_found("Tag not found")


def parse_tag_body(body: bytes) -> str:
    """The body of PUT tag is a bare JSON string holding an image id."""
    try:
        image_id = json.loads(body or b"")
    except ValueError:
        raise bad_request("Invalid data")
    if not isinstance(image_id, str):
        raise bad_request("Invalid data")
    if not IMAGE_ID.fullmatch(image_id):
        raise bad_request("Invalid image ID")
    return image_id


def set_tag(repository: str, tag: str, image_id: str, user_agent: str | None) -> None:
    """Point the tag at an image whose JSON exists, creating the repository if needed."""
    metadata = repositories.push_metadata(user_agent)
    repo_actions = repositories.creation_actions(repository)
    if tag == LATEST:
        repo_actions.append(Repository.metadata.set(metadata))
    try:
        with TransactWrite(connection=models.connection()) as transaction:
            transaction.condition_check(Image, image_id, condition=Image.image_id.exists())
            transaction.save(Tag(repository, tag, image_id=image_id, metadata=metadata))
            transaction.update(Repository(repository), actions=repo_actions)
    except TransactWriteError as error:
        reasons = error.cancellation_reasons
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            raise not_found("Image not found")
        if error.cause_response_code == "TransactionCanceledException":
            # DynamoDB cancels transactions racing on the same item (TransactionConflict).
            raise conflict("The repository is being updated by another request; retry")
        raise
    repositories.record_readable(repository, _ancestry_or_self(image_id))


def _ancestry_or_self(image_id: str) -> list[str]:
    try:
        return list(Ancestry.get(image_id).ancestry)
    except DoesNotExist:
        return [image_id]          # not complete yet: no ancestry to add


def delete_tag(repository: str, tag: str) -> None:
    try:
        Tag(repository, tag).delete(condition=Tag.tag.exists())
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise not_found(f"Tag not found: {tag}")
        raise
    if tag == LATEST:
        repositories.clear_metadata(repository)


def tag_json(repository: str, tag: str) -> dict:
    try:
        stored = Tag.get(repository, tag, attributes_to_get=["metadata"]).metadata
    except DoesNotExist:
        stored = None
    return repositories.metadata_or_default(stored)
