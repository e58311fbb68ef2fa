"""Index accounts: register and update (spec §3.1, §3.3, §4.19); logging in is auth.accounts."""
import re
import time

from ..auth import accounts, passwords, throttle
from ..bodies import json_body
from ..config import Settings
from ..errors import ApiError, BareStringError, bad_request, conflict, not_found
from ..names import LIBRARY, valid_username
from ..store import email_addresses
from ..store.dynamo import get_or_none
from ..store.models import User

RESERVED = {LIBRARY}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ALREADY_EXISTS = "Username or email already exists"


def _body(raw: bytes) -> dict:
    return json_body(raw, dict, "Error Decoding JSON")


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


def create(settings: Settings, raw: bytes, source: str) -> None:
    """POST /v1/users/: a taken name answers the exact bytes docker ≤1.10 turn into a login.

    The name is read before the conditional save on purpose: every docker ≤1.10 login
    starts with this POST, and an existing name then costs no bcrypt hash. Accounts
    created are counted per source address (auth/throttle.py)."""
    body = _body(raw)
    username = _string(body, "username", required=True)
    password = _string(body, "password", required=True)
    if not valid_username(username) or username in RESERVED:
        raise bad_request('Wrong username format (it has to match "^[a-z0-9]+(_[a-z0-9]+)*$", '
                          '4 to 30 characters)')
    if get_or_none(User, username, attributes_to_get=["username"]) is not None:
        raise BareStringError(400, ALREADY_EXISTS)
    email = _email(_string(body, "email", required=False))
    throttle.check_registration(settings, source)
    user = User(username, password_hash=passwords.hash_password(password, settings.bcrypt_rounds),
                email=email, admin=False, active=settings.new_accounts_active,
                created_at=int(time.time()))
    try:        # the name and the address, each unique across accounts (§3.1)
        email_addresses.create(user)
    except (email_addresses.AddressTaken, email_addresses.ConcurrentChange):
        raise BareStringError(400, ALREADY_EXISTS)
    throttle.record_registration(source)


def update(settings: Settings, username: str, raw: bytes, by_admin: bool) -> None:
    """PUT /v1/users/<username>/: new e-mail and/or password; an admin may also set
    `active` (accounts wait for it when REGISTRY_NEW_ACCOUNTS_ACTIVE=false). Who may
    change this account at all is checked by auth.callers.account. A new password or a
    deactivation ends the account's tokens (a new token generation)."""
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
    user = accounts.find(username)
    if user is None:
        raise not_found("User not found")
    actions = []
    if password is not None:
        actions.append(User.password_hash.set(
            passwords.hash_password(password, settings.bcrypt_rounds)))
    if active is not None:
        actions.append(User.active.set(active))
    if password is not None or active is False:
        actions.append(User.token_generation.add(1))
    if email is None:
        user.update(actions=actions, condition=User.username.exists())
        return
    try:        # the address claimed for this account alone, as the Accounts API does
        email_addresses.set_primary(user, _email(email), actions)
    except email_addresses.AddressTaken as taken:
        raise bad_request(str(taken))
    except email_addresses.ConcurrentChange:
        raise conflict("The account changed meanwhile, retry")


def create_admin(settings: Settings, username: str, password: str, email: str | None) -> None:
    """The first admin (index/admin.py); an existing account is promoted and its
    password reset, which ends its tokens like any password change."""
    if not valid_username(username) or username in RESERVED:
        raise bad_request("Invalid username")
    password_hash = passwords.hash_password(password, settings.bcrypt_rounds)
    email = _email(email)
    User(username).update(actions=[     # an update: the account's other fields are kept
        User.password_hash.set(password_hash), User.admin.set(True), User.active.set(True),
        User.created_at.set(User.created_at | int(time.time())),
        User.token_generation.add(1)])
    if email:
        try:
            email_addresses.set_primary(User.get(username, consistent_read=True), email, [])
        except email_addresses.AddressTaken as taken:
            raise bad_request(str(taken))
