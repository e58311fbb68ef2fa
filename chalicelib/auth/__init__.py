"""Who is calling and what they may do.

- `callers`: the caller of a request (Basic, token, the authorizer's context) → Principal;
  `authorize(...)` asks `permissions`.
- `permissions`: what a Principal may read, write or delete (namespaces, private
  repositories, images through the repositories that hold them, spec §4.22).
- `accounts`: a Basic credential checked against the account (bcrypt, throttling).
- `tokens`, `passwords`, `throttle`: signed tokens, bcrypt, failed-login counting.
- `gateway`: the API Gateway authorizer of the routes that always need credentials.
- For the OAuth and Accounts APIs: `owners` (who may use an Accounts endpoint: the account's
  password, or a Bearer token with the endpoint's scope), `bearer` (access tokens), `scopes`,
  `signed` (values signed with the token keys for one purpose: cookies, tokens, CSRF).
- For the Registry v2 API: `pull_tokens` (bearer and refresh tokens, spec v2-pull §2).

Imports `store` (data), `config` and the shared modules; never an API package.
"""
