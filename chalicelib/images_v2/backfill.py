"""Registry v2 manifests for the tags that have none (spec v2-pull §6):

    python -m chalicelib.images_v2.backfill [--stage local|dev|prod] [--data-dir .data] [--all]

Tags set before the v2 API get theirs here (or on their first v2 request), and so do images
whose v2 form needs their layers' bytes read, which no request does: a bzip2/xz layer gets a
gzip copy (§6.2; no layer media type has bzip2/xz, containerd cannot read them), stored
once under its own digest; a layer whose uncompressed digest the push did not compute (it
expanded past the push's bound, store/digests.py), or whose record predates the digests,
gets them. zstd layers stay without (no zstd in Python's standard library). `--all` rebuilds every tag's
(the same bytes). Prints one line per tag; exit status 1 if any tag has none after all."""
import argparse
import bz2
import gzip
import hashlib
import json
import lzma
import sys
import tempfile

from .. import config, stages
from ..config import Settings
from ..names import namespace_of
from ..store import models, s3
from ..store.digests import LayerDigests
from ..store.models import COMPLETE, Image, Tag
from .build import NEEDS_GZIP_COPY, NotConvertible, ancestry, chain_records
from .configs import throwaway
from .manifests import SCHEMA2, digest
from .publish import publish

CHUNK = 1024 * 1024
OPENERS = {"bzip2": bz2.open, "xz": lzma.open}


class _Hashing:
    """A file wrapper that hashes and counts what is written through it."""

    def __init__(self, file):
        self.file, self.digest, self.size = file, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.file.write(data)

    def flush(self) -> None:
        self.file.flush()


def gzip_copy(settings: Settings, image: Image) -> None:
    """Store a bzip2/xz layer again as gzip (its diff_id checked on the way), once."""
    diff = hashlib.sha256()
    with tempfile.TemporaryFile() as copy:
        written = _Hashing(copy)
        with OPENERS[image.compression](s3.open_blob(settings, image.blob_digest)) as source, \
                gzip.GzipFile(fileobj=written, mode="wb", mtime=0) as sink:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                diff.update(chunk)
                sink.write(chunk)
        if image.diff_id and image.diff_id != "sha256:" + diff.hexdigest():
            raise NotConvertible(f"layer {image.image_id[:12]} does not unpack to its diff_id")
        copy.seek(0)
        digest = "sha256:" + written.digest.hexdigest()
        s3.upload_blob(settings, digest, copy)
    image.update(actions=[Image.gzip_digest.set(digest), Image.gzip_size.set(written.size),
                          Image.diff_id.set("sha256:" + diff.hexdigest())],
                 condition=Image.status == COMPLETE)


def rehash(settings: Settings, image: Image) -> None:
    """The compression and diff_id of a layer the push did not unpack to the end, or of an
    image recorded before they were."""
    hasher = LayerDigests(b"", bounded=False)
    for chunk in s3.open_blob(settings, image.blob_digest).iter_chunks(CHUNK):
        hasher.update(chunk)
    found = hasher.digests()
    actions = [Image.compression.set(found["compression"])]
    if found["diff_id"]:
        actions.append(Image.diff_id.set(found["diff_id"]))
    image.update(actions=actions, condition=Image.status == COMPLETE)


def complete_layers(settings: Settings, records: list[Image]) -> None:
    for image in records:
        if throwaway(json.loads(image.json)):
            continue
        if image.compression is None or (image.diff_id is None and image.compression != "zstd"):
            rehash(settings, image)
        if image.compression in NEEDS_GZIP_COPY and not image.gzip_digest:
            gzip_copy(settings, image)


def backfill(settings: Settings, everything: bool = False) -> int:
    """Give every tag (without manifests, or all) its v2 form; the number left without."""
    left = 0
    for item in Tag.scan(attributes_to_get=["repository", "tag", "image_id", "manifest"]):
        if item.manifest is not None and not everything:
            continue
        where = f"{item.repository}:{item.tag}"
        try:
            namespace = namespace_of(item.repository)
            complete_layers(settings, chain_records(namespace,
                                                    ancestry(namespace, item.image_id)))
            image = publish(settings, item.repository, item.tag, item.image_id)
        except NotConvertible as why:
            left += 1
            print(f"{where}: no v2 manifest: {why}", file=sys.stderr)
            continue
        print(f"{where} {digest(image.manifest(SCHEMA2))}")
    return left


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="local")
    parser.add_argument("--data-dir", default=stages.DEFAULT_DATA_DIR)
    parser.add_argument("--all", action="store_true", help="rebuild every tag's manifests")
    args = parser.parse_args(argv)
    stages.configure(args.stage, args.data_dir)
    settings = config.settings()
    models.bind(settings)
    sys.exit(1 if backfill(settings, args.all) else 0)


if __name__ == "__main__":
    main()
