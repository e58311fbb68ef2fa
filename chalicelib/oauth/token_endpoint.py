"""`POST /api/v1.1/o/token/` (spec oauth-accounts-api §2.2, §2.3, §5.2; §6 "Token endpoint";
§7.1–7.4): the authorization_code and refresh_token grants, form-encoded, the client
authenticated by HTTP Basic or by client_id/client_secret fields, never both. Every answer
carries Cache-Control: no-store; errors are RFC 6749 §5.2 bodies."""
import base64
import binascii
import json
from urllib.parse import parse_qsl, unquote_plus

from chalice import Response

from ..auth import bearer, scopes
from ..config import Settings
from ..errors import ApiError
from ..store.dynamo import get_or_none
from ..store.models import User
from ..store.oauth_models import OAuthClient
from ..store.user_ids import user_id
from . import clients, codes, grants

FORM = "application/x-www-form-urlencoded"
HEADERS = {"Content-Type": "application/json;charset=UTF-8", "Cache-Control": "no-store",
           "Pragma": "no-cache"}
MAX_FIELDS = 20


class TokenError(ApiError):
    """An RFC 6749 §5.2 error: `{"error": code, "error_description": ...}`."""

    def __init__(self, error: str, description: str, status: int = 400,
                 headers: dict | None = None):
        super().__init__(status, description, headers)
        self.error = error

    def response(self) -> Response:
        return Response(body=json.dumps({"error": self.error, "error_description": self.message}),
                        status_code=self.status, headers={**HEADERS, **self.headers})


def invalid_client(description: str) -> TokenError:
    return TokenError("invalid_client", description, 401,
                      {"WWW-Authenticate": 'Basic realm="oauth"'})


def answer(settings: Settings, request) -> Response:
    fields = _form(request)
    client = _client(request, fields)
    grant_type = fields.get("grant_type")
    try:
        if grant_type == "authorization_code":
            issued, user = _code_grant(settings, client, fields)
        elif grant_type == "refresh_token":
            issued, user = _refresh_grant(settings, client, fields)
        elif grant_type is None:
            raise TokenError("invalid_request", "grant_type is required")
        else:
            raise TokenError("unsupported_grant_type",
                             "grant_type must be authorization_code or refresh_token")
    except grants.InvalidGrant as invalid:
        raise TokenError("invalid_grant", str(invalid))
    except grants.ScopeWidened as widened:
        raise TokenError("invalid_scope", f"Not in the original grant: {widened}")
    body = {"access_token": bearer.issue(settings, issued.username, issued.family_id,
                                         issued.client_id, issued.scopes),
            "token_type": "Bearer", "expires_in": settings.oauth_access_token_seconds,
            "refresh_token": issued.refresh_token, "scope": scopes.text(issued.scopes),
            "username": issued.username, "user_id": user_id(user)}
    return Response(body=json.dumps(body), status_code=200, headers=HEADERS)


def _form(request) -> dict[str, str]:
    """The body's fields; one value each (RFC 6749 §3.2), an empty one as if absent (§3.1)."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != FORM:
        raise TokenError("invalid_request", f"Send the parameters as {FORM}")
    try:
        pairs = parse_qsl((request.raw_body or b"").decode("utf-8"), keep_blank_values=True,
                          max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise TokenError("invalid_request", "Malformed form body")
    names = [name for name, _ in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise TokenError("invalid_request", f"Repeated parameter: {', '.join(repeated)}")
    return {name: value for name, value in pairs if value}


def _client(request, fields: dict) -> OAuthClient:
    """The authenticated client (RFC 6749 §2.3): Basic, or the body's fields, not both."""
    header = (request.headers.get("authorization") or "").strip()
    client_id, secret = fields.get("client_id"), fields.get("client_secret")
    if header:
        if secret is not None:
            raise TokenError("invalid_request", "Authenticate the client one way: HTTP Basic "
                                                "or client_secret, not both")
        basic_id, secret = _basic(header)
        if client_id is not None and client_id != basic_id:
            raise TokenError("invalid_request", "client_id is not the Basic credentials' one")
        client_id = basic_id
    elif client_id is None:
        raise invalid_client("Client authentication is required")
    client = clients.authenticate(client_id, secret or None)
    if client is None:
        raise invalid_client("Unknown client, or wrong client credentials")
    return client


def _basic(header: str) -> tuple[str, str]:
    """client_id and secret of a Basic header, each form-encoded (RFC 6749 §2.3.1)."""
    scheme, _, credentials = header.partition(" ")
    try:
        if scheme.lower() != "basic":
            raise ValueError
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid_client("Client authentication must be HTTP Basic")
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise invalid_client("Malformed Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


def _required(fields: dict, name: str) -> str:
    if name not in fields:
        raise TokenError("invalid_request", f"{name} is required")
    return fields[name]


def _active(username: str) -> User:
    user = get_or_none(User, username, consistent_read=True)
    if user is None or not user.active:
        raise grants.InvalidGrant("The account is not active")
    return user


def _code_grant(settings: Settings, client: OAuthClient, fields: dict
                ) -> tuple[grants.Issued, User]:
    item = codes.presented(client, _required(fields, "code"), fields.get("redirect_uri"),
                           fields.get("code_verifier"))
    user = _active(item.username)
    return codes.redeem(settings, item), user


def _refresh_grant(settings: Settings, client: OAuthClient, fields: dict
                   ) -> tuple[grants.Issued, User]:
    try:
        requested = scopes.parse(fields["scope"]) if "scope" in fields else None
    except scopes.UnknownScope as unknown:
        raise TokenError("invalid_scope", f"Unknown scope: {unknown}")
    item = grants.refresh_token(client, _required(fields, "refresh_token"))
    user = _active(item.username)
    return grants.rotate(settings, item, requested), user
