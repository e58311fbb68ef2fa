"""An authorization request (spec oauth-accounts-api §2.1, §5.1, §6, §7.5, §7.6), checked the
same way when the browser GETs the page and when it POSTs one of its forms back.

client_id first, then redirect_uri: either one wrong is an error page, never a redirect (no
open redirector). Every later error goes back to the redirect URI with `error`, an
`error_description` and the untouched `state`."""
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from ..auth import scopes
from ..store.oauth_models import OAuthClient
from . import clients

PARAMS = ("client_id", "response_type", "redirect_uri", "scope", "state", "code_challenge",
          "code_challenge_method")
S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")     # BASE64URL(SHA256(verifier)), RFC 7636 §4.2


class PageError(Exception):
    """Shown to the user on an error page (400): the request cannot be answered by redirect."""


class RedirectError(Exception):
    """Answered by sending the browser to `location` (the client's redirect URI, with error)."""

    def __init__(self, location: str):
        super().__init__(location)
        self.location = location


@dataclass(frozen=True)
class AuthorizationRequest:
    client: OAuthClient
    redirect_uri: str
    redirect_uri_sent: bool
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    params: dict            # the request's own parameters, which the forms carry back

    @property
    def redirect_host(self) -> str:
        return urlsplit(self.redirect_uri).netloc

    def answer(self, **fields) -> str:
        """The redirect URI with `fields` and the state added to its query (RFC 6749 §4.1.2)."""
        return with_query(self.redirect_uri, {**fields, "state": self.state})


def with_query(uri: str, fields: dict) -> str:
    query = urlencode({k: v for k, v in fields.items() if v is not None}, quote_via=quote)
    return f"{uri}{'&' if '?' in uri else '?'}{query}"


def parse(values: dict[str, list[str]]) -> AuthorizationRequest:
    """`values`: every parameter name → its values, from the query string or a form."""
    repeated = [name for name in PARAMS if len(values.get(name) or []) > 1]
    single = {name: (values.get(name) or [None])[0] or None for name in PARAMS}
    if "client_id" in repeated:
        raise PageError("The request names more than one application (client_id).")
    client = clients.find(single["client_id"])
    if client is None:
        raise PageError("The request names no application this site knows (client_id).")
    if "redirect_uri" in repeated:
        raise PageError("The request names more than one redirect_uri.")
    redirect_uri = single["redirect_uri"]
    if redirect_uri is None:
        if len(client.redirect_uris) != 1:
            raise PageError("The request must name its redirect_uri: the application has "
                            "registered several.")
        redirect_uri = client.redirect_uris[0]
    elif redirect_uri not in client.redirect_uris:
        raise PageError("The redirect_uri is not one the application registered.")
    state = None if "state" in repeated else single["state"]

    def fail(error: str, description: str):
        raise RedirectError(with_query(redirect_uri, {
            "error": error, "error_description": description, "state": state}))

    if repeated:
        fail("invalid_request", f"Repeated parameter: {', '.join(repeated)}")
    if single["response_type"] is None:
        fail("invalid_request", "response_type is required")
    if single["response_type"] != "code":
        fail("unsupported_response_type", "Only response_type=code is supported")
    try:
        requested = scopes.parse(single["scope"])
    except scopes.UnknownScope as unknown:
        fail("invalid_scope", f"Unknown scope: {unknown}")
    challenge, method = single["code_challenge"], single["code_challenge_method"]
    if method is not None and method != "S256":
        fail("invalid_request", "Only code_challenge_method=S256 is supported")
    if challenge is not None and method is None:
        fail("invalid_request", "code_challenge_method=S256 is required (plain is refused)")
    if method is not None and (challenge is None or not S256_CHALLENGE.fullmatch(challenge)):
        fail("invalid_request", "code_challenge must be 43 base64url characters")
    if client.public and challenge is None:
        fail("invalid_request", "This application must use PKCE (code_challenge, S256)")
    return AuthorizationRequest(
        client=client, redirect_uri=redirect_uri,
        redirect_uri_sent=single["redirect_uri"] is not None,
        scopes=requested, state=state, code_challenge=challenge,
        params={name: value for name, value in single.items() if value is not None})
