"""OAuth access tokens (RFC 6750 Bearer): signed with the key ring, never stored. A token is
valid until it expires (REGISTRY_OAUTH_ACCESS_TOKEN_SECONDS) and while the token family it
was issued in exists: revoking the family, or the application, refuses it on its next use."""
import json
import secrets
import time
from dataclasses import dataclass

from ..config import Settings
from ..store.dynamo import get_or_none
from ..store.oauth_models import TokenFamily
from . import scopes, signed

PURPOSE = "oauth-access-token"


@dataclass(frozen=True)
class AccessToken:
    username: str
    family_id: str
    client_id: str
    scopes: tuple[str, ...]
    expires: int


def issue(settings: Settings, username: str, family_id: str, client_id: str,
          granted: tuple[str, ...]) -> str:
    expires = int(time.time()) + settings.oauth_access_token_seconds
    payload = {"u": username, "f": family_id, "c": client_id, "s": scopes.text(granted),
               "e": expires, "n": secrets.token_urlsafe(6)}      # n: every token is new
    return signed.sign(settings, PURPOSE, json.dumps(payload, separators=(",", ":")).encode())


def verify(settings: Settings, value: str) -> AccessToken | None:
    """The token if its signature holds and it has not expired (no read)."""
    payload = signed.unsign(settings, PURPOSE, value)
    if payload is None:
        return None
    try:
        fields = json.loads(payload)
        token = AccessToken(fields["u"], fields["f"], fields["c"], tuple(fields["s"].split()),
                            int(fields["e"]))
    except (KeyError, TypeError, ValueError, AttributeError):   # another version's format
        return None
    return token if token.expires > time.time() else None


def live(token: AccessToken) -> bool:
    """Whether its family still stands (one consistent GetItem: a revocation counts at once)."""
    family = get_or_none(TokenFamily, token.username, token.family_id, consistent_read=True)
    return (family is not None and family.client_id == token.client_id
            and family.expires_at > time.time())
