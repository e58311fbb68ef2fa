"""The registry on this machine: `chalice local` over moto's S3 and DynamoDB.

One process: moto's threaded server (S3 + DynamoDB, state restored from and
saved to a data directory) and Chalice's local dev server for app.py, with a
request handler that accepts the chunked bodies docker 1.x sends.

    python infra/local_stack.py [--host 127.0.0.1] [--port 8000] [--data-dir .data]
"""
import argparse
import contextlib
import functools
import json
import logging
import os
import pickle
import re
import secrets
import signal
import sys
import threading

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SNAPSHOT_FILE = "moto-state.pickle"
TOKEN_SECRET_FILE = "token-secret"       # this data directory's token signing key
ENDPOINT_FILE = "moto-endpoint"          # where `python -m chalicelib.index.admin` finds the tables
SNAPSHOT_EVERY_SECONDS = 2.0


class Snapshots:
    """Saves moto's backends to disk between moto's write requests, never during one.

    The guard sits in front of moto itself (see guard_writes), so it also covers the
    bytes clients PUT straight to presigned URLs and the admin command's writes."""

    def __init__(self, data_dir: str):
        self.path = os.path.join(data_dir, SNAPSHOT_FILE)
        self._cond = threading.Condition()
        self._writers = 0
        self._saving = False
        self._dirty = False
        os.makedirs(data_dir, exist_ok=True)

    @staticmethod
    def _backends():
        from moto.dynamodb.models import dynamodb_backends
        from moto.s3.models import s3_backends
        return {"s3": s3_backends, "dynamodb": dynamodb_backends}

    def restore(self) -> bool:
        if not os.path.exists(self.path):
            return False
        with open(self.path, "rb") as snapshot:
            state = pickle.load(snapshot)
        for name, backends in self._backends().items():
            backends.update(state[name])
        return True

    @contextlib.contextmanager
    def writing(self):
        with self._cond:
            self._cond.wait_for(lambda: not self._saving)
            self._writers += 1
        try:
            yield
        finally:
            with self._cond:
                self._writers -= 1
                self._dirty = True
                self._cond.notify_all()

    def save(self) -> None:
        with self._cond:
            if not self._dirty:
                return
            self._saving = True
            self._cond.wait_for(lambda: self._writers == 0)
        try:
            state = {name: dict(backends) for name, backends in self._backends().items()}
            tmp = self.path + ".tmp"
            with open(tmp, "wb") as snapshot:
                pickle.dump(state, snapshot)
            os.replace(tmp, self.path)
        finally:
            with self._cond:
                self._saving = False
                self._dirty = False
                self._cond.notify_all()

    def save_periodically(self, stop: threading.Event) -> None:
        while not stop.wait(SNAPSHOT_EVERY_SECONDS):
            self.save()


CHUNK_SIZE = re.compile(rb"[0-9a-fA-F]{1,16}")
READ_PIECE = 1024 * 1024       # never ask read() for a client-declared size at once


class MalformedBody(ValueError):
    pass


def read_chunked(rfile) -> bytes:
    """The body of a `Transfer-Encoding: chunked` request (RFC 9112 §7.1)."""
    body = bytearray()
    while True:
        size_line = rfile.readline(1024).split(b";")[0].strip()     # drop chunk extensions
        if not CHUNK_SIZE.fullmatch(size_line):
            raise MalformedBody("Malformed chunked body: bad chunk size")
        remaining = int(size_line, 16)
        if remaining == 0:
            break
        while remaining:
            piece = rfile.read(min(remaining, READ_PIECE))
            if not piece:
                raise MalformedBody("Malformed chunked body: truncated chunk")
            body += piece
            remaining -= len(piece)
        end = rfile.readline(1024)
        if not end:
            raise MalformedBody("Malformed chunked body: truncated chunk")
        if end.strip():
            raise MalformedBody("Malformed chunked body: chunk longer than its size")
    while rfile.readline(8192).strip():                             # trailers
        pass
    return bytes(body)


