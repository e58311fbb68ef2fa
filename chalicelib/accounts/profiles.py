"""The user object (spec oauth-accounts-api §4.1, §4.2) and its partial update (§4.3, §7.13):
only the fields sent change; an unknown or read-only field, or null, is 400; an empty
string clears a text field; `profile_url` must be an http(s) URL."""
import hashlib
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ..errors import bad_request
from ..names import valid_email
from ..store.models import User
from ..store.user_ids import user_id

TEXT_FIELDS = {"full_name": User.full_name, "location": User.location, "company": User.company,
               "profile_url": User.profile_url, "gravatar_email": User.gravatar_email}
READ_ONLY = {"id", "username", "url", "date_joined", "type", "gravatar_url", "email",
             "is_active"}
MAX_TEXT = 255
GRAVATAR = "https://secure.gravatar.com/avatar/{}.jpg?s=80&r=g&d=mm"


def user_object(user: User, base_url: str) -> dict:
    """`id` is the token response's `user_id` (§7.18)."""
    return {
        "id": user_id(user),
        "username": user.username,
        "url": f"{base_url}/api/v1.1/users/{user.username}/",
        "date_joined": datetime.fromtimestamp(user.created_at, timezone.utc)
        .strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "type": "User",
        "full_name": user.full_name or "",
        "location": user.location or "",
        "company": user.company or "",
        "profile_url": user.profile_url or "",
        "gravatar_url": GRAVATAR.format(hashlib.md5(
            (user.gravatar_email or user.email or "").strip().lower().encode()).hexdigest()),
        "email": user.email or "",
        "is_active": bool(user.active),
    }


def update(user: User, changes: dict) -> None:
    """Apply a PATCH body to the account (the User item is updated in place)."""
    actions = []
    for name, value in changes.items():
        if name in READ_ONLY:
            raise bad_request(f"Read-only field: {name}")
        if name not in TEXT_FIELDS:
            raise bad_request(f"Unknown field: {name}")
        if value is None:
            raise bad_request(f"{name} may not be null (send \"\" to clear it)")
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise bad_request(f"{name} must be a string of at most {MAX_TEXT} characters")
        problem = _problem(name, value) if value else None
        if problem:
            raise bad_request(problem)
        attribute = TEXT_FIELDS[name]
        actions.append(attribute.set(value) if value else attribute.remove())
    if actions:
        user.update(actions=actions, condition=User.username.exists())


def _problem(name: str, value: str) -> str | None:
    if name == "profile_url":
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            return "profile_url must be an http:// or https:// URL"
    if name == "gravatar_email" and not valid_email(value):
        return "gravatar_email must be an e-mail address"
    return None
