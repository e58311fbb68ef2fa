"""The Index (Hub) v1 API (spec §3): accounts, repositories and their image lists, push
start and finish with tokens and endpoints, search.

- `routes`: the blueprint.
- `users`: register and update accounts (logging in is `auth.accounts`).
- `repositories`: repository records, properties, delete.
- `image_lists`: `PUT /v1/repositories/<name>/` (push start), `PUT`/`GET .../images`.
- `search`: `GET /v1/search`.
- `admin`: `python -m chalicelib.index.admin USER`, the first admin (not a route).

Imports `auth`, `store` and the shared modules; never another API package.
"""
