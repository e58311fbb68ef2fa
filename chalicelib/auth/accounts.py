"""A Basic credential checked against its account: bcrypt once, throttled (spec §3.2, §4.19)."""
from ..config import Settings
from ..errors import ApiError, unauthorized
from ..names import valid_username
from ..store.dynamo import get_or_none
from ..store.models import User
from . import passwords, throttle


def find(username: str) -> User | None:
    """The account of a user name, None for names that cannot exist (no read)."""
    return get_or_none(User, username) if valid_username(username) else None


def authenticate(settings: Settings, username: str, password: str, source: str | None) -> User:
    """The account for a Basic credential: 401 wrong or unknown (alike, one bcrypt each),
    403 inactive, 429 while throttled. A credential verified within the last minute
    in this container skips bcrypt."""
    user = find(username)
    if user is not None and passwords.remembered.contains(username, password, user.password_hash):
        return _active(user)
    throttled = valid_username(username)
    if throttled:
        throttle.check(settings, username, source)
    stored = user.password_hash if user is not None else None
    if not passwords.verify(password, stored, settings.bcrypt_rounds):
        if throttled:
            throttle.record_failure(settings, username, source)
        raise unauthorized("Wrong login/password, please try again")
    passwords.remembered.add(username, password, user.password_hash)
    throttle.clear_user(username)
    return _active(user)


def _active(user: User) -> User:
    if not user.active:
        raise ApiError(403, "Account is not Active")
    return user
