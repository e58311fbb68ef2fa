"""Layer bytes straight between this machine and S3: uploads through the registry's
presigned PUT (307) or multipart plan, downloads through its 302 with Range resume and a
payload checksum check (spec §2.4, §2.7, §4.13.1, §4.17, §4.18; README "Layer uploads")."""
import json
import os
from concurrent.futures import ThreadPoolExecutor

from .archive import CHUNK
from .errors import CliError
from .layers import Prepared, payload_checksum
from .session import Session
from .transport import TRANSIENT_ERRORS


class FileSlice:
    """`size` bytes of a file from `offset`, read by requests as a streamed body."""

    def __init__(self, path: str, offset: int, size: int, progress):
        self.file = open(path, "rb")
        self.file.seek(offset)
        self.left, self.size, self.progress = size, size, progress

    def __len__(self) -> int:
        return self.size

    @property
    def sent(self) -> int:
        return self.size - self.left

    def read(self, amount: int = -1) -> bytes:
        amount = self.left if amount is None or amount < 0 else min(amount, self.left)
        data = self.file.read(amount)
        self.left -= len(data)
        self.progress(len(data))
        return data

    def close(self) -> None:
        self.file.close()


def upload(session: Session, base: str, layer: Prepared, bar, *, multipart_over: int,
           jobs: int) -> None:
    if layer.size > multipart_over:
        _upload_multipart(session, base, layer, bar, jobs)
    else:
        _upload_redirected(session, base, layer, bar)


def _upload_redirected(session: Session, base: str, layer: Prepared, bar) -> None:
    image_id = layer.image.id
    what = f"upload layer {image_id[:12]}"
    redirect = session.call("PUT", f"/images/{image_id}/layer", what, base=base, data=b"",
                            headers={"X-Registry-Upload": "redirect"}, allow_redirects=False,
                            expect=(307,))

    def body():
        bar.reset()
        return FileSlice(layer.path, 0, layer.size, bar)
    _put_to_storage(session, redirect.headers["Location"], body, what)


def _put_to_storage(session: Session, url: str, body, what: str):
    # A presigned URL authorises itself: no registry credentials go to S3 (§4.18).
    response = session.http.request("PUT", url, what=what, data=body)
    if response.status_code != 200:
        raise CliError(f"{what}: storage answered HTTP {response.status_code}")
    return response


def _upload_multipart(session: Session, base: str, layer: Prepared, bar, jobs: int) -> None:
    image_id = layer.image.id
    what = f"upload layer {image_id[:12]}"
    plan = session.call("PUT", f"/images/{image_id}/layer", what, base=base, data=b"",
                        headers={"X-Registry-Upload": "multipart",
                                 "X-Registry-Layer-Size": str(layer.size)}).json()
    part_size = plan["part_size"]

    def put_part(part):
        offset = (part["number"] - 1) * part_size
        size = min(part_size, layer.size - offset)
        attempts = []

        def body():
            if attempts:     # a retried part counts its bytes again from zero
                bar(-attempts[-1].sent)
            attempts.append(FileSlice(layer.path, offset, size, bar))
            return attempts[-1]
        response = _put_to_storage(session, part["url"], body, f"{what} part {part['number']}")
        return {"number": part["number"], "etag": response.headers["ETag"]}

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        parts = list(pool.map(put_part, plan["parts"]))
    session.call("POST", f"/images/{image_id}/layer/multipart", what, base=base,
                 headers={"Content-Type": "application/json"},
                 data=json.dumps({"upload_id": plan["upload_id"], "parts": parts}).encode())


def download(session: Session, image_id: str, json_bytes: bytes, checksum: str, size: int,
             partial: str, bar) -> None:
    """Fetch the layer into `partial`, resuming what an earlier attempt or run left there
    with `Range`, and verify the payload checksum; a corrupt result is fetched once more
    from the start before giving up."""
    what = f"download layer {image_id[:12]}"
    for fresh_start in (False, True):
        if fresh_start and os.path.exists(partial):
            os.remove(partial)
        _fetch(session, image_id, partial, size, bar, what)
        if payload_checksum(json_bytes, partial) == checksum:
            return
    os.remove(partial)
    raise CliError(f"{what}: checksum mismatch: the registry's copy is corrupt "
                   f"(expected {checksum})")


def _fetch(session: Session, image_id: str, partial: str, size: int, bar, what: str) -> None:
    http = session.http
    for attempt in range(1, http.attempts + 1):
        have = _size(partial)
        if size and have >= size:
            bar.reset(have)
            return
        bar.reset(have)
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            # Follows the 302 to a fresh presigned URL each time; Range goes along (§4.17).
            with session.call("GET", f"/images/{image_id}/layer", what, headers=headers,
                              expect=(200, 206, 416), stream=True) as response:
                if have and response.status_code in (200, 416):
                    os.remove(partial)           # range not honoured: start over
                    continue
                with open(partial, "ab") as out:
                    for chunk in response.iter_content(CHUNK):
                        out.write(chunk)
                        bar(len(chunk))
            if not size:
                return
        except TRANSIENT_ERRORS:
            pass
        if attempt < http.attempts:
            http.pause(attempt)
    if _size(partial) < size:
        raise CliError(f"{what}: connection kept failing (gave up after {http.attempts} attempts)")


def _size(path: str) -> int:
    return os.path.getsize(path) if os.path.exists(path) else 0
