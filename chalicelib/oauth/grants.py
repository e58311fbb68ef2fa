"""Consents and the tokens issued under them (tables in store/oauth_models.py).

- `consent`: the user authorized an application (the Grant the applications page lists).
- `new_family`: the items a redeemed code starts: a token family and its first refresh token.
- `refresh_token`, `rotate`: a refresh token is spent and its successor issued in one
  transaction (RFC 9700 §4.14.2); a spent one presented again revokes its whole family.
- `revoke_family`, `revoke_application`, `authorized_applications`.
"""
import time
from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..auth import scopes
from ..config import Settings
from ..store import models
from ..store.dynamo import cancelled, get_or_none
from ..store.oauth_models import Grant, OAuthClient, RefreshToken, TokenFamily
from . import credentials

REUSED = "Refresh token already used: every token of its grant is revoked"


class InvalidGrant(Exception):
    """The code or refresh token presented is not valid (RFC 6749 §5.2); the message says why."""


class ScopeWidened(Exception):
    """A refresh asked for scopes the grant does not have (RFC 6749 §6: invalid_scope)."""


@dataclass(frozen=True)
class Issued:
    """What a token response carries, besides the access token signed from it."""
    username: str
    family_id: str
    client_id: str
    scopes: tuple[str, ...]
    refresh_token: str


def now_ms() -> int:
    return int(time.time() * 1000)


def consent(username: str, client_id: str, consented: tuple[str, ...]) -> None:
    """Record the consent. Its `since_ms` stays until a revocation: a code redeemed must not
    predate it (so a code issued before a revocation is dead after it)."""
    now = now_ms()
    Grant(username, client_id).update(actions=[
        Grant.scopes.add(set(consented)), Grant.authorized_at.set(now // 1000),
        Grant.since_ms.set(Grant.since_ms | now)])


def new_family(settings: Settings, username: str, client_id: str, scope: str
               ) -> tuple[TokenFamily, RefreshToken, str]:
    """A family and its first refresh token (items to save), and that token."""
    now = int(time.time())
    family = TokenFamily(username, credentials.new_id(), client_id=client_id, scope=scope,
                         created_at=now, expires_at=now + settings.oauth_refresh_max_seconds)
    token, item = _refresh_item(settings, family.family_id, username, client_id, scope)
    return family, item, token


def _refresh_item(settings: Settings, family_id: str, username: str, client_id: str,
                  scope: str) -> tuple[str, RefreshToken]:
    token = credentials.new_secret()
    return token, RefreshToken(credentials.digest(token), username=username, family_id=family_id,
                               client_id=client_id, scope=scope,
                               expires_at=int(time.time()) + settings.oauth_refresh_idle_seconds)


def refresh_token(client: OAuthClient, token: str) -> RefreshToken:
    """The unspent, unexpired refresh token issued to `client`, else InvalidGrant; a spent
    one revokes its family first."""
    item = get_or_none(RefreshToken, credentials.digest(token), consistent_read=True)
    if item is None or item.client_id != client.client_id:
        raise InvalidGrant("Unknown refresh token, or issued to another client")
    if item.used_at is not None:
        revoke_family(item.username, item.family_id)
        raise InvalidGrant(REUSED)
    if item.expires_at <= time.time():
        raise InvalidGrant("Refresh token expired")
    return item


def rotate(settings: Settings, item: RefreshToken, requested: tuple[str, ...] | None) -> Issued:
    """Spend `item` and issue its successor, for the `requested` scopes (None: the family's),
    never more than the family's (ScopeWidened). A racing use of the same token revokes."""
    granted = tuple(item.scope.split())
    if requested is not None and not set(requested) <= set(granted):
        raise ScopeWidened(" ".join(sorted(set(requested) - set(granted))))
    new_token, new_item = _refresh_item(settings, item.family_id, item.username,
                                        item.client_id, item.scope)
    now = int(time.time())
    try:
        with TransactWrite(connection=models.connection()) as transaction:
            transaction.update(item, actions=[RefreshToken.used_at.set(now)],
                               condition=RefreshToken.used_at.does_not_exist())
            transaction.condition_check(TokenFamily, item.username, item.family_id,
                                        condition=TokenFamily.expires_at > now)
            transaction.save(new_item)
    except TransactWriteError as error:
        if not cancelled(error):
            raise
        item.refresh(consistent_read=True)       # why (PynamoDB reorders the items)
        if item.used_at is not None:             # spent by a racing request: a replay
            revoke_family(item.username, item.family_id)
            raise InvalidGrant(REUSED) from None
        raise InvalidGrant("The grant was revoked or has expired") from None
    return Issued(item.username, item.family_id, item.client_id,
                  requested if requested is not None else granted, new_token)


def revoke_family(username: str, family_id: str) -> None:
    TokenFamily(username, family_id).delete()


def revoke_application(username: str, client_id: str) -> bool:
    """End the user's consent to the application and every token issued under it; whether
    there was anything to revoke. The Grant goes first, so that a code issued before cannot
    be redeemed after (codes.redeem checks it in its transaction)."""
    grant = get_or_none(Grant, username, client_id, consistent_read=True)
    if grant is not None:
        grant.delete()
    families = list(TokenFamily.query(username, filter_condition=TokenFamily.client_id == client_id,
                                      consistent_read=True))
    with TokenFamily.batch_write() as batch:
        for family in families:
            batch.delete(family)
    return grant is not None or bool(families)


@dataclass(frozen=True)
class AuthorizedApplication:
    client_id: str
    name: str
    scopes: tuple[str, ...]
    authorized_at: int


def authorized_applications(username: str) -> list[AuthorizedApplication]:
    grants = list(Grant.query(username, consistent_read=True))
    if not grants:
        return []
    names = {client.client_id: client.name
             for client in OAuthClient.batch_get([grant.client_id for grant in grants])}
    return sorted((AuthorizedApplication(grant.client_id,
                                         names.get(grant.client_id, grant.client_id),
                                         tuple(name for name in scopes.ALL if name in grant.scopes),
                                         int(grant.authorized_at))
                   for grant in grants), key=lambda application: application.name.lower())
