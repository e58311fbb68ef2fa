"""The Accounts API of docker.io (spec oauth-accounts-api §4, §5.3, §7.8, §7.13–§7.17): a
user's profile and e-mail addresses, for the user's password or an OAuth access token with
the endpoint's scope (who may: `auth.owners`).

- `routes`: the blueprint.
- `profiles`: the user object and its partial update.
- `emails`: the account's addresses (their uniqueness is `store.email_addresses`').

Imports `auth`, `store` and the shared modules; never another API package.
"""
