"""Stateless signed tokens (spec §4.2, §4.7): HMAC-SHA256 over
user|repository|access|expires|nonce|generation with the configured keys (the first signs,
every key verifies, so keys rotate by prepending a new one). `generation` is the user's
token generation when it was issued (auth/callers.py refuses older ones)."""
import functools
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from ..config import Settings

# `\b`: a key starts a word (the same matches), so a long run of word characters is scanned
# once, not once per character (without it, 20 000 of them took seconds).
PAIR = re.compile(r'\b(\w+)\s*[:=]\s*"?([^",]*)"?')
SCHEME = re.compile(r"^\s*(?:token\s+)+", re.IGNORECASE)
ACCESS = ("read", "write", "delete")


@dataclass(frozen=True)
class Token:
    user: str            # "" for a token handed to an anonymous caller
    repository: str      # "ns/repo"
    access: str          # read | write | delete
    expires: int         # unix seconds
    generation: int = 0  # the user's token generation at issue time


def _message(token: Token, nonce: str) -> bytes:
    return "|".join((token.user, token.repository, token.access, str(token.expires), nonce,
                     str(token.generation))).encode()


def _sign(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=4)
def _secret_string(secret_id: str, region: str, endpoint: str | None) -> str:
    """Read once per Lambda container (a rotation reaches new containers)."""
    import boto3        # here, not at import: only containers that read the secret pay for it
    client = boto3.client("secretsmanager", region_name=region, endpoint_url=endpoint)
    return client.get_secret_value(SecretId=secret_id)["SecretString"]


def keys(settings: Settings) -> list[bytes]:
    if settings.token_secret:
        text = settings.token_secret
    elif settings.token_secret_id:
        text = _secret_string(settings.token_secret_id, settings.region, settings.aws_endpoint)
    else:
        raise RuntimeError("No token key: set REGISTRY_TOKEN_SECRET or REGISTRY_TOKEN_SECRET_ID")
    found = [key.strip().encode() for key in text.split(",") if key.strip()]
    if not found:
        raise RuntimeError("The token secret holds no key")
    return found


def issue(settings: Settings, user: str, repository: str, access: str,
          generation: int = 0) -> str:
    """The `X-Docker-Token` value: §4.2's pairs plus our user, expires, nonce, generation."""
    token = Token(user, repository, access, int(time.time()) + settings.token_ttl_seconds,
                  generation)
    nonce = secrets.token_hex(8)
    signature = _sign(keys(settings)[0], _message(token, nonce))
    return (f'signature={signature},repository="{repository}",access={access},'
            f"user={user},expires={token.expires},nonce={nonce},generation={generation}")


def parse(credentials: str) -> dict[str, str]:
    """Pairs of a `Token ...` value, tolerant as §4.2 asks (`Token Token ...`, quotes,
    `key:value`, stray words; the last repeated key wins)."""
    return dict(PAIR.findall(SCHEME.sub("", credentials)))


def verify(settings: Settings, credentials: str) -> Token | None:
    """The token if its signature holds and it has not expired; None otherwise."""
    pairs = parse(credentials)
    try:
        token = Token(pairs["user"], pairs["repository"], pairs["access"], int(pairs["expires"]),
                      int(pairs["generation"]))
        signature, nonce = pairs["signature"], pairs["nonce"]
    except (KeyError, ValueError):
        return None
    message = _message(token, nonce)
    valid = False
    for key in keys(settings):          # every key, no early exit: constant time
        valid |= hmac.compare_digest(_sign(key, message).encode(), signature.encode())
    if not valid or token.access not in ACCESS or token.expires < time.time():
        return None
    return token
