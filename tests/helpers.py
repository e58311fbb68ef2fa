"""Building blocks for tests: image ids, image JSON and payload checksums (spec §4.13.1)."""
import hashlib
import json
import os


def new_id() -> str:
    return os.urandom(32).hex()


def image_json(image_id: str, parent: str | None = None) -> bytes:
    data = {"id": image_id, "created": "2015-05-01T10:00:00.123456Z", "Size": 0}
    if parent:
        data["parent"] = parent
    # Key order and spacing a re-serialising server would change.
    return json.dumps(data, indent=1).encode()


def payload_checksum(json_bytes: bytes, layer: bytes) -> str:
    return "sha256:" + hashlib.sha256(json_bytes + b"\n" + layer).hexdigest()
