"""`/v1/repositories/<name>/tags...` (spec §2.13–2.16, §2.19)."""
from pynamodb.exceptions import DeleteError, TransactWriteError

from .. import config
from ..bodies import json_body
from ..errors import bad_request, conflict, not_found
from ..images_v2 import publish
from ..names import IMAGE_ID, namespace_of
from ..store import membership
from ..store.dynamo import cancelled, condition_failed, failed_conditions, get_or_none
from ..store.models import Image, Repository, Tag
from . import images, metadata

LATEST = "latest"


def list_tags(repository: str) -> dict:
    """`{tag: image_id}`; one query unless the repository has no tags."""
    tags = {item.tag: item.image_id
            for item in Tag.query(repository, attributes_to_get=["tag", "image_id"])}
    if not tags and not getattr(get_or_none(Repository, repository), "live", False):
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
    """Point the tag at an image of the repository's namespace whose JSON exists (§4.20);
    the image and its ancestry become readable through the repository (§4.22) in the same
    transactions, each conditional on the repository being live: a tag never creates a
    repository, nor lands in one being deleted. The tag carries the image's Registry v2
    manifests, and their content becomes readable through the repository with it
    (chalicelib/images_v2; v2-pull §6)."""
    namespace = namespace_of(repository)
    chain = images.chain(namespace, image_id)
    if chain is None:
        raise images.image_not_found()
    tag_metadata = metadata.push_metadata(user_agent)
    v2 = publish.prepare(config.settings(), namespace, chain)      # None: built later

    def write_tag(transaction):
        transaction.condition_check(Image, namespace, image_id,
                                    condition=Image.image_id.exists())
        transaction.save(Tag(repository, tag, image_id=image_id, metadata=tag_metadata,
                             **(v2.tag_attributes() if v2 else {})))

    latest = [Repository.metadata.set(tag_metadata)] if tag == LATEST else None
    try:
        membership.make_readable(repository, chain, last=write_tag, repository_actions=latest,
                                 items=v2.content(repository) if v2 else ())
    except TransactWriteError as error:
        if not cancelled(error):
            raise
        if failed_conditions(error):        # which one: read again (moto names only one)
            if not membership.is_live(repository):
                raise not_found("Repository not found")
            raise images.image_not_found()
        # DynamoDB cancels transactions racing on the same item (TransactionConflict).
        raise conflict("The repository is being updated by another request; retry")


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
