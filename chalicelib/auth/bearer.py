"""Registry v2 bearer tokens (spec v2-pull §2): opaque to clients, stateless here.

A token is `base64url(payload).base64url(HMAC-SHA256)`, signed with the key ring of
auth/tokens.py (the first key signs, every key verifies) under a label of its own, so no v1
token verifies as a v2 token nor the other way round. An access token carries its subject
("" when anonymous), the subject's token generation, the service (registry host) it was
issued for, the repositories it may pull and its expiry; a refresh token (docker's identity
token, §2.5) its subject, generation, service and expiry. auth/callers.py checks either
against the current records like a v1 token."""
import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from ..config import Settings
from .tokens import keys

LABEL = b"v1registry v2 bearer\n"
ACCESS, REFRESH = "access", "refresh"


@dataclass(frozen=True)
class Grant:
    kind: str                       # ACCESS | REFRESH
    user: str                       # "" for an anonymous caller
    generation: int                 # the user's token generation when issued
    service: str
    repositories: tuple[str, ...]   # "ns/repo" names it may pull (access tokens)
    issued: int                     # unix seconds
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, LABEL + payload, hashlib.sha256).digest()


def grant(kind: str, user: str, generation: int, service: str, ttl: int,
          repositories: tuple[str, ...] = ()) -> Grant:
    now = int(time.time())
    return Grant(kind, user, generation, service, tuple(repositories), now, now + ttl)


def issue(settings: Settings, granted: Grant) -> str:
    payload = json.dumps({"k": granted.kind, "u": granted.user, "g": granted.generation,
                          "s": granted.service, "r": list(granted.repositories),
                          "i": granted.issued, "e": granted.expires,
                          "n": secrets.token_hex(8)}, separators=(",", ":")).encode()
    return _b64(payload) + "." + _b64(_sign(keys(settings)[0], payload))


def verify(settings: Settings, token: str, kind: str, service: str) -> Grant | None:
    """The grant of a token of `kind` for `service` whose signature holds and that has not
    expired; None for anything else."""
    encoded, _, signature = token.partition(".")
    try:
        payload, signature = _unb64(encoded), _unb64(signature)
    except (binascii.Error, ValueError):
        return None
    valid = False
    for key in keys(settings):          # every key, no early exit: constant time
        valid |= hmac.compare_digest(_sign(key, payload), signature)
    if not valid:
        return None
    fields = json.loads(payload)
    granted = Grant(fields["k"], fields["u"], fields["g"], fields["s"], tuple(fields["r"]),
                    fields["i"], fields["e"])
    if granted.kind != kind or granted.service != service or granted.expires < time.time():
        return None
    return granted
