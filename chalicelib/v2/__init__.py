"""The read-only Registry v2 / OCI Distribution API (spec v2-pull): pulls and content
discovery over the images pushed through v1, with Docker's token authentication.

- `routes`: the blueprint (every /v2 path it serves, every method: writes are 405).
- `gate`: who sees v2 at all (not the docker engines that still push v1, §5.3).
- `errors`: the distribution error body; `references`: names, tags and digests.
- `access`: the Bearer challenge and what a request's token lets it read.
- `token`: `GET`/`POST /v2/token` (tokens, docker login, refresh tokens).
- `manifests`, `blobs`, `listing`: the reads (tags/list and _catalog for listing).

Imports `images_v2`, `auth`, `store` and the shared modules; never another API package.
"""
