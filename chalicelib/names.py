"""Validation of every name that reaches a storage key (spec §4.11, §4.12).

Nothing builds an S3 or DynamoDB key from a string these functions have not
accepted.
"""
import re
from urllib.parse import unquote

from .errors import bad_request

LIBRARY = "library"
IMAGE_ID = re.compile(r"[a-f0-9]{64}")
NAMESPACE = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
REPOSITORY = re.compile(r"[a-z0-9][a-z0-9_.-]{0,254}")
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
MAX_NAME = 255
# §3.1's [a-z0-9_]{4,30}, kept inside the namespace rule of §4.12 (no leading,
# trailing or doubled "_"), so every user name is a valid namespace.
USERNAME = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")
USERNAME_LENGTHS = range(4, 31)
# An e-mail address (a key of the email-addresses table, lower-cased): something@domain.tld.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL = 254


def _decoded(value: str) -> str:
    # chalice local passes path parameters still percent-encoded.
    return unquote(value or "")


def namespace_of(name: str) -> str:
    """The namespace of `ns/repo` (or of a namespace itself)."""
    return name.split("/")[0]


def valid_username(username: str) -> bool:
    return len(username) in USERNAME_LENGTHS and bool(USERNAME.fullmatch(username))


def valid_email(address: str) -> bool:
    return len(address) <= MAX_EMAIL and bool(EMAIL.fullmatch(address))


def image_id(value: str) -> str:
    value = _decoded(value)
    if not IMAGE_ID.fullmatch(value):
        raise bad_request("Invalid image ID")
    return value


def tag(value: str) -> str:
    value = _decoded(value)
    if not TAG.fullmatch(value):
        raise bad_request("Invalid tag name (must match ^[\\w][\\w.-]{0,127}$)")
    return value


def repository(namespace: str, name: str | None = None) -> str:
    """`ns/repo` for a two-part path, `library/<name>` for a one-part path."""
    if name is None:
        namespace, name = LIBRARY, _decoded(namespace)
        if IMAGE_ID.fullmatch(name):
            raise bad_request("Invalid repository name (looks like an image ID)")
    else:
        namespace, name = _decoded(namespace), _decoded(name)
    if not (2 <= len(namespace) and NAMESPACE.fullmatch(namespace)):
        raise bad_request("Invalid namespace name")
    if not REPOSITORY.fullmatch(name):
        raise bad_request("Invalid repository name")
    full = f"{namespace}/{name}"
    if len(full) > MAX_NAME:
        raise bad_request("Invalid repository name (longer than 255 characters)")
    return full
