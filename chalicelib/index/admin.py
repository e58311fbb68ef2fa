"""Create (or promote) an admin account on a stage: the first admin has no other way in.

    python -m chalicelib.index.admin USERNAME [--stage local|dev|prod] [--data-dir .data] [--email E]

The password is read from stdin when it is not a terminal, otherwise prompted
twice. `--stage local` writes to the running local stack (`make run`; its moto
endpoint is in <data-dir>/moto-endpoint); other stages write to the stage's
tables with the caller's AWS credentials. There is no default password.
"""
import argparse
import getpass
import json
import os
import sys

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def stage_environment(stage: str) -> dict:
    """The stage's environment variables from .chalice/config.json (stage wins)."""
    with open(os.path.join(PROJECT_DIR, ".chalice", "config.json")) as file:
        chalice_config = json.load(file)
    if stage not in chalice_config.get("stages", {}):
        raise SystemExit(f"unknown stage {stage!r}")
    return {**chalice_config.get("environment_variables", {}),
            **chalice_config["stages"][stage].get("environment_variables", {})}


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
    parser.add_argument("--data-dir", default=os.path.join(PROJECT_DIR, ".data"))
    parser.add_argument("--email")
    args = parser.parse_args(argv)

    os.environ.update(stage_environment(args.stage))
    if args.stage == "local":
        try:
            with open(os.path.join(args.data_dir, "moto-endpoint")) as file:
                os.environ["REGISTRY_AWS_ENDPOINT"] = file.read().strip()
        except FileNotFoundError:
            raise SystemExit(f"no local stack data in {args.data_dir}: start `make run` first")
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")

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
