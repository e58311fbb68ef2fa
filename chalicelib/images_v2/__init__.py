"""Registry v2 content made from v1 images (spec v2-pull §3, §4, §6): an image config (the
one a v1reg push carried, or one synthesized from the v1 JSONs) and its Docker schema 2 and
OCI manifests, built when a tag is set, stored content-addressed, and served by `v2`.

- `gojson`: JSON written as Go's encoding/json writes it (docker's own configs).
- `configs`: the carried config and its acceptance rule (§4.7), the synthesized one (§6.5).
- `manifests`: manifest bytes and media types (§3.1, §3.2, §6.2).
- `build`: a tagged image's config, layers and manifests, from its v1 records.
- `publish`: storing them (S3 for the config, `Content` rows, the tag's manifests).
- `backfill`: `python -m chalicelib.images_v2.backfill`, for tags set before this existed and
  for layers whose v2 form needs their bytes read (not a route).

Imports `store`, `config` and the shared modules; `registry` (tags) and `v2` import it. Never
reads a layer's bytes but in `backfill`.
"""
