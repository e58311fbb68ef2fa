"""Authorization codes (spec oauth-accounts-api §2.1, §2.2; §6 "Authorization codes"): 256
random bits, valid 60 s and once, bound to the client, the redirect URI, the user, the scope
and the PKCE challenge. Only their hash is stored, kept a day after issue so that a replay
is recognised and revokes the tokens the code gave."""
import base64
import hashlib
import hmac
import re
import time

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..auth import scopes
from ..config import Settings
from ..store import models
from ..store.dynamo import cancelled, get_or_none
from ..store.oauth_models import AuthorizationCode, Grant, OAuthClient
from . import credentials, grants
from .authorization import AuthorizationRequest

LIFETIME_SECONDS = 60
KEEP_SECONDS = 86400
VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")       # RFC 7636 §4.1
REPLAYED = "Code already used: the tokens issued from it are revoked"


def issue(request: AuthorizationRequest, username: str) -> str:
    """A code for the consent the user just gave (recorded with it)."""
    grants.consent(username, request.client.client_id, request.scopes)
    code = credentials.new_secret()
    issued_ms = grants.now_ms()
    AuthorizationCode(credentials.digest(code), client_id=request.client.client_id,
                      username=username, scope=scopes.text(request.scopes),
                      redirect_uri=request.redirect_uri,
                      redirect_uri_sent=request.redirect_uri_sent,
                      code_challenge=request.code_challenge, issued_at_ms=issued_ms,
                      expires_at=issued_ms // 1000 + LIFETIME_SECONDS,
                      purge_at=issued_ms // 1000 + KEEP_SECONDS).save()
    return code


def presented(client: OAuthClient, code: str, redirect_uri: str | None,
              verifier: str | None) -> AuthorizationCode:
    """The code if `client` may redeem it with this redirect URI and PKCE verifier (RFC 6749
    §4.1.3, RFC 7636 §4.6), else InvalidGrant; a spent code revokes what it issued."""
    item = get_or_none(AuthorizationCode, credentials.digest(code), consistent_read=True)
    if item is None or item.client_id != client.client_id:
        raise grants.InvalidGrant("Unknown code, or issued to another client")
    if item.family_id is not None:
        grants.revoke_family(item.username, item.family_id)
        raise grants.InvalidGrant(REPLAYED)
    if item.expires_at <= time.time():
        raise grants.InvalidGrant("Code expired")
    if redirect_uri != item.redirect_uri and (item.redirect_uri_sent or redirect_uri is not None):
        raise grants.InvalidGrant("redirect_uri is not the authorization request's")
    if item.code_challenge is None:
        if verifier is not None:        # a downgrade: RFC 9700 §4.8.2
            raise grants.InvalidGrant("code_verifier sent, but the authorization request had "
                                      "no code_challenge")
    elif verifier is None or not _verifies(verifier, item.code_challenge):
        raise grants.InvalidGrant("code_verifier missing or not the code_challenge's")
    return item


def _verifies(verifier: str, challenge: str) -> bool:
    if not VERIFIER.fullmatch(verifier):
        return False
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return hmac.compare_digest(digest.decode(), challenge)


def _why_not_redeemed(item: AuthorizationCode) -> grants.InvalidGrant:
    """Why redeem's transaction was cancelled, read back (PynamoDB reorders a transaction's
    items: the cancellation reasons' positions are not the calls'). A code spent meanwhile is
    a replay: the tokens it gave are revoked."""
    item.refresh(consistent_read=True)
    if item.family_id is not None:
        grants.revoke_family(item.username, item.family_id)
        return grants.InvalidGrant(REPLAYED)
    if item.expires_at <= time.time():
        return grants.InvalidGrant("Code expired")
    grant = get_or_none(Grant, item.username, item.client_id, consistent_read=True)
    if grant is None or grant.since_ms > item.issued_at_ms:
        return grants.InvalidGrant("The user revoked the application's access")
    return grants.InvalidGrant("The code could not be redeemed now; try again")


def redeem(settings: Settings, item: AuthorizationCode) -> grants.Issued:
    """Spend the code and start its token family, in one transaction: the code unspent and
    unexpired, the consent it was issued under not revoked since."""
    family, refresh_item, refresh_token = grants.new_family(
        settings, item.username, item.client_id, item.scope)
    now = int(time.time())
    try:
        with TransactWrite(connection=models.connection()) as transaction:
            transaction.update(item, actions=[AuthorizationCode.family_id.set(family.family_id)],
                               condition=AuthorizationCode.family_id.does_not_exist()
                               & (AuthorizationCode.expires_at > now))
            transaction.condition_check(Grant, item.username, item.client_id,
                                        condition=Grant.since_ms <= item.issued_at_ms)
            transaction.save(family)
            transaction.save(refresh_item)
    except TransactWriteError as error:
        if not cancelled(error):
            raise
        raise _why_not_redeemed(item) from None
    return grants.Issued(item.username, family.family_id, item.client_id,
                         tuple(item.scope.split()), refresh_token)
