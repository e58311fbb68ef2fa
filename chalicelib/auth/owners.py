"""Who may use an Accounts API endpoint (spec oauth-accounts-api §4.0, §7.8, §7.17): the
account itself, by its password (Basic: bcrypt and throttling as for docker login) or by an
access token (Bearer) that carries the endpoint's scope. Authentication comes first (401);
then another account's name is 403 whether it exists or not (nothing is read for it)."""
import base64
import binascii

from .. import config
from ..errors import ApiError, forbidden
from ..store.dynamo import get_or_none
from ..store.models import User
from . import accounts, bearer

REALM = 'realm="docker.io"'
CHALLENGE = f"Bearer {REALM}, Basic {REALM}"
NOT_OWNER = "Only the account's owner may use this"


def _unauthorized(message: str, challenge: str = CHALLENGE) -> ApiError:
    return ApiError(401, message, {"WWW-Authenticate": challenge})


def owner(request, username: str, scope: str) -> User:
    """The account `username` if the caller is it, with `scope` when by token."""
    scheme, credentials = _authorization(request)
    if scheme == "bearer":
        user, token = _token_owner(credentials)
        if user.username != username:
            raise forbidden(NOT_OWNER)
        if scope not in token.scopes:
            raise ApiError(403, f"The token does not grant {scope}", {
                "WWW-Authenticate": f'Bearer {REALM}, error="insufficient_scope", scope="{scope}"'})
        return user
    user = _password_owner(scheme, credentials, request)
    if user.username != username:
        raise forbidden(NOT_OWNER)
    return user


def password_owner(request) -> User:
    """The account whose password the request carries (Basic only: managing one's grants)."""
    return _password_owner(*_authorization(request), request)


def _authorization(request) -> tuple[str, str]:
    scheme, _, credentials = (request.headers.get("authorization") or "").strip().partition(" ")
    if not scheme:
        raise _unauthorized("Requires authorization")
    return scheme.lower(), credentials.strip()


def _token_owner(credentials: str) -> tuple[User, bearer.AccessToken]:
    token = bearer.verify(config.settings(), credentials)
    user = None
    if token is not None and bearer.live(token):
        user = get_or_none(User, token.username, consistent_read=True)
    if user is None or not user.active:
        raise _unauthorized("Invalid or expired token", f'Bearer {REALM}, error="invalid_token"')
    return user, token


def _password_owner(scheme: str, credentials: str, request) -> User:
    if scheme != "basic":
        raise _unauthorized("Unsupported authorization scheme")
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):     # ValueError: non-ASCII, or not UTF-8 once decoded
        decoded = ""
    username, separator, password = decoded.partition(":")
    if not separator:
        raise _unauthorized("Malformed Basic credentials")
    source = ((request.context or {}).get("identity") or {}).get("sourceIp")
    return accounts.authenticate(config.settings(), username, password, source)
