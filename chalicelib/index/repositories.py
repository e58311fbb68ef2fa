"""Repository records: lookup, properties (§2.20), delete (§2.17, §3.5)."""
from pynamodb.exceptions import UpdateError

from ..bodies import json_body
from ..errors import bad_request, not_found
from ..store import membership
from ..store.dynamo import condition_failed, get_or_none
from ..store.models import Repository


def repository_not_found():
    return not_found("Repository not found")


def get(name: str) -> Repository:
    repository = get_or_none(Repository, name)
    if repository is None or not repository.live:
        raise repository_not_found()
    return repository


def create(name: str) -> None:
    """`PUT /v1/repositories/<name>/` is the only way a repository comes to exist; one
    whose delete was interrupted is finished first."""
    if not membership.create(name):
        membership.finish_delete(name)
        if not membership.create(name):
            raise repository_not_found()


def properties(name: str) -> dict:
    """§2.20: `{"access": "private"|"public"}`."""
    return {"access": "private" if get(name).private else "public"}


def set_properties(name: str, body: bytes) -> None:
    data = json_body(body, dict, "Invalid data")
    if data.get("access") not in ("private", "public"):
        raise bad_request("Invalid data")
    try:
        Repository(name).update(actions=[Repository.private.set(data["access"] == "private")],
                                condition=membership.live_condition())
    except UpdateError as error:
        if condition_failed(error):
            raise repository_not_found()
        raise


def delete(name: str) -> None:
    """Delete tags, image list and record; images stay (§2.17). Marked first, so a write
    racing the delete either lands before it (and is removed) or fails."""
    if not membership.start_delete(name):
        raise repository_not_found()
    membership.finish_delete(name)
