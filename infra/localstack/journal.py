"""The write-ahead journal: one file per snapshot generation, records appended in the order
moto applied them and made durable (fdatasync) before their answer goes out.

A record is framed as `length, crc32` (two big-endian uint32) then a pickle. A crash can
leave a torn last record: reading stops at the first frame that is short or fails its
checksum, and that record was never acknowledged (its fdatasync had not returned).
"""
import os
import pickle
import struct
import threading
import zlib
from collections.abc import Iterator

FRAME = struct.Struct(">II")


class Journal:
    """An open journal file. `append` is called under the caller's write lock (the file
    order is the apply order); `sync` is not, so writers waiting for the disk share one
    fdatasync (group commit)."""

    def __init__(self, path: str):
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._written = self._synced = os.fstat(self._fd).st_size
        self._sync_lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._written

    def append(self, record: dict) -> int:
        """Write one record; the offset to `sync` to before answering."""
        payload = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        frame = FRAME.pack(len(payload), zlib.crc32(payload))
        written = os.writev(self._fd, [frame, payload])
        if written < len(frame) + len(payload):           # a short write: finish it
            rest = memoryview(frame + payload)[written:]
            while rest:
                rest = rest[os.write(self._fd, rest):]
        self._written += len(frame) + len(payload)
        return self._written

    def sync(self, offset: int) -> None:
        with self._sync_lock:
            if self._synced >= offset:
                return                  # another writer's fdatasync covered this record
            written = self._written
            os.fdatasync(self._fd)
            self._synced = written

    def close(self) -> None:
        with self._sync_lock:
            os.fdatasync(self._fd)
            self._synced = self._written
            os.close(self._fd)


def read(path: str) -> Iterator[tuple[dict, int]]:
    """Each intact record with the offset just after it, up to the first torn frame."""
    with open(path, "rb") as file:
        offset = 0
        while len(header := file.read(FRAME.size)) == FRAME.size:
            length, crc = FRAME.unpack(header)
            payload = file.read(length)
            if len(payload) != length or zlib.crc32(payload) != crc:
                return
            offset += FRAME.size + length
            yield pickle.loads(payload), offset


def sync_directory(path: str) -> None:
    """Make a file's creation, rename or removal in `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
