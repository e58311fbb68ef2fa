"""Who may read, write or delete a repository or an image: the one place it is decided.

Rules: a user owns the namespace of their name; only admins write `library`;
anyone reads a public repository, only its owner and admins a private one. A
token grants its access on its repository only (§4.6.1, §4.8). An image is read
through a readable repository that holds it, and written through a writable
repository that announced it (§4.22). Denials: 401 to anonymous callers, 404
for what an authenticated caller may not read (it stays invisible), 403 for
what they can see but not change.
"""
import dataclasses
import logging

from ..errors import forbidden, not_found, unauthorized
from ..names import LIBRARY
from ..store import membership
from ..store.models import Repository
from .tokens import Token

READ, WRITE, DELETE = "read", "write", "delete"
# §4.8's recommendation: write implies read (so push probes see existing images).
TOKEN_ALLOWS = {"read": {READ}, "write": {READ, WRITE}, "delete": {READ, DELETE}}
log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Principal:
    username: str | None = None      # None: anonymous
    admin: bool = False
    token: Token | None = None       # set when the caller presented a token
    repository: str | None = None    # the repository an image write goes through


def owns(principal: Principal, name: str) -> bool:
    namespace = name.split("/")[0]
    return principal.admin or (principal.username is not None and namespace != LIBRARY
                               and namespace == principal.username)


def may_read(principal: Principal, repository: Repository) -> bool:
    return not repository.private or owns(principal, repository.name)


def _denied(principal: Principal, action: str, what: str):
    log.info("denied %s %s to %s", action, what, principal.username or "anonymous")
    if principal.username is None:
        return unauthorized()
    if action == READ:
        return not_found(f"{what} not found")
    return forbidden(f"No {action} access to {what}")


def _token_check(principal: Principal, action: str, name: str) -> None:
    token = principal.token
    if token.repository != name or action not in TOKEN_ALLOWS[token.access]:
        log.info("token for %s (%s) refused: %s %s", token.repository, token.access, action, name)
        raise unauthorized(f"Token does not grant {action} access to {name}")


def check_repository(principal: Principal, action: str, name: str) -> None:
    if principal.token is not None:
        return _token_check(principal, action, name)
    if owns(principal, name):
        return
    if action == READ:
        repository = next(iter(membership.records({name})), None)
        if repository is not None and may_read(principal, repository):
            return
        raise _denied(principal, action, "Repository")
    raise _denied(principal, action, name)


def check_image(principal: Principal, action: str, image_id: str) -> Principal:
    """For a write, the result names the repository the image is written through."""
    if action == READ:
        _check_image_read(principal, image_id)
        return principal
    repository = _writable_holder(principal, image_id)
    return dataclasses.replace(principal, repository=repository)


def _check_image_read(principal: Principal, image_id: str) -> None:
    if not may_read_image(principal, image_id):
        raise _denied(principal, READ, "Image")


def may_read_image(principal: Principal, image_id: str) -> bool:
    if principal.admin:
        return True
    token = principal.token
    if token is not None and READ in TOKEN_ALLOWS[token.access]:
        held = membership.membership(token.repository, image_id)
        if held is not None and held.readable:
            return True
    names = {item.repository for item in membership.holders(image_id) if item.readable}
    return any(may_read(principal, repository) for repository in membership.records(names))


def claim_repository(writer: Principal, image_id: str) -> str | None:
    """For a writer (check_image WRITE's result) of a complete image they may not read:
    the repository through which they must prove they hold its bytes (uploads.put_json
    starts a claim); None if they may read it (the push skips it as it exists, §5.9)."""
    if writer.repository is None or may_read_image(writer, image_id):
        return None
    return writer.repository


def _writable_holder(principal: Principal, image_id: str) -> str | None:
    token = principal.token
    if token is not None:
        if WRITE not in TOKEN_ALLOWS[token.access]:
            raise unauthorized(f"Token does not grant write access to {token.repository}")
        if membership.membership(token.repository, image_id) is None:
            raise forbidden(f"Image was not announced for {token.repository} "
                            "(PUT /v1/repositories/<name>/ lists the images of a push)")
        return token.repository
    if principal.username is None:
        raise unauthorized()
    names = sorted(item.repository for item in membership.holders(image_id)
                   if owns(principal, item.repository))
    if names:
        return names[0]
    if principal.admin:
        return None            # admins may write any image; it joins a repository when tagged
    raise forbidden("Image was not announced for a repository you can write "
                    "(PUT /v1/repositories/<name>/ lists the images of a push)")
