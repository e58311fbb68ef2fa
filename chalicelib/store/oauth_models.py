"""Tables of the OAuth API (chalicelib/oauth). Secrets are never stored: client secrets,
authorization codes and refresh tokens only as SHA-256 hashes, access tokens not at all
(they are signed, chalicelib/auth/bearer.py).

A user's consent to a client is a Grant; each code redeemed under it starts a TokenFamily
(the access and refresh tokens issued from that code and their rotations). Revoking a family
deletes its item: the family's access tokens fail their next check and its refresh tokens
their next rotation. Revoking the application deletes the Grant and all its families."""
from pynamodb.attributes import (BooleanAttribute, ListAttribute, NumberAttribute,
                                 UnicodeAttribute, UnicodeSetAttribute)

from .models import _Base


class OAuthClient(_Base):
    """A registered application (spec oauth-accounts-api §1.4)."""
    class Meta(_Base.Meta):
        table_suffix = "oauth-clients"
    client_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    secret_hash = UnicodeAttribute(null=True)           # None: a public client (PKCE required)
    redirect_uris = ListAttribute(of=UnicodeAttribute)  # exact strings, in registration order
    created_at = NumberAttribute()

    @property
    def public(self) -> bool:
        return self.secret_hash is None


class AuthorizationCode(_Base):
    """A code issued on consent: valid until `expires_at`, once. Kept until `purge_at` so a
    replay is recognised and the family it started (`family_id`) revoked."""
    class Meta(_Base.Meta):
        table_suffix = "oauth-codes"
    code_hash = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute()
    username = UnicodeAttribute()
    scope = UnicodeAttribute()
    redirect_uri = UnicodeAttribute()                   # the one the browser was sent to
    redirect_uri_sent = BooleanAttribute()              # named in the authorize request
    code_challenge = UnicodeAttribute(null=True)        # PKCE S256
    issued_at_ms = NumberAttribute()
    expires_at = NumberAttribute()
    purge_at = NumberAttribute()                        # DynamoDB TTL attribute
    family_id = UnicodeAttribute(null=True)             # set when redeemed


class Grant(_Base):
    """A user's consent to an application: what the applications page lists and revokes."""
    class Meta(_Base.Meta):
        table_suffix = "oauth-grants"
    username = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(range_key=True)
    scopes = UnicodeSetAttribute()                      # every scope consented to
    since_ms = NumberAttribute()                        # first consent since the last revocation
    authorized_at = NumberAttribute()                   # last consent


class TokenFamily(_Base):
    """The tokens issued from one code: one GetItem tells whether they are still valid."""
    class Meta(_Base.Meta):
        table_suffix = "oauth-token-families"
    username = UnicodeAttribute(hash_key=True)
    family_id = UnicodeAttribute(range_key=True)
    client_id = UnicodeAttribute()
    scope = UnicodeAttribute()                          # granted; a refresh may narrow it
    created_at = NumberAttribute()
    expires_at = NumberAttribute()                      # no refresh past it; DynamoDB TTL attribute


class RefreshToken(_Base):
    """A refresh token of a family; `used_at` once rotated (its replay revokes the family)."""
    class Meta(_Base.Meta):
        table_suffix = "oauth-refresh-tokens"
    token_hash = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    family_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    scope = UnicodeAttribute()                          # the family's
    expires_at = NumberAttribute()                      # idle expiry; DynamoDB TTL attribute
    used_at = NumberAttribute(null=True)


OAUTH_MODELS = (OAuthClient, AuthorizationCode, Grant, TokenFamily, RefreshToken)
