"""The records auth decisions read, cached per Lambda container for `auth_cache_seconds`,
so a token request costs no read in the steady state, and a password change, a
deactivation, a repository made private or deleted reaches every container within that
bound (tokens are checked against these records on every request)."""
from .. import config
from ..store import membership
from ..store.cache import Memo
from ..store.dynamo import get_or_none
from ..store.models import Repository, User


def _ttl() -> int:
    return config.settings().auth_cache_seconds


_users, _repositories = Memo(_ttl, keep=lambda _: True), Memo(_ttl, keep=lambda _: True)
_readable = Memo(_ttl, keep=bool)      # only "readable": a new image becomes so at once


def user(username: str) -> User | None:
    return _users.get((username,), lambda: get_or_none(User, username))


def repository(name: str) -> Repository | None:
    return _repositories.get((name,), lambda: get_or_none(Repository, name))


def readable_through(name: str, image_id: str) -> bool:
    return _readable.get((name, image_id), lambda: membership.readable_through(name, image_id))
