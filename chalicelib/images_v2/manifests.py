"""Manifest bytes and media types (spec v2-pull §3.1, §3.2, §6.2, §6.6): Docker schema 2
and OCI over the same config bytes, written once with docker's own layout (3-space indent,
keys in its struct order), so a tag and its digest always give the same bytes."""
import hashlib
import json

SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json"
OCI = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPES = {SCHEMA2: "application/vnd.docker.container.image.v1+json",
                OCI: "application/vnd.oci.image.config.v1+json"}
# compression (store/digests.py) -> layer media type per manifest type
LAYER_TYPES = {
    "gzip": {SCHEMA2: "application/vnd.docker.image.rootfs.diff.tar.gzip",
             OCI: "application/vnd.oci.image.layer.v1.tar+gzip"},
    "none": {SCHEMA2: "application/vnd.docker.image.rootfs.diff.tar",
             OCI: "application/vnd.oci.image.layer.v1.tar"},
    "zstd": {SCHEMA2: "application/vnd.docker.image.rootfs.diff.tar.zstd",
             OCI: "application/vnd.oci.image.layer.v1.tar+zstd"},
}


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _descriptor(media_type: str, data_size: int, data_digest: str) -> dict:
    return {"mediaType": media_type, "size": data_size, "digest": data_digest}


def manifest(media_type: str, config: bytes, layers) -> bytes:
    """`layers`: build.Layer, base first."""
    return json.dumps({
        "schemaVersion": 2, "mediaType": media_type,
        "config": _descriptor(CONFIG_TYPES[media_type], len(config), digest(config)),
        "layers": [_descriptor(LAYER_TYPES[layer.compression][media_type], layer.size,
                               layer.digest) for layer in layers],
    }, indent=3).encode()
