"""Repository records and which images they hold (spec §3.4, §3.7, §4.22): data, not rules
(`chalicelib.auth.permissions` decides with these records, the API packages write them).

Life cycle: only `create` makes a repository. `delete` marks it `deleting` first, so every
later write that checks `live` fails, then removes its tags, image list and v2 content
(strongly consistent reads, so whatever landed before the mark is removed too), then the
record.
"""
import time
from collections.abc import Callable, Iterable

from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from .. import config
from .dynamo import condition_failed, get_or_none
from .models import Content, Repository, RepositoryImage, Tag, connection

TRANSACTION_ITEMS = 100       # DynamoDB's limit per transaction
BATCH_KEYS = 100              # and per BatchGetItem


def live_condition():
    return Repository.name.exists() & Repository.deleting.does_not_exist()


def is_live(name: str) -> bool:
    repository = get_or_none(Repository, name, consistent_read=True)
    return repository is not None and repository.live


def create(name: str) -> bool:
    """Create the repository with the configured visibility, or keep it; False while a
    delete of it is under way. The search keys are written each time: a record older than
    the search indexes joins them at its next push."""
    namespace, part = name.split("/")
    actions = [Repository.namespace.set(Repository.namespace | namespace),
               Repository.name_initial.set(name[0]), Repository.part.set(part),
               Repository.part_initial.set(part[0]),
               Repository.created_at.set(Repository.created_at | int(time.time())),
               Repository.private.set(Repository.private | config.settings().default_private)]
    try:
        Repository(name).update(actions=actions, condition=Repository.deleting.does_not_exist())
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def announce(name: str, images: list[dict]) -> None:
    """Add `[{"id", "checksum"}]` to the repository's image list; never removes an image
    nor its readability (§3.6). Repeated ids (one per tag, §3.4) are one entry."""
    checksums: dict[str, str | None] = {}
    for image in images:
        checksums[image["id"]] = image["checksum"] or checksums.get(image["id"])
    for chunk in _chunks(list(checksums.items()), TRANSACTION_ITEMS):
        with TransactWrite(connection=connection()) as transaction:
            for image_id, checksum in chunk:
                actions = [RepositoryImage.readable.set(RepositoryImage.readable | False)]
                if checksum:
                    actions.append(RepositoryImage.checksum.set(checksum))
                transaction.update(RepositoryImage(name, image_id), actions=actions)


def readable_through(name: str, image_id: str) -> bool:
    """Whether the image (of the repository's namespace) is readable through it (one read)."""
    item = get_or_none(RepositoryImage, name, image_id)
    return item is not None and bool(item.readable)


def make_readable(name: str, image_ids: list[str],
                  last: Callable[[TransactWrite], None] | None = None,
                  repository_actions: list | None = None, items: Iterable[Model] = ()) -> None:
    """Make the images readable through the live repository `name`, and save `items` (its
    Registry v2 content); `last` adds its writes to the final transaction,
    `repository_actions` updates the repository in it. Each transaction checks that the
    repository is live, so nothing lands in one being deleted."""
    keys = [(name, image_id) for image_id in dict.fromkeys(image_ids)]
    readable = {item.image_id for chunk in _chunks(keys, BATCH_KEYS)
                for item in RepositoryImage.batch_get(chunk) if item.readable}
    writes = [RepositoryImage(name, image_id) for _, image_id in keys
              if image_id not in readable] + list(items)
    chunks = list(_chunks(writes, TRANSACTION_ITEMS - 4)) or [[]]
    for number, chunk in enumerate(chunks, start=1):
        final = number == len(chunks)
        with TransactWrite(connection=connection()) as transaction:
            if final and repository_actions:
                transaction.update(Repository(name), actions=repository_actions,
                                   condition=live_condition())
            else:
                transaction.condition_check(Repository, name, condition=live_condition())
            for write in chunk:
                if isinstance(write, RepositoryImage):
                    transaction.update(write, actions=[RepositoryImage.readable.set(True)])
                else:
                    transaction.save(write)
            if final and last is not None:
                last(transaction)


def start_delete(name: str) -> bool:
    """Mark the repository deleting; False if there is none."""
    try:
        Repository(name).update(actions=[Repository.deleting.set(True)],
                                condition=Repository.name.exists())
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def finish_delete(name: str) -> None:
    """Remove the tags, the image list, the v2 content and the record of a repository
    marked deleting."""
    with Tag.batch_write() as batch:
        for tag in Tag.query(name, consistent_read=True, attributes_to_get=["repository", "tag"]):
            batch.delete(tag)
    with RepositoryImage.batch_write() as batch:
        for item in RepositoryImage.query(name, consistent_read=True,
                                          attributes_to_get=["repository", "image_id"]):
            batch.delete(item)
    with Content.batch_write() as batch:
        for item in Content.query(name, consistent_read=True,
                                  attributes_to_get=["repository", "digest"]):
            batch.delete(item)
    try:
        Repository(name).delete(condition=Repository.deleting.exists())
    except DeleteError as error:
        if not condition_failed(error):      # a racing delete finished first
            raise


def records(names: set[str]) -> list[Repository]:
    return list(Repository.batch_get(names)) if names else []


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
