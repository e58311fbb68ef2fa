"""Read a `docker save` tarball into the v1 image chain to push (spec §0.3, §4.14).

Layouts: docker 1.10–24 (`manifest.json`, `<id>/json`, `<id>/layer.tar`, `<config>.json`),
docker 25+ OCI (`index.json`, `blobs/sha256/...`, and the same `manifest.json`), and the
pre-1.10 layout (`repositories`, `<id>/json`, `<id>/layer.tar`) whose v1 JSON is pushed as is.
"""
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
class V1Image:
    id: str
    json: bytes        # the exact bytes PUT and hashed (§4.13.1)
    layer: Member      # the layer tar (uncompressed, or gzip already)


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
    return synthesise(config_bytes, diff_ids, layers)


def synthesise(config_bytes: bytes, diff_ids: list[str], layers: list[Member]) -> list[V1Image]:
    """v1 images as docker 1.10+ pushed them (§0.3, §4.14): each lower layer gets its chain
    ID and minimal JSON; the top image gets the config digest and a JSON made from the
    config with `id`/`parent` added (keys sorted, compact: what Go's encoder writes)."""
    images, parent, chain_id = [], None, None
    for diff_id, layer in zip(diff_ids[:-1], layers[:-1]):
        chain_id = diff_id if chain_id is None else _digest(f"{chain_id} {diff_id}".encode())
        v1_id = chain_id.split(":", 1)[1]
        text = f'{{"id":"{v1_id}","parent":"{parent}"}}' if parent else f'{{"id":"{v1_id}"}}'
        images.append(V1Image(v1_id, text.encode(), layer))
        parent = v1_id
    top = {k: v for k, v in json.loads(config_bytes).items() if k not in CONFIG_ONLY_KEYS}
    top["id"] = hashlib.sha256(config_bytes).hexdigest()
    if parent:
        top["parent"] = parent
    text = json.dumps(top, sort_keys=True, separators=(",", ":"))
    images.append(V1Image(top["id"], text.encode(), layers[-1]))
    return images


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


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
