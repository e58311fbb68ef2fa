"""Create (or promote) an admin account on a stage: the first admin has no other way in.

    python -m chalicelib.index.admin USERNAME [--stage local|dev|prod] [--data-dir .data] [--email E]

The password is read from stdin when it is not a terminal, otherwise prompted
twice. `--stage local` writes to the running local stack (`make run`; its moto
endpoint is in <data-dir>/moto-endpoint); other stages write to the stage's
tables with the caller's AWS credentials. There is no default password.
"""
import argparse
import getpass
import sys

from .. import stages


def read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password (again): "):
        raise SystemExit("passwords differ")
    return password


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("username")
    parser.add_argument("--stage", default="local")
    parser.add_argument("--data-dir", default=stages.DEFAULT_DATA_DIR)
    parser.add_argument("--email")
    args = parser.parse_args(argv)
    stages.configure(args.stage, args.data_dir)

    from .. import config
    from ..errors import ApiError
    from ..store import models
    from . import users
    settings = config.settings()
    models.bind(settings)
    try:
        users.create_admin(settings, args.username, read_password(), args.email)
    except ApiError as error:
        raise SystemExit(error.message)
    print(f"admin {args.username} saved to {models.table_name(models.User, settings)}")


if __name__ == "__main__":
    main()
