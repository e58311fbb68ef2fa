"""Index accounts: register, log in, update (spec §3.1–3.3, §4.19)."""
import json
import re
import time

from pynamodb.exceptions import DoesNotExist, PutError

from . import passwords, throttle
from .config import Settings
from .errors import ApiError, BareStringError, bad_request, not_found, unauthorized
from .models import User
from .names import LIBRARY

# §3.1's [a-z0-9_]{4,30}, kept inside the namespace rule of §4.12 (no leading,
# trailing or doubled "_"), so every user name is a valid namespace.
USERNAME = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")
USERNAME_LENGTHS = range(4, 31)
RESERVED = {LIBRARY}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ALREADY_EXISTS = "Username or email already exists"


def valid_username(username: str) -> bool:
    return len(username) in USERNAME_LENGTHS and bool(USERNAME.fullmatch(username))


def _body(raw: bytes) -> dict:
    try:
        body = json.loads(raw or b"")
    except ValueError:
        raise bad_request("Error Decoding JSON")
    if not isinstance(body, dict):
        raise bad_request("Error Decoding JSON")
    return body


def _string(body: dict, key: str, required: bool) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise bad_request(f"Missing or invalid field: {key}")
    return value


def _email(value: str | None) -> str | None:
    """E-mail is informational here (nothing is sent), so it may be empty."""
    if not value:
        return None
    if len(value) > 254 or not EMAIL.fullmatch(value):
        raise bad_request("Invalid e-mail address")
    return value


def create(settings: Settings, raw: bytes) -> None:
    """POST /v1/users/: a taken name answers the exact bytes docker ≤1.10 turn into a login."""
    body = _body(raw)
    username = _string(body, "username", required=True)
    password = _string(body, "password", required=True)
    if not valid_username(username) or username in RESERVED:
        raise bad_request('Wrong username format (it has to match "^[a-z0-9]+(_[a-z0-9]+)*$", '
                          '4 to 30 characters)')
    if exists(username):
        raise BareStringError(400, ALREADY_EXISTS)
    email = _email(_string(body, "email", required=False))
    user = User(username, password_hash=passwords.hash_password(password, settings.bcrypt_rounds),
                email=email, admin=False, active=settings.new_accounts_active,
                created_at=int(time.time()))
    try:
        user.save(condition=User.username.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise BareStringError(400, ALREADY_EXISTS)
        raise


def exists(username: str) -> bool:
    try:
        User.get(username, attributes_to_get=["username"])
        return True
    except DoesNotExist:
        return False


def _get_or_none(username: str) -> User | None:
    if not valid_username(username):
        return None
    try:
        return User.get(username)
    except DoesNotExist:
        return None


def authenticate(settings: Settings, username: str, password: str, source: str | None) -> User:
    """The account for a Basic credential: 401 wrong or unknown (alike, one bcrypt each),
    403 inactive, 429 while throttled. A credential verified within the last minute
    in this container skips bcrypt."""
    user = _get_or_none(username)
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


def update(settings: Settings, username: str, raw: bytes, by_admin: bool) -> None:
    """PUT /v1/users/<username>/: new e-mail and/or password; an admin may also set
    `active` (accounts wait for it when REGISTRY_NEW_ACCOUNTS_ACTIVE=false). Who may
    change this account at all is checked by auth.account."""
    body = _body(raw)
    email = _string(body, "email", required=False)
    password = _string(body, "password", required=False)
    active = body.get("active")
    if email is None and password is None and active is None:
        raise bad_request("Nothing to update: send email, password or (admins) active")
    if active is not None and not isinstance(active, bool):
        raise bad_request("Missing or invalid field: active")
    if active is not None and not by_admin:
        raise ApiError(403, "Only an admin may activate or deactivate an account")
    user = _get_or_none(username)
    if user is None:
        raise not_found("User not found")
    actions = []
    if email is not None:
        actions.append(User.email.set(_email(email)) if email else User.email.remove())
    if password is not None:
        actions.append(User.password_hash.set(
            passwords.hash_password(password, settings.bcrypt_rounds)))
    if active is not None:
        actions.append(User.active.set(active))
    user.update(actions=actions, condition=User.username.exists())


def create_admin(settings: Settings, username: str, password: str, email: str | None) -> None:
    """The first admin (chalicelib/admin.py); an existing account is promoted and its
    password reset."""
    if not valid_username(username) or username in RESERVED:
        raise bad_request("Invalid username")
    password_hash = passwords.hash_password(password, settings.bcrypt_rounds)
    User(username, password_hash=password_hash, email=_email(email), admin=True, active=True,
         created_at=int(time.time())).save()
