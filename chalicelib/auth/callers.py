"""Who is calling: Basic credentials, signed tokens, or a token the API Gateway authorizer
already verified; then `authorize(...)` / `authorize_image(...)` ask permissions what they
may do.

Routes that always need credentials run the authorizer first (auth/gateway.py); a token it
verified reaches the handler as `request.context['authorizer']` (string values, as on API
Gateway), anything else is read from the header here, where the source address is known.
Every token is checked against the current records (auth/records.py): its user still
active and of the same token generation (permissions checks that a non-owner's repository
is still readable).
"""
import base64
import binascii
import dataclasses
import logging
import time

from .. import config
from ..errors import forbidden, unauthorized
from . import accounts, pull_tokens, records, tokens
from .permissions import ImageScope, Principal, check_image, check_repository

ANONYMOUS = Principal()
INVALID_TOKEN = "Invalid or expired token"
log = logging.getLogger(__name__)


def authorize(request, action: str, repository: str) -> Principal:
    """The caller if they may `action` the repository, else raise ApiError."""
    principal = identify(request)
    check_repository(principal, action, repository)
    return principal


def authorize_image(request, action: str, image_id: str) -> ImageScope:
    """Where an image route acts for this caller (permissions.check_image), else ApiError."""
    return check_image(identify(request), action, image_id)


def identify(request) -> Principal:
    context = (request.context or {}).get("authorizer") or {}
    if context.get("token_repository"):
        return _from_token(_token_from_context(context))
    return from_header(request.headers.get("authorization"), source_of(request))


def from_header(header: str | None, source: str) -> Principal:
    scheme, credentials = _scheme(header)
    if not scheme:
        return ANONYMOUS
    if scheme == "basic":
        return _from_basic(credentials, source)
    if scheme == "token":
        if not credentials:                  # docker 1.6 without a token (§4.2)
            return ANONYMOUS
        return _from_token(_verified(credentials))
    raise unauthorized("Unsupported authorization scheme")


def _scheme(header: str | None) -> tuple[str, str]:
    scheme, _, credentials = (header or "").strip().partition(" ")
    return scheme.lower(), credentials.strip()


def _verified(credentials: str) -> tokens.Token:
    token = tokens.verify(config.settings(), credentials)
    if token is None:
        raise unauthorized(INVALID_TOKEN)
    return token


def _from_basic(credentials: str, source: str) -> Principal:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):     # ValueError: non-ASCII (binascii.Error is one)
        raise unauthorized("Malformed Basic credentials")
    username, separator, password = decoded.partition(":")
    if not separator:
        raise unauthorized("Malformed Basic credentials")
    if not username and not password:        # `Basic Og==`: not logged in (§5.2)
        return ANONYMOUS
    return from_password(username, password, source)


def from_password(username: str, password: str, source: str) -> Principal:
    user = accounts.authenticate(config.settings(), username, password, source)
    return Principal(username=user.username, admin=bool(user.admin),
                     generation=int(user.token_generation or 0))


def basic_or_anonymous(request) -> Principal:
    """The v2 token endpoint's caller (v2-pull §2.2): Basic credentials, or none."""
    header = request.headers.get("authorization")
    if _scheme(header)[0] != "basic":
        return ANONYMOUS
    return from_header(header, source_of(request))


def from_bearer(granted: pull_tokens.Grant, repository: str | None = None) -> Principal:
    """The caller a v2 bearer token stands for, checked like a v1 token (its user still
    active, of the same generation): for `repository`, as a read token of it (permissions
    then holds a non-owner to the repository being readable); without one, the subject
    alone (the catalog, a refresh)."""
    principal = _from_token(tokens.Token(granted.user, repository or "", "read",
                                         granted.expires, granted.generation))
    return principal if repository else dataclasses.replace(principal, token=None)


def _from_token(token: tokens.Token) -> Principal:
    """The token's principal if its user is still active and of the token's generation (a
    cached authorizer answer may be up to its TTL old: the expiry is checked again).
    Whether the token's repository is still readable is permissions' question."""
    if token.expires < time.time():
        raise unauthorized(INVALID_TOKEN)
    if not token.user:
        return Principal(token=token)
    user = records.user(token.user)
    if user is None or not user.active or user.token_generation != token.generation:
        raise unauthorized(INVALID_TOKEN)
    return Principal(username=user.username, admin=bool(user.admin), token=token,
                     generation=token.generation)


def authorizer_context(header: str) -> dict:
    """The authorizer's context: a token's verified fields (string values only); for any
    other credential nothing, the handler checks it (it knows the source address, and a
    credential that does not verify is its 401 with the challenge on every route).

    Never raises: an exception in an authorizer drops the connection locally."""
    try:
        scheme, credentials = _scheme(header)
        token = tokens.verify(config.settings(), credentials) if scheme == "token" else None
    except Exception:                        # noqa: BLE001 — leave it to the handler
        log.exception("authorizer failed")
        token = None
    if token is None:
        return {"scheme": "header"}
    return {"token_user": token.user, "token_repository": token.repository,
            "token_access": token.access, "token_expires": str(token.expires),
            "token_generation": str(token.generation)}


def _token_from_context(context: dict) -> tokens.Token:
    return tokens.Token(context["token_user"], context["token_repository"],
                        context["token_access"], int(context["token_expires"]),
                        int(context["token_generation"]))


def login(request) -> Principal:
    """`GET /v1/users/`: only a password logs in (§3.2)."""
    principal = identify(request)
    if principal.username is None or principal.token is not None:
        raise unauthorized("Log in with a user name and password")
    return principal


def account(request, username: str) -> Principal:
    """`PUT /v1/users/<username>/`: the user themself or an admin (§3.3)."""
    principal = login(request)
    if principal.username != username and not principal.admin:
        raise forbidden("Only the user or an admin may change an account")
    return principal


def token_for(request, repository: str) -> Principal:
    """`PUT .../auth` (§3.9): accepts a valid token for this repository, nothing else."""
    principal = identify(request)
    if principal.token is None or principal.token.repository != repository:
        raise forbidden("A token for this repository is required")
    return principal


def issue_token(principal: Principal, repository: str, access: str) -> str:
    """The `X-Docker-Token` value (no `Token ` prefix, spec §4.2), carrying the user's
    current token generation."""
    return tokens.issue(config.settings(), principal.username or "", repository, access,
                        principal.generation)


def source_of(request) -> str:
    return ((request.context or {}).get("identity") or {}).get("sourceIp") or "unknown"
