"""The image config of a v1 chain (spec v2-pull §4.7, §6.5): the exact bytes a v1reg push
carried in its top v1 JSON when they prove to be this chain's, otherwise one synthesized
from the v1 JSONs, the same bytes every time."""
import base64
import binascii
import hashlib
import json

from . import gojson

CARRY_KEY = "v1registry.v2.config"      # standard base64 of the config's exact bytes
# v1 keys an image config does not have (docker's MakeConfigFromV1Config), and ours.
V1_ONLY_KEYS = ("id", "parent", "Size", "parent_id", "layer_id", "throwaway", CARRY_KEY)
REQUIRED = {"architecture": "amd64", "os": "linux"}     # OCI requires them


def throwaway(v1: dict) -> bool:
    """A history row that added no layer (schema1's `throwaway`, §6.4)."""
    return v1.get("throwaway") is True


def carried(top_id: str, top: dict, diff_ids: list[str]) -> bytes | None:
    """The carried config if it passes §4.7(3): (a) its digest is the top image's id,
    (b) its rootfs is layers, (c) their diff_ids are the chain's layers' in order and
    (d) its history has one non-empty row per layer; else None."""
    try:
        data = base64.b64decode(top.get(CARRY_KEY) or "", validate=True)
        config = json.loads(data)
    except (binascii.Error, ValueError, TypeError):
        return None
    if not data or hashlib.sha256(data).hexdigest() != top_id or not isinstance(config, dict):
        return None
    rootfs, history = config.get("rootfs"), config.get("history")
    if not isinstance(rootfs, dict) or rootfs.get("type") != "layers":
        return None
    if (rootfs.get("diff_ids") or []) != diff_ids or not isinstance(history, list):
        return None
    layer_rows = [row for row in history
                  if not (isinstance(row, dict) and row.get("empty_layer") is True)]
    return data if len(layer_rows) == len(diff_ids) else None


def synthesized(v1_jsons: list[str], diff_ids: list[str]) -> bytes:
    """The config docker's pull_v1 would build (§4.1, §6.5), base first `v1_jsons`: the top
    JSON's members but the v1 ones, in Go's encoding; `rootfs` with `diff_ids`; one
    `history` row per v1 image, a throwaway one marked `empty_layer`."""
    members = {key: value for key, value in gojson.raw_members(v1_jsons[-1]).items()
               if key not in V1_ONLY_KEYS}
    top = json.loads(v1_jsons[-1])
    for key, default in REQUIRED.items():
        if not (isinstance(top.get(key), str) and top[key]):
            members[key] = gojson.string(default)
    rootfs = '{"type":"layers"' + (
        ',"diff_ids":[' + ",".join(map(gojson.string, diff_ids)) + "]" if diff_ids else "") + "}"
    members["rootfs"] = rootfs
    members["history"] = "[" + ",".join(_history_row(json.loads(text)) for text in v1_jsons) + "]"
    return gojson.map_object(members).encode()


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _history_row(v1: dict) -> str:
    """docker's HistoryFromConfig, written in the key order of its History struct."""
    container_config = v1.get("container_config")
    command = container_config.get("Cmd") if isinstance(container_config, dict) else None
    created_by = " ".join(command) if isinstance(command, list) and all(
        isinstance(part, str) for part in command) else ""
    row = ['"created":' + gojson.string(gojson.time(v1.get("created")))]
    for key, value in (("author", _text(v1.get("author"))), ("created_by", created_by),
                       ("comment", _text(v1.get("comment")))):
        if value:
            row.append(f'"{key}":' + gojson.string(value))
    if throwaway(v1):
        row.append('"empty_layer":true')
    return "{" + ",".join(row) + "}"
