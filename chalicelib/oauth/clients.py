"""Registered applications (spec oauth-accounts-api §1.4; §6 "Redirect URIs"): registration
(`make oauth-client`, or an admin's `POST /api/v1.1/o/clients/`), lookup, and the client
authentication of the token endpoint.

Redirect URIs are complete https URIs, or http on a loopback address (127.0.0.1, [::1]) for
local development, without fragment or user info; requests must name one of them exactly."""
import time
from urllib.parse import urlsplit

from pynamodb.exceptions import PutError

from ..errors import bad_request
from ..store.dynamo import condition_failed, get_or_none
from ..store.oauth_models import OAuthClient
from . import credentials

MAX_NAME = 100
MAX_REDIRECT_URIS = 10
MAX_URI = 2000
MAX_CLIENT_ID = 64
LOOPBACK = {"127.0.0.1", "::1"}


def redirect_uri_problem(uri) -> str | None:
    """Why `uri` cannot be registered as a redirect URI, or None."""
    if not isinstance(uri, str) or not 0 < len(uri) <= MAX_URI:
        return "must be a string of 1 to 2000 characters"
    if not all("!" <= char <= "~" for char in uri):
        return "must be printable ASCII without spaces (percent-encode the rest)"
    try:
        parts = urlsplit(uri)
        parts.port
    except ValueError:
        return "is not a URI"
    if parts.fragment or "#" in uri:
        return "must not have a fragment"
    if parts.username is not None or parts.password is not None:
        return "must not have user info"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return None
    return "must be https (or http on 127.0.0.1 or [::1])"


def register(name, redirect_uris, public=False) -> tuple[OAuthClient, str | None]:
    """A new client and its secret (None for a public client): the secret is shown once,
    only its hash is kept."""
    if not isinstance(name, str) or not 0 < len(name.strip()) <= MAX_NAME:
        raise bad_request(f"name must be 1 to {MAX_NAME} characters")
    if (not isinstance(redirect_uris, list)
            or not 0 < len(redirect_uris) <= MAX_REDIRECT_URIS):
        raise bad_request(f"redirect_uris must list 1 to {MAX_REDIRECT_URIS} URIs")
    for uri in redirect_uris:
        problem = redirect_uri_problem(uri)
        if problem:
            raise bad_request(f"redirect URI {uri!r} {problem}")
    if not isinstance(public, bool):
        raise bad_request("public must be true or false")
    secret = None if public else credentials.new_secret()
    client = OAuthClient(credentials.new_id(), name=name.strip(),
                         secret_hash=credentials.digest(secret) if secret else None,
                         redirect_uris=list(dict.fromkeys(redirect_uris)),
                         created_at=int(time.time()))
    try:
        client.save(condition=OAuthClient.client_id.does_not_exist())
    except PutError as error:
        if condition_failed(error):      # 128 random bits collided: never in practice
            raise RuntimeError("client id collision") from error
        raise
    return client, secret


def find(client_id) -> OAuthClient | None:
    """The client, None for an id that is not one (no read for an id that cannot be)."""
    if not isinstance(client_id, str) or not 0 < len(client_id) <= MAX_CLIENT_ID:
        return None
    return get_or_none(OAuthClient, client_id)


def authenticate(client_id: str, secret: str | None) -> OAuthClient | None:
    """The client if `secret` is its secret; a public client sends none (RFC 6749 §2.1)."""
    client = find(client_id)
    if client is None:
        return None
    if client.public:
        return client if secret is None else None
    matches = secret is not None and credentials.matches(secret, client.secret_hash)
    return client if matches else None
