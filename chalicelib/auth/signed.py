"""Values signed with the token key ring (auth/tokens.keys: the first key signs, every key
verifies), each for one purpose: a key derived per purpose keeps a signature made for one
(a session cookie) from ever passing as another (an access token, a docker token)."""
import base64
import hashlib
import hmac

from ..config import Settings
from .tokens import keys


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, message: bytes) -> bytes:
    derived = hmac.new(key, purpose.encode(), hashlib.sha256).digest()
    return hmac.new(derived, message, hashlib.sha256).digest()


def mac(settings: Settings, purpose: str, message: bytes) -> str:
    """A MAC of `message` with the signing key (CSRF tokens)."""
    return _b64(_mac(keys(settings)[0], purpose, message))


def mac_matches(settings: Settings, purpose: str, message: bytes, candidate: str) -> bool:
    """Whether `candidate` is the MAC of `message` under any key (every key is tried)."""
    valid = False
    for key in keys(settings):
        valid |= hmac.compare_digest(_b64(_mac(key, purpose, message)), candidate)
    return valid


def sign(settings: Settings, purpose: str, payload: bytes) -> str:
    """`<payload>.<mac>`, both base64url."""
    return f"{_b64(payload)}.{mac(settings, purpose, payload)}"


def unsign(settings: Settings, purpose: str, value: str) -> bytes | None:
    """The payload of a value `sign` made for this purpose, else None."""
    encoded, _, candidate = (value or "").partition(".")
    try:
        payload = _unb64(encoded)
    except ValueError:
        return None
    return payload if candidate and mac_matches(settings, purpose, payload, candidate) else None
