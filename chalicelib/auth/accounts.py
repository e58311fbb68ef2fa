"""A Basic credential checked against its account: bcrypt once, throttled (spec §3.2, §4.19)."""
import json
import time

from ..config import Settings
from ..errors import ApiError, unauthorized
from ..names import valid_username
from ..store.dynamo import get_or_none
from ..store.models import User
from . import passwords, throttle

TRUSTED_SECONDS = 30 * 24 * 3600     # a source the user logged in from stays trusted this long
TRUSTED_MAX = 8
TRUST_REFRESH_SECONDS = 24 * 3600    # re-record a trusted source at most once a day


def find(username: str) -> User | None:
    """The account of a user name, None for names that cannot exist (no read)."""
    return get_or_none(User, username) if valid_username(username) else None


def authenticate(settings: Settings, username: str, password: str, source: str) -> User:
    """The account for a Basic credential: 401 wrong or unknown (alike, one bcrypt each),
    403 inactive, 429 while throttled. A credential verified within the last minute
    in this container skips bcrypt."""
    user = find(username)
    if user is not None and passwords.remembered.contains(username, password, user.password_hash,
                                                             source):
        return _active(user)
    name = username if valid_username(username) else None
    throttle.check_login(settings, name, source, trusted=source in _trusted_sources(user))
    stored = user.password_hash if user is not None else None
    if not passwords.verify(password, stored, settings.bcrypt_rounds):
        throttle.record_login_failure(settings, name, source)
        raise unauthorized("Wrong login/password, please try again")
    passwords.remembered.add(username, password, user.password_hash, source)
    throttle.clear_login_failures(username, source)
    _trust(user, source)
    return _active(user)


def _trusted_sources(user: User | None) -> dict[str, int]:
    if user is None or not user.trusted_sources:
        return {}
    since = time.time() - TRUSTED_SECONDS
    return {source: at for source, at in json.loads(user.trusted_sources).items() if at > since}


def _trust(user: User, source: str) -> None:
    """Remember the source of a successful login (the most recent TRUSTED_MAX)."""
    now = int(time.time())
    sources = _trusted_sources(user)
    if sources.get(source, 0) > now - TRUST_REFRESH_SECONDS:
        return
    sources[source] = now
    recent = dict(sorted(sources.items(), key=lambda item: item[1])[-TRUSTED_MAX:])
    user.update(actions=[User.trusted_sources.set(json.dumps(recent))])


def _active(user: User) -> User:
    if not user.active:
        raise ApiError(403, "Account is not Active")
    return user
