"""The Registry v1 API (spec §2): image JSON, layers, checksums, ancestry, tags, the
repository JSON of §2.18, `_ping`.

- `routes`: the blueprint (parse, authorize through `chalicelib.routing`, call a service,
  shape the response).
- `uploads`: the upload state machine of an image (PUT json, layer, checksum).
- `images`: reads of complete images (JSON, layer URL, ancestry).
- `tags`, `metadata`: tags, and the metadata JSON derived from the pushing client.

Imports `auth`, `store` and the shared modules; never another API package.
"""
