"""moto's state across restarts and crashes: the last snapshot (moto's S3 and DynamoDB
backends, pickled) plus a write-ahead journal of every request that changed them since.

`DurableMoto` wraps moto's WSGI app. A mutating request (S3 PUT/POST/DELETE, including
clients' presigned uploads; DynamoDB writes) runs under one lock, so the journal's order is
the order moto applied them; it is journaled if moto answered 2xx, and its answer waits
until that record is on disk. At start, the snapshot is loaded and the
journal replayed over it through the same app. Every few seconds (--snapshot-seconds) a new
snapshot is taken and the journal starts over.

Files in the data directory (generation n = the journal started by snapshot n):

    moto-state.pickle   {"s3": ..., "dynamodb": ..., "generation": n}
    journal-<n>.log     requests applied after snapshot n; replayed from n upwards, so a
                        crash between writing journal n and renaming snapshot n loses nothing
"""
import io
import os
import pickle
import re
import sys
import threading
from urllib.parse import parse_qs

from werkzeug.exceptions import ClientDisconnected
from werkzeug.test import run_wsgi_app
from werkzeug.wsgi import get_input_stream

from . import journal
from .moto_app import MotoInternals

SNAPSHOT_FILE = "moto-state.pickle"
JOURNAL_FILE = re.compile(r"journal-(\d+)\.log")
READ_PIECE = 1024 * 1024
READ_OPERATIONS = ("Get", "BatchGet", "TransactGet", "Query", "Scan", "Describe", "List")


def mutates(environ) -> bool:
    target = environ.get("HTTP_X_AMZ_TARGET")                   # DynamoDB: POST + operation
    if target:
        return not target.rpartition(".")[2].startswith(READ_OPERATIONS)
    return environ["REQUEST_METHOD"] not in ("GET", "HEAD", "OPTIONS")


class DurableMoto:
    def __init__(self, data_dir: str, app):
        self.data_dir, self.app = data_dir, app
        self._lock = threading.Lock()           # one mutating request at a time
        self._generation = 0
        self._journal: journal.Journal | None = None

    # ---- start ----

    def restore(self) -> str:
        """Load the snapshot, replay the journal over it; what was found, for the log."""
        path = os.path.join(self.data_dir, SNAPSHOT_FILE)
        found = []
        if os.path.exists(path):
            with open(path, "rb") as snapshot:
                state = pickle.load(snapshot)
            self._generation = state.pop("generation", 0)
            MotoInternals.load(state)
            found.append("snapshot")
        generations = [n for n in self._journal_generations() if n >= self._generation]
        replayed = sum(self._replay(self._journal_path(n)) for n in generations)
        if replayed:
            found.append(f"{replayed} journaled writes")
        self._generation = max([self._generation, *generations])
        self._journal = journal.Journal(self._journal_path(self._generation))
        journal.sync_directory(self.data_dir)
        return " + ".join(found) or "empty"

    def _replay(self, path: str) -> int:
        count, end = 0, 0
        for record, end in journal.read(path):
            status, headers, answer = self._apply(record)
            if not status.startswith("2"):
                print(f"journal replay: {record['environ']['REQUEST_METHOD']} "
                      f"{record['environ'].get('RAW_URI')} now answers {status}", flush=True)
            MotoInternals.adopt_ids(record, generated_ids(record["environ"], headers, answer))
            count += 1
        if end < os.path.getsize(path):
            print(f"journal replay: dropped a torn record at the end of {path}", flush=True)
            os.truncate(path, end)
        return count

    # ---- serving (a WSGI app) ----

    def __call__(self, environ, start_response):
        if not mutates(environ):
            return self.app(environ, start_response)
        try:
            body = read_body(environ)
        except (OSError, ClientDisconnected):
            start_response("400 Bad Request", [("Content-Length", "0")])
            return [b""]
        record = recorded(environ, body)
        with self._lock:
            status, headers, answer = self._apply(record)
            applied = status.startswith("2")
            if applied:
                record["ids"] = generated_ids(record["environ"], headers, answer)
                written, journal_file = self._journal.append(record), self._journal
        if applied:
            journal_file.sync(written)             # the answer waits for the disk
        start_response(status, headers.to_wsgi_list())
        return [answer]

    def _apply(self, record: dict):
        app_iter, status, headers = run_wsgi_app(self.app, replayable(record), buffered=True)
        try:
            answer = b"".join(app_iter)
        finally:
            getattr(app_iter, "close", lambda: None)()
        return status, headers, answer

    # ---- snapshots ----

    def snapshot(self) -> None:
        path = os.path.join(self.data_dir, SNAPSHOT_FILE)
        tmp = path + ".tmp"
        with self._lock:
            if self._journal.size == 0:
                return
            generation = self._generation + 1
            with open(tmp, "wb") as file:
                pickle.dump({**MotoInternals.state(), "generation": generation}, file,
                            protocol=pickle.HIGHEST_PROTOCOL)
            self._journal.close()
            self._journal = journal.Journal(self._journal_path(generation))
            self._generation = generation
            journal.sync_directory(self.data_dir)
        with open(tmp, "rb") as file:
            os.fsync(file.fileno())
        os.replace(tmp, path)
        journal.sync_directory(self.data_dir)
        for old in self._journal_generations():
            if old < generation:                  # in the snapshot now
                os.remove(self._journal_path(old))

    def snapshot_periodically(self, stop: threading.Event, seconds: float) -> None:
        while not stop.wait(seconds):
            try:
                self.snapshot()
            except Exception as error:            # the journal still has every write
                print(f"snapshot failed: {error!r}", file=sys.stderr, flush=True)

    def _journal_path(self, generation: int) -> str:
        return os.path.join(self.data_dir, f"journal-{generation:08d}.log")

    def _journal_generations(self) -> list[int]:
        matches = (JOURNAL_FILE.fullmatch(name) for name in os.listdir(self.data_dir))
        return sorted(int(match[1]) for match in matches if match)


def read_body(environ) -> bytes:
    """The whole body, in large pieces (a 64 MiB layer in werkzeug's 64 KiB reads costs
    more than moto's storing it)."""
    stream, body = get_input_stream(environ), bytearray()
    while piece := stream.read(READ_PIECE):
        body += piece
    return bytes(body)


def recorded(environ, body: bytes) -> dict:
    """What replaying a request needs: its CGI variables and its whole body (which moto
    then reads with a Content-Length, live and in replay alike)."""
    kept = {key: value for key, value in environ.items()
            if isinstance(value, (str, dict)) and not key.startswith(("wsgi.", "werkzeug."))}
    kept.pop("HTTP_TRANSFER_ENCODING", None)
    kept["CONTENT_LENGTH"] = str(len(body))
    kept["wsgi.url_scheme"] = environ["wsgi.url_scheme"]
    return {"environ": kept, "body": body}


def replayable(record: dict) -> dict:
    return {**record["environ"], "wsgi.input": io.BytesIO(record["body"]),
            "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False}


def generated_ids(environ, headers, answer: bytes) -> dict:
    """Ids moto made up for this request, which clients (and table items) then hold."""
    ids = {}
    if headers.get("x-amz-version-id", "null") != "null":
        ids["version"] = headers["x-amz-version-id"]
    if environ["REQUEST_METHOD"] == "POST" and "uploads" in parse_qs(
            environ.get("QUERY_STRING", ""), keep_blank_values=True):
        match = re.search(rb"<UploadId>([^<]+)</UploadId>", answer)
        if match:
            ids["upload"] = match[1].decode()
    return ids
