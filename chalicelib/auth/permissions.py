"""Who may read, write or delete a repository or an image: the one place it is decided.

Repositories: a user owns the namespace of their name; only admins write `library`; anyone
reads a public repository, only its owner and admins a private one. A token grants its access
on its repository only (§4.6.1; §4.8: write and delete imply read).

Images belong to a namespace (the same id in two namespaces is two images). An image route
acts in the namespace of the token's repository, or in the Basic caller's own (§4.22 has no
repository in the path). The namespace's owner (and admins) read and write its images; a token
of anyone else reads an image readable through the token's repository (completed through it
or in the ancestry of one of its tags).

Denials: 401 to anonymous callers, 404 for what an authenticated caller may not read (it stays
invisible), 403 for what they can see but not change.
"""
import dataclasses
import logging

from ..errors import forbidden, not_found, unauthorized
from ..names import LIBRARY, namespace_of
from ..store import membership
from ..store.models import Repository
from . import records
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
    generation: int = 0              # the user's token generation (auth/callers.py)


@dataclasses.dataclass(frozen=True)
class ImageScope:
    """Where an image route acts: the image's namespace, and with a token its repository
    (the one a completed upload becomes readable through)."""
    namespace: str
    repository: str | None


def owns(principal: Principal, name: str) -> bool:
    """`name`: a namespace or a repository name."""
    namespace = namespace_of(name)
    return principal.admin or (principal.username is not None and namespace != LIBRARY
                               and namespace == principal.username)


def may_read(principal: Principal, repository: Repository) -> bool:
    return repository.live and (not repository.private or owns(principal, repository.name))


def _denied(principal: Principal, action: str, what: str):
    log.info("denied %s %s to %s", action, what, principal.username or "anonymous")
    if principal.username is None:
        return unauthorized()
    if action == READ:
        return not_found(f"{what} not found")
    return forbidden(f"No {action} access to {what}")


def _token_grants(principal: Principal, action: str, name: str | None, what: str) -> None:
    """A token grants its access on its repository, to anyone else than the namespace's
    owner only while the repository is readable to them (made private or deleted since:
    the token has ended, within auth/records.py's cache time)."""
    token = principal.token
    if (name is not None and token.repository != name) or action not in TOKEN_ALLOWS[token.access]:
        log.info("token for %s (%s) refused: %s %s", token.repository, token.access, action, name)
        raise unauthorized(f"Token does not grant {action} access to {name or 'images'}")
    if owns(principal, token.repository):
        return
    repository = records.repository(token.repository)
    if repository is None or not may_read(principal, repository):
        raise _denied(principal, READ, what)


def check_repository(principal: Principal, action: str, name: str) -> None:
    if principal.token is not None:
        return _token_grants(principal, action, name, "Repository")
    if owns(principal, name):
        return
    if action == READ:
        repository = next(iter(membership.records({name})), None)
        if repository is not None and may_read(principal, repository):
            return
        raise _denied(principal, action, "Repository")
    raise _denied(principal, action, name)


def check_image(principal: Principal, action: str, image_id: str) -> ImageScope:
    """The scope an image route acts in, if the caller may `action` the image there."""
    token = principal.token
    if token is not None:
        _token_grants(principal, action, None, "Image")
        scope = ImageScope(namespace_of(token.repository), token.repository)
    elif principal.username is not None:
        scope = ImageScope(principal.username, None)
    else:
        raise unauthorized()        # no namespace without a token (docker always has one)
    if owns(principal, scope.namespace):
        return scope
    if action == READ and token is not None and records.readable_through(
            token.repository, image_id):
        return scope
    raise _denied(principal, action, "Image")
