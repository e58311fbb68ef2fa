"""Who is calling: Basic credentials, signed tokens, or the result of the API Gateway
authorizer; then `authorize(...)` asks permissions what they may do.

Routes that always need credentials run the authorizer first (auth/gateway.py); its result
reaches the handler as `request.context['authorizer']` (string values, as on API Gateway).
Public-capable routes have no authorizer (a TOKEN authorizer never sees a request without
`Authorization`), so the header is read here.
"""
import base64
import binascii
import logging
import time

from .. import config
from ..errors import ApiError, forbidden, unauthorized
from . import accounts, tokens
from .permissions import Principal, check_image, check_repository

ANONYMOUS = Principal()
log = logging.getLogger(__name__)


def authorize(request, action: str, *, repository: str | None = None,
              image_id: str | None = None) -> Principal:
    """The caller if they may `action` the repository or image, else raise ApiError."""
    principal = identify(request)
    if repository is not None:
        check_repository(principal, action, repository)
    if image_id is not None:
        principal = check_image(principal, action, image_id)
    return principal


def identify(request) -> Principal:
    context = (request.context or {}).get("authorizer") or {}
    if "user" in context:
        return _from_context(context)
    source = ((request.context or {}).get("identity") or {}).get("sourceIp")
    return from_header(request.headers.get("authorization"), source)


def from_header(header: str | None, source: str | None) -> Principal:
    scheme, _, credentials = (header or "").strip().partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if not scheme:
        return ANONYMOUS
    if scheme == "basic":
        return _from_basic(credentials, source)
    if scheme == "token":
        if not credentials:                  # docker 1.6 without a token (§4.2)
            return ANONYMOUS
        token = tokens.verify(config.settings(), credentials)
        if token is None:
            raise unauthorized("Invalid or expired token")
        return Principal(username=token.user or None, token=token)
    raise unauthorized("Unsupported authorization scheme")


def _from_basic(credentials: str, source: str | None) -> Principal:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthorized("Malformed Basic credentials")
    username, separator, password = decoded.partition(":")
    if not separator:
        raise unauthorized("Malformed Basic credentials")
    if not username and not password:        # `Basic Og==`: not logged in (§5.2)
        return ANONYMOUS
    user = accounts.authenticate(config.settings(), username, password, source)
    return Principal(username=user.username, admin=bool(user.admin))


def authorizer_context(header: str) -> dict | None:
    """The authorizer's context for a credential (string values only), None to deny (403).

    Never raises: an exception in an authorizer drops the connection locally."""
    try:
        principal = from_header(header, None)
    except ApiError as error:
        log.info("authorizer denied: %s", error.message)
        return None
    except Exception:                        # noqa: BLE001 — deny rather than crash
        log.exception("authorizer failed")
        return None
    token = principal.token
    return {"user": principal.username or "", "admin": "true" if principal.admin else "false",
            "token_user": token.user if token else "",
            "token_repository": token.repository if token else "",
            "token_access": token.access if token else "",
            "token_expires": str(token.expires) if token else ""}


def _from_context(context: dict) -> Principal:
    username = context["user"] or None
    if not context.get("token_repository"):
        return Principal(username=username, admin=context.get("admin") == "true")
    token = tokens.Token(context["token_user"], context["token_repository"],
                         context["token_access"], int(context["token_expires"]))
    if token.expires < time.time():          # the gateway may cache the authorizer's answer
        raise unauthorized("Invalid or expired token")
    return Principal(username=username, token=token)


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
    """The `X-Docker-Token` value (no `Token ` prefix, spec §4.2)."""
    return tokens.issue(config.settings(), principal.username or "", repository, access)
