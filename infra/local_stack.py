"""The registry on this machine: `chalice local` over moto's S3 and DynamoDB.

One process, three listeners (the parts are in infra/localstack/):
- the registry: Chalice's local server for app.py, on --host:--port;
- moto (S3 + DynamoDB) on 127.0.0.1 only, written to <data-dir>/moto-endpoint for
  `python -m chalicelib.index.admin`; the app's own calls reach it in process. moto checks no
  credentials.
- the S3 gateway on --host:--s3-port, where the app's presigned URLs point: it serves only
  presigned object GET/HEAD/PUT signed with this data directory's random AWS key.
moto's state survives restarts and crashes: a snapshot plus a write-ahead journal in
--data-dir (an answered write is on disk).

    python infra/local_stack.py [--host 127.0.0.1] [--port 8000] [--data-dir .data]
"""
import argparse
import os
import secrets
import signal
import sys
import threading

from botocore.credentials import Credentials

from localstack.in_process import route_to
from localstack.moto_app import MotoApp
from localstack.registry_handler import registry_server
from localstack.s3_gateway import S3Gateway
from localstack.servers import serve_wsgi, serving, url
from localstack.state import DurableMoto

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN_SECRET_FILE = "token-secret"       # this data directory's token signing key
AWS_KEY_FILE = "aws-credentials"         # this data directory's AWS key (signs presigned URLs)
ENDPOINT_FILE = "moto-endpoint"          # where `python -m chalicelib.index.admin` finds the tables
S3_PORT_FILE = "s3-port"                 # the S3 gateway's port last time
LOOPBACK = "127.0.0.1"


def prepare_registry_data():
    """The tables and the bucket the app uses, created if missing; the app's settings.
    The only place infra/ imports the app's package."""
    sys.path.insert(0, PROJECT_DIR)
    from chalicelib import config
    from chalicelib.store import models, s3 as storage
    settings = config.settings()
    models.bind(settings)
    models.create_tables()
    storage.create_bucket(settings)
    return settings


def _write(data_dir: str, name: str, text: str) -> None:
    path = os.path.join(data_dir, name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(text)


def _kept_secret(data_dir: str, name: str, make) -> str:
    """A random value per data directory, kept so it survives a restart."""
    path = os.path.join(data_dir, name)
    if not os.path.exists(path):
        _write(data_dir, name, make())
    with open(path) as file:
        return file.read().strip()


def aws_credentials(data_dir: str) -> Credentials:
    key = _kept_secret(data_dir, AWS_KEY_FILE, lambda: "AKLOCAL" + secrets.token_hex(8).upper()
                       + " " + secrets.token_urlsafe(30))
    return Credentials(*key.split())


def serve_s3(args, gateway: S3Gateway):
    """On --s3-port, else on last run's port if it is free (presigned URLs already handed
    out point at it), else on any free port."""
    path = os.path.join(args.data_dir, S3_PORT_FILE)
    if args.s3_port is None and os.path.exists(path):
        with open(path) as file:
            try:
                return serve_wsgi(args.host, int(file.read()), gateway, args.read_timeout)
            except OSError:
                pass                                  # taken meanwhile
    server = serve_wsgi(args.host, args.s3_port or 0, gateway, args.read_timeout)
    _write(args.data_dir, S3_PORT_FILE, str(server.server_address[1]))
    return server


def chalice_app(stage: str):
    from chalice.cli import validate_routes
    from chalice.cli.factory import CLIFactory
    factory = CLIFactory(PROJECT_DIR, environ=os.environ)   # stage variables land in os.environ
    config = factory.create_config_obj(chalice_stage_name=stage)
    validate_routes(config.chalice_app.routes)
    return config.chalice_app, config


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--s3-port", type=int, help="the S3 gateway's (default: the one it "
                        "had last time, so presigned URLs outlive a restart; else a free one)")
    parser.add_argument("--moto-port", type=int, default=0, help="on 127.0.0.1; 0: a free one")
    parser.add_argument("--public-host", help="the name clients reach this machine by, in "
                        "presigned URLs (default: --host, or 127.0.0.1 for 0.0.0.0 / ::)")
    parser.add_argument("--read-timeout", type=float, default=30.0,
                        help="seconds a connection may stay silent")
    parser.add_argument("--snapshot-seconds", type=float, default=10.0,
                        help="how often moto's state is saved whole (the journal has the rest)")
    parser.add_argument("--data-dir", default=os.path.join(PROJECT_DIR, ".data"))
    parser.add_argument("--stage", default="local")
    args = parser.parse_args(argv)
    public_host = args.public_host or (LOOPBACK if args.host in ("0.0.0.0", "::") else args.host)
    os.makedirs(args.data_dir, exist_ok=True)

    credentials = aws_credentials(args.data_dir)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.update(AWS_ACCESS_KEY_ID=credentials.access_key,
                      AWS_SECRET_ACCESS_KEY=credentials.secret_key)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    moto = DurableMoto(args.data_dir, MotoApp())
    restored = moto.restore()
    moto_server = serve_wsgi(LOOPBACK, args.moto_port, moto, args.read_timeout)
    os.environ["REGISTRY_AWS_ENDPOINT"] = url(LOOPBACK, moto_server.server_address[1])
    _write(args.data_dir, ENDPOINT_FILE, os.environ["REGISTRY_AWS_ENDPOINT"])
    route_to(moto, os.environ["REGISTRY_AWS_ENDPOINT"])
    if not os.environ.get("REGISTRY_TOKEN_SECRET"):
        os.environ["REGISTRY_TOKEN_SECRET"] = _kept_secret(
            args.data_dir, TOKEN_SECRET_FILE, lambda: secrets.token_hex(32))

    app, config = chalice_app(args.stage)
    settings = prepare_registry_data()
    s3 = serve_s3(args, S3Gateway(moto, credentials, settings.region, settings.bucket))
    os.environ["REGISTRY_PRESIGN_ENDPOINT"] = url(public_host, s3.server_address[1])
    registry = serving(registry_server(app, config, args.host, args.port, args.read_timeout))
    # X-Docker-Endpoints: where clients reach the registry (never their own Host header).
    os.environ.setdefault("REGISTRY_ENDPOINTS", url(public_host, registry.server_address[1])
                          .removeprefix("http://"))

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):     # also when started with SIGINT ignored
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=moto.snapshot_periodically, args=(stop, args.snapshot_seconds),
                     daemon=True).start()
    print(f"v1 registry listening on {url(*registry.server_address[:2])} (S3: "
          f"{os.environ['REGISTRY_PRESIGN_ENDPOINT']}; moto on {LOOPBACK}:"
          f"{moto_server.server_address[1]}; data in {args.data_dir}: {restored})", flush=True)
    stop.wait()
    print("v1 registry stopped", flush=True)
    # Every answered write is on disk already. Leave now: an interpreter exit would wait
    # for a snapshot in progress and tear down every stored object first.
    os._exit(0)


if __name__ == "__main__":
    main()
