"""Read a `docker save` tarball into the v1 image chain to push (spec §0.3, §4.14;
v2-pull §4.7).

Layouts: docker 1.10–24 (`manifest.json`, `<id>/json`, `<id>/layer.tar`, `<config>.json`),
docker 25+ OCI (`index.json`, `blobs/sha256/...`, and the same `manifest.json`), and the
pre-1.10 layout (`repositories`, `<id>/json`, `<id>/layer.tar`) whose v1 JSON is pushed as is.
"""
import base64
import gzip
import hashlib
import json
import os
import shutil
import sys
import tarfile
from dataclasses import dataclass

from .errors import CliError
from .reference import Reference

CHUNK = 1024 * 1024
# Keys of the image config that v1 JSON does not have (docker's MakeV1ConfigFromConfig).
CONFIG_ONLY_KEYS = ("rootfs", "history", "os.version", "os.features", "parent")
CARRY_KEY = "v1registry.v2.config"      # the config's exact bytes, base64 (v2-pull §4.7)
# The gzip of an empty tar (1024 zero bytes) docker's schema1 builder gives throwaway rows:
# sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4.
EMPTY_TAR_GZIP = bytes([31, 139, 8, 0, 0, 9, 110, 136, 0, 255, 98, 24, 5, 163, 96, 20, 140, 88,
                        0, 8, 0, 0, 255, 255, 46, 175, 181, 239, 0, 4, 0, 0])


@dataclass(frozen=True)
class Member:
    """A file inside the archive, read by offset so threads need no shared tarfile."""
    path: str
    offset: int
    size: int

    def chunks(self):
        with open(self.path, "rb") as archive:
            archive.seek(self.offset)
            left = self.size
            while left:
                chunk = archive.read(min(CHUNK, left))
                if not chunk:
                    raise CliError(f"{self.path}: archive is truncated")
                left -= len(chunk)
                yield chunk


@dataclass(frozen=True)
class InMemory:
    """Layer bytes v1reg makes itself (the empty tar of a history row without a layer)."""
    data: bytes

    def chunks(self):
        yield self.data


@dataclass(frozen=True)
class V1Image:
    id: str
    json: bytes               # the exact bytes PUT and hashed (§4.13.1)
    layer: Member | InMemory  # the layer tar (uncompressed, or gzip already)


def spool(source: str, directory: str) -> str:
    """A seekable, uncompressed copy of stdin (`-`) or of a gzip'd archive; else the path."""
    stream = sys.stdin.buffer if source == "-" else open(source, "rb")
    with stream:
        head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
        if source != "-" and head != b"\x1f\x8b":
            return source
        copy = os.path.join(directory, "archive.tar")
        reader = gzip.GzipFile(fileobj=stream) if head == b"\x1f\x8b" else stream
        with open(copy, "wb") as out:
            shutil.copyfileobj(reader, out, CHUNK)
    return copy


def read(path: str, ref: Reference) -> list[V1Image]:
    """The v1 chain of the archive's image for `ref`, base first."""
    try:
        with tarfile.open(path, "r:") as tar:
            members = {m.name.removeprefix("./"): Member(path, m.offset_data, m.size)
                       for m in tar.getmembers() if m.isfile()}
    except (tarfile.TarError, OSError) as error:
        raise CliError(f"{path}: not a docker save archive ({error})")
    if "manifest.json" in members:
        return _from_manifest(members, ref)
    if "repositories" in members:
        return _from_repositories(members, ref)
    raise CliError(f"{path}: not a docker save archive (no manifest.json or repositories)")


def _member(members: dict, name: str) -> Member:
    if name not in members:
        raise CliError(f"archive has no {name}")
    return members[name]


def _bytes(members: dict, name: str) -> bytes:
    return b"".join(_member(members, name).chunks())


