"""Layer bytes on disk: gzip for upload with the payload checksum (spec §4.13.1), and
gunzip after download with the diff ID `docker load` checks."""
import gzip
import hashlib
import itertools
import os
import shutil
import zlib
from dataclasses import dataclass

from .archive import CHUNK, V1Image

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Prepared:
    image: V1Image
    path: str          # the compressed layer as uploaded
    size: int
    checksum: str      # sha256(json + "\n" + layer), the X-Docker-Checksum-Payload


class _HashingWriter:
    def __init__(self, out, digest):
        self.out, self.digest, self.size = out, digest, 0

    def write(self, data):
        self.digest.update(data)
        self.size += len(data)
        return self.out.write(data)

    def flush(self):
        self.out.flush()


def prepare(image: V1Image, directory: str, level: int) -> Prepared:
    """Compress the layer into `directory`; a layer that is gzip already, or any layer at
    level 0, is stored as it is (docker and v1reg pulls detect the compression)."""
    path = os.path.join(directory, image.id + ".gz")
    digest = hashlib.sha256(image.json + b"\n")
    chunks = image.layer.chunks()
    first = next(chunks, b"")
    with open(path, "wb") as out:
        writer = _HashingWriter(out, digest)
        if first.startswith(GZIP_MAGIC) or level == 0:
            sink = writer
        else:
            sink = gzip.GzipFile(fileobj=writer, mode="wb", compresslevel=level, mtime=0)
        for chunk in itertools.chain([first], chunks):
            sink.write(chunk)
        if sink is not writer:
            sink.close()
    return Prepared(image, path, writer.size, "sha256:" + digest.hexdigest())


def payload_checksum(json_bytes: bytes, path: str) -> str:
    digest = hashlib.sha256(json_bytes + b"\n")
    with open(path, "rb") as layer:
        for chunk in iter(lambda: layer.read(CHUNK), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def unpack(path: str, tar_path: str) -> str:
    """Write the layer tar (gunzipped if needed) and return its diff ID."""
    with open(path, "rb") as layer:
        gzipped = layer.read(2) == GZIP_MAGIC
    digest = hashlib.sha256()
    try:
        with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as source, \
                open(tar_path, "wb") as out:
            shutil.copyfileobj(source, _HashingWriter(out, digest), CHUNK)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"layer is not a valid gzip stream ({error})")
    return "sha256:" + digest.hexdigest()
