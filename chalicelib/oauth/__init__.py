"""The OAuth 2.0 API of docker.io (spec oauth-accounts-api §1–§3, §5, §6): the authorization
code grant with PKCE, refresh token rotation, revocation, client registration.

- `routes`: the blueprint.
- `consent`: the authorize page (sign-in, consent, the answer to the client);
  `applications`: the applications a user authorized, and revoking one (page and JSON);
  `web`, `sessions`, `pages`: what those pages share: the signed session cookie, CSRF
  tokens, sign-in, the HTML.
- `authorization`: an authorization request checked; `codes`: authorization codes;
  `grants`: consents, token families, refresh rotation, revocation;
  `token_endpoint`: `POST /o/token/`; `clients`: registered applications;
  `credentials`: random secrets and their hashes.
- `register`: `python -m chalicelib.oauth.register` (`make oauth-client`; not a route).

Access tokens are `auth.bearer`'s (the Accounts API checks them there). Imports `auth`,
`store` and the shared modules; never another API package.
"""