def request_handler():
    from chalice.local import ChaliceRequestHandler, ForbiddenError, NotAuthorizedError

    class RegistryRequestHandler(ChaliceRequestHandler):
        def setup(self):
            super().setup()
            # API Gateway reports the client's address as sourceIp (login throttling counts
            # by it); chalice local reports 127.0.0.1 for everyone.
            self.local_gateway.event_converter.LOCAL_SOURCE_IP = self.client_address[0]

        def _parse_payload(self):
            # chalice local ignores Transfer-Encoding: chunked; docker streams layers that way.
            if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
                return super()._parse_payload()
            body = read_chunked(self.rfile)
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() != "transfer-encoding"}
            headers["Content-Length"] = str(len(body))
            return headers, body

        def _generic_handle(self):
            try:
                super()._generic_handle()
            except MalformedBody as error:
                self.close_connection = True          # the rest of the stream is not a request
                self._send_http_response(400, {"Content-Type": "application/json"},
                                         json.dumps({"error": str(error)}))

        do_GET = do_HEAD = do_OPTIONS = do_PUT = do_POST = do_DELETE = do_PATCH = \
            _generic_handle

        def _send_error_response(self, error):
            # API Gateway's unknown-route answer is 403; registries answer 404
            # (infra/ maps it the same way on AWS with a Gateway Response).
            error_type = error.headers.get("x-amzn-ErrorType")
            if isinstance(error, ForbiddenError) and error_type == "UnauthorizedException":
                body = json.dumps({"error": "Not found"})
                return self._send_http_response(404, {"Content-Type": "application/json"}, body)
            # The authorizer's answers, shaped as infra/ shapes them on AWS (§1.3, §4.3).
            if isinstance(error, NotAuthorizedError):
                body = json.dumps({"error": "Requires authorization"})
                return self._send_http_response(401, {
                    "Content-Type": "application/json",
                    "WWW-Authenticate": 'Basic realm="auth required",Token'}, body)
            if error_type == "AccessDeniedException":
                body = json.dumps({"error": "Invalid credentials"})
                return self._send_http_response(401, {
                    "Content-Type": "application/json",
                    "WWW-Authenticate": 'Basic realm="auth required",Token'}, body)
            return super()._send_error_response(error)

        def _send_http_response(self, code, headers, body):
            # A known path with another method never reaches Lambda on AWS, where infra/
            # answers it like an unknown route; locally the app would send Chalice's own
            # 405 {"Code": ...} body.
            if code == 405:
                code, headers = 404, {"Content-Type": "application/json"}
                body = json.dumps({"error": "Not found"})
            return super()._send_http_response(code, headers, body)

        def _send_http_response_with_body(self, code, headers, body):
            if self.command != "HEAD":
                return super()._send_http_response_with_body(code, headers, body)
            # chalice local would write the body after HEAD's headers.
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self._send_headers(headers)

    return RegistryRequestHandler


def _write(data_dir: str, name: str, text: str) -> None:
    path = os.path.join(data_dir, name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(text)


def token_secret(data_dir: str) -> str:
    """A random signing key per data directory, kept so tokens survive a restart."""
    path = os.path.join(data_dir, TOKEN_SECRET_FILE)
    if not os.path.exists(path):
        _write(data_dir, TOKEN_SECRET_FILE, secrets.token_hex(32))
    with open(path) as file:
        return file.read().strip()


READ_OPERATIONS = ("Get", "BatchGet", "TransactGet", "Query", "Scan", "Describe", "List")


def guard_writes(app, snapshots: Snapshots):
    """moto's WSGI app, with every write request excluded from snapshots."""
    def guarded(environ, start_response):
        operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]  # DynamoDB POSTs
        if environ["REQUEST_METHOD"] in ("GET", "HEAD") or operation.startswith(READ_OPERATIONS):
            return app(environ, start_response)
        with snapshots.writing():
            return list(app(environ, start_response))
    return guarded


def start_moto(host: str, port: int, snapshots: Snapshots):
    from moto.server import ThreadedMotoServer
    logging.getLogger("werkzeug").setLevel(logging.WARNING)   # one log line per S3 call otherwise
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    # ThreadedMotoServer exposes no hook; werkzeug reads `.app` for every request.
    server._server.app = guard_writes(server._server.app, snapshots)
    return server


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--moto-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--data-dir", default=os.path.join(PROJECT_DIR, ".data"))
    parser.add_argument("--stage", default="local")
    args = parser.parse_args(argv)

    # Layer URLs point at moto, so moto must be reachable where the registry is.
    advertised = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    snapshots = Snapshots(args.data_dir)
    restored = snapshots.restore()
    moto = start_moto(args.host, args.moto_port, snapshots)
    moto_host, moto_port = moto.get_host_and_port()
    os.environ["REGISTRY_AWS_ENDPOINT"] = f"http://{advertised}:{moto_port}"
    _write(args.data_dir, ENDPOINT_FILE, os.environ["REGISTRY_AWS_ENDPOINT"])
    if not os.environ.get("REGISTRY_TOKEN_SECRET"):
        os.environ["REGISTRY_TOKEN_SECRET"] = token_secret(args.data_dir)

    from chalice.cli import validate_routes
    from chalice.cli.factory import CLIFactory
    from chalice.local import create_local_server
    factory = CLIFactory(PROJECT_DIR, environ=os.environ)   # stage variables land in os.environ
    config = factory.create_config_obj(chalice_stage_name=args.stage)
    validate_routes(config.chalice_app.routes)

    sys.path.insert(0, PROJECT_DIR)
    from chalicelib import config as registry_config
    from chalicelib.store import models, s3 as storage
    settings = registry_config.settings()
    models.bind(settings)
    models.create_tables()
    storage.create_bucket(settings)

    server = create_local_server(config.chalice_app, config, args.host, args.port)
    server.server.RequestHandlerClass = functools.partial(
        request_handler(), app_object=config.chalice_app, config=config)
    stop = threading.Event()
    threading.Thread(target=snapshots.save_periodically, args=(stop,), daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))

    host, port = server.server.server_address[:2]
    print(f"v1 registry listening on http://{host}:{port} (S3/DynamoDB: moto on port "
          f"{moto_port}; data in {args.data_dir}{', restored' if restored else ''})", flush=True)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server.server_close()
        snapshots.save()
        moto.stop()
        print("v1 registry stopped; state saved", flush=True)


if __name__ == "__main__":
    main()
