"""The digests of one layer, computed in a single pass over its bytes (spec §4.13.1;
v2-pull §3.6, §6): the payload checksum docker sends, the blob digest and size, the
compression (by magic bytes) and the diff_id (sha256 of the uncompressed tar)."""
import bz2
import hashlib
import lzma
import zlib

MAGIC = {b"\x1f\x8b\x08": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz",
         b"\x28\xb5\x2f\xfd": "zstd"}
HEAD = max(len(magic) for magic in MAGIC)
PIECE = 1024 * 1024
# A layer expanding past this is not unpacked to the end (a decompression bomb would keep a
# request busy): its diff_id stays unknown. Real layers expand 2–10 times.
MAX_EXPANSION, MIN_EXPANDED = 64, 256 * 1024 * 1024


def _decompressor(compression: str):
    return {"gzip": lambda: zlib.decompressobj(wbits=31), "bzip2": bz2.BZ2Decompressor,
            "xz": lzma.LZMADecompressor}.get(compression)


class LayerDigests:
    """Feed the layer with update(); read the result with digests()."""

    def __init__(self, json_bytes: bytes, bounded: bool = True):
        """`bounded`: give up on the diff_id past MAX_EXPANSION (in a request); the
        backfill (images_v2) unpacks to the end."""
        self._payload = hashlib.sha256(json_bytes + b"\n")
        self._blob = hashlib.sha256()
        self._diff = hashlib.sha256()
        self._head = b""
        self._compression = None
        self._new_stream = None          # a decompressor factory; None: plain tar or unknown
        self._stream = None
        self._size = self._expanded = 0
        self._diff_known = True
        self._ended = False              # zero padding after the last member was seen
        self._bounded = bounded

    def update(self, chunk: bytes) -> None:
        self._payload.update(chunk)
        self._blob.update(chunk)
        self._size += len(chunk)
        if self._compression is None:
            self._head += chunk
            if len(self._head) < HEAD:
                return
            chunk, self._head = self._head, b""
            self._detect(chunk)
        self._unpack(chunk)

    def _detect(self, head: bytes) -> None:
        self._compression = next((name for magic, name in MAGIC.items()
                                  if head.startswith(magic)), "none")
        self._new_stream = _decompressor(self._compression)
        self._diff_known = self._compression == "none" or self._new_stream is not None

    def _unpack(self, data: bytes) -> None:
        if not self._diff_known or self._ended:
            return
        if self._new_stream is None:
            self._diff.update(data)
            return
        while self._diff_known and data is not None:
            if self._stream is None:
                if not data:
                    return
                self._stream = self._new_stream()
            try:
                out = self._stream.decompress(data, PIECE)
            except (zlib.error, OSError, EOFError, lzma.LZMAError):
                self._diff_known = False
                return
            self._expanded += len(out)
            if self._bounded and self._expanded > max(MIN_EXPANDED, MAX_EXPANSION * self._size):
                self._diff_known = False
                return
            self._diff.update(out)
            data = self._next_input()

    def _next_input(self) -> bytes | None:
        """What to feed the decompressor next: held-back input or b"" for held-back output,
        the next member of a multi-member file, or None to wait for more bytes."""
        stream = self._stream
        if getattr(stream, "unconsumed_tail", b""):      # zlib capped its output at PIECE
            return stream.unconsumed_tail
        if not stream.eof:
            return b"" if getattr(stream, "needs_input", True) is False else None
        self._stream, rest = None, stream.unused_data
        if not rest.strip(b"\0"):                        # zero padding ends the layer
            self._ended = bool(rest)
            return None
        return rest

    def digests(self) -> dict:
        if self._compression is None:                    # shorter than any magic
            chunk, self._head = self._head, b""
            self._detect(chunk)
            self._unpack(chunk)
        unpacked = self._diff_known and self._stream is None and (
            self._expanded > 0 or self._new_stream is None or self._ended)
        return {"payload_checksum": "sha256:" + self._payload.hexdigest(),
                "blob_digest": "sha256:" + self._blob.hexdigest(),
                "layer_size": self._size,
                "compression": self._compression,
                "diff_id": "sha256:" + self._diff.hexdigest() if unpacked else None}


def layer_digests(json_bytes: bytes, layer: bytes) -> dict:
    hasher = LayerDigests(json_bytes)
    hasher.update(layer)
    return hasher.digests()
