"""The one way to read a JSON request body: its value of the expected type, or a clear 400."""
import json

from .errors import bad_request

_REQUIRED = object()


def _no_constant(name: str):
    # NaN, Infinity and -Infinity are not JSON (RFC 8259); docker's decoder refuses them.
    raise ValueError(f"{name} is not JSON")


def json_body(raw: bytes, kind: type | tuple[type, ...], message: str,
              malformed: str | None = None, empty=_REQUIRED):
    """The body's JSON value if it is a `kind`, else 400 `message` (`malformed` when the
    body is not JSON at all, if given); `empty` for an empty body when given. Nesting too
    deep for the parser (`[` × 5000) is malformed too, not a crash, and so is a body not in
    UTF-8 (RFC 8259 §8.1; json.loads would take UTF-16 and UTF-32 bytes)."""
    if not raw and empty is not _REQUIRED:
        return empty
    try:
        value = json.loads((raw or b"").decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError):     # UnicodeDecodeError is a ValueError
        raise bad_request(malformed or message)
    if not isinstance(value, kind):
        raise bad_request(message)
    return value
