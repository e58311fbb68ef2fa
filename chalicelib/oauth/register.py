"""Register an application with the OAuth API (docker.io did it by hand, spec
oauth-accounts-api §1.4) and print its credentials, the secret only this once:

    python -m chalicelib.oauth.register NAME REDIRECT_URI [REDIRECT_URI ...]
        [--public] [--stage local|dev|prod] [--data-dir .data]

prints `client_id=<id>` and `client_secret=<secret>` on lines of their own (a public client,
which must use PKCE, has no secret). `make oauth-client NAME=... REDIRECT_URI=...` runs it.
"""
import argparse
import sys

from .. import stages


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("redirect_uris", nargs="+", metavar="redirect_uri")
    parser.add_argument("--public", action="store_true",
                        help="a client without a secret (a native or browser app): PKCE required")
    parser.add_argument("--stage", default="local")
    parser.add_argument("--data-dir", default=stages.DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    stages.configure(args.stage, args.data_dir)

    from .. import config
    from ..errors import ApiError
    from ..store import models
    from . import clients
    models.bind(config.settings())
    try:
        client, secret = clients.register(args.name, args.redirect_uris, args.public)
    except ApiError as error:
        raise SystemExit(error.message)
    print(f"client_id={client.client_id}")
    if secret is not None:
        print(f"client_secret={secret}")
    note = "public: PKCE required" if client.public else "the secret is shown only now"
    print(f"{client.name}: {' '.join(client.redirect_uris)} ({note})", file=sys.stderr)


if __name__ == "__main__":
    main()