def _choose(candidates: list, tags_of, ref: Reference):
    wanted = f"{ref.name.split('/')[-1]}:{ref.tag or 'latest'}"
    matching = [c for c in candidates if any(t.endswith("/" + wanted) or t == wanted
                                             for t in tags_of(c))]
    if len(candidates) == 1 or len(matching) == 1:
        return candidates[0] if len(candidates) == 1 else matching[0]
    raise CliError(f"archive holds {len(candidates)} images; none or several are tagged {wanted}")


def _from_manifest(members: dict, ref: Reference) -> list[V1Image]:
    manifest = _choose(json.loads(_bytes(members, "manifest.json")),
                       lambda entry: entry.get("RepoTags") or [], ref)
    config_bytes = _bytes(members, manifest["Config"])
    config = json.loads(config_bytes)
    layers = [_member(members, name) for name in manifest["Layers"]]
    diff_ids = config.get("rootfs", {}).get("diff_ids", [])
    if not layers or len(diff_ids) != len(layers):
        raise CliError(f"image config lists {len(diff_ids)} layers, manifest {len(layers)}")
    return history_chain(config_bytes, diff_ids, layers)


def history_chain(config_bytes: bytes, diff_ids: list[str], layers: list) -> list[V1Image]:
    """v1 images as a schema1 push writes them (v2-pull §4.4, §4.7), base first: one per
    history row, each lower one with the row's `created`, `author`, `comment` and
    `container_config.Cmd` (`[created_by]`); a row that added no layer is `throwaway` with
    the empty tar as its layer. The top image's id is the config digest and its JSON the
    config without `rootfs`/`history`, carrying the config's exact bytes (CARRY_KEY), which
    the registry serves over v2 when they prove to be this chain's: `docker pull` and
    `v1reg pull` then give the original image ID and history. A config whose history does
    not match its layers gets one plain row per layer."""
    config = json.loads(config_bytes)
    rows = config.get("history")
    if not (isinstance(rows, list) and all(isinstance(row, dict) for row in rows)
            and len([row for row in rows if not _empty(row)]) == len(layers)):
        rows = [{} for _ in layers]
    remaining = iter(zip(diff_ids, layers))
    images, parent = [], None
    for number, row in enumerate(rows, start=1):
        diff_id, layer = (None, InMemory(EMPTY_TAR_GZIP)) if _empty(row) else next(remaining)
        if number == len(rows):
            v1 = {k: v for k, v in config.items() if k not in CONFIG_ONLY_KEYS}
            v1["id"] = hashlib.sha256(config_bytes).hexdigest()
            v1[CARRY_KEY] = base64.b64encode(config_bytes).decode()
        else:
            v1 = _history_json(row)
            v1["id"] = hashlib.sha256(json.dumps([parent, diff_id, row], sort_keys=True)
                                      .encode()).hexdigest()
        if parent:
            v1["parent"] = parent
        if _empty(row):
            v1["throwaway"] = True
        text = json.dumps(v1, sort_keys=True, separators=(",", ":"))
        images.append(V1Image(v1["id"], text.encode(), layer))
        parent = v1["id"]
    return images


def _empty(row: dict) -> bool:
    return row.get("empty_layer") is True


def _history_json(row: dict) -> dict:
    """A lower v1 image's JSON from its history row, as docker's schema1 builder writes it."""
    v1 = {key: row[key] for key in ("created", "author", "comment")
          if isinstance(row.get(key), str) and row[key]}
    if isinstance(row.get("created_by"), str) and row["created_by"]:
        v1["container_config"] = {"Cmd": [row["created_by"]]}
    return v1


def _from_repositories(members: dict, ref: Reference) -> list[V1Image]:
    repositories = json.loads(_bytes(members, "repositories"))
    tags = [(f"{repo}:{tag}", image_id) for repo, by_tag in repositories.items()
            for tag, image_id in by_tag.items()]
    _, image_id = _choose(tags, lambda pair: [pair[0]], ref)
    chain = []
    while image_id:
        text = _bytes(members, f"{image_id}/json")
        chain.append(V1Image(image_id, text, _member(members, f"{image_id}/layer.tar")))
        image_id = json.loads(text).get("parent")
    return chain[::-1]
