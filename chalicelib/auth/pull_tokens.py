"""Registry v2 bearer tokens (spec v2-pull §2): opaque to clients, stateless here.

Signed with the key ring through auth/signed.py under a purpose per kind, so no v1 token,
OAuth token or session cookie verifies as one, nor an access token as a refresh token. An
access token carries its subject ("" when anonymous), the subject's token generation, the
service (registry host) it was issued for, the repositories it may pull and its expiry; a
refresh token (docker's identity token, §2.5) its subject, generation, service and expiry.
auth/callers.py checks either against the current records like a v1 token."""
import json
import secrets
import time
from dataclasses import dataclass

from ..config import Settings
from . import signed

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


def _purpose(kind: str) -> str:
    return f"registry-v2-{kind}-token"


def grant(kind: str, user: str, generation: int, service: str, ttl: int,
          repositories: tuple[str, ...] = ()) -> Grant:
    now = int(time.time())
    return Grant(kind, user, generation, service, tuple(repositories), now, now + ttl)


def issue(settings: Settings, granted: Grant) -> str:
    payload = {"u": granted.user, "g": granted.generation, "s": granted.service,
               "r": list(granted.repositories), "i": granted.issued, "e": granted.expires,
               "n": secrets.token_hex(8)}                          # n: every token is new
    return signed.sign(settings, _purpose(granted.kind),
                       json.dumps(payload, separators=(",", ":")).encode())


def verify(settings: Settings, token: str, kind: str, service: str) -> Grant | None:
    """The grant of a token of `kind` for `service` whose signature holds and that has not
    expired; None for anything else."""
    payload = signed.unsign(settings, _purpose(kind), token)
    if payload is None:
        return None
    try:
        fields = json.loads(payload)
        granted = Grant(kind, fields["u"], fields["g"], fields["s"], tuple(fields["r"]),
                        fields["i"], fields["e"])
    except (KeyError, TypeError, ValueError):                   # another version's format
        return None
    if granted.service != service or granted.expires < time.time():
        return None
    return granted
