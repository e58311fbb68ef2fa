"""v1reg: push docker save tarballs to a Docker Registry v1, pull docker load tarballs.

    docker save img | v1reg push - 127.0.0.1:8000/me/img:1
    v1reg pull 127.0.0.1:8000/me/img:1 | docker load
"""
import argparse
import getpass
import json
import os
import sys

from . import credentials, pull as pulling, push as pushing, reference
from .errors import CliError
from .progress import Progress
from .session import Session
from .transport import Http

MIB = 1024 * 1024


def main(argv=None, http: Http | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.command(args, http or Http(attempts=args.retries))
    except CliError as error:
        print(f"v1reg: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("v1reg: interrupted (a pull resumes where it stopped)", file=sys.stderr)
        sys.exit(130)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="v1reg", description=__doc__.splitlines()[0])
    top.add_argument("--retries", type=int, default=5, help="attempts per request (default 5)")
    commands = top.add_subparsers(required=True, metavar="COMMAND")

    def command(name, function, help_text):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(command=function)
        return sub

    login_cmd = command("login", login, "check credentials and save them in ~/.docker/config.json")
    login_cmd.add_argument("registry", nargs="?", default=os.environ.get("V1REG_REGISTRY"))
    login_cmd.add_argument("-u", "--username")
    login_cmd.add_argument("--password-stdin", action="store_true",
                           help="read the password from standard input")
    logout_cmd = command("logout", logout, "forget the saved credentials of a registry")
    logout_cmd.add_argument("registry", nargs="?", default=os.environ.get("V1REG_REGISTRY"))

    for name, function, help_text in (
            ("push", push, "push a docker save tarball (- for stdin) as REGISTRY/NAME[:TAG]"),
            ("pull", pull, "pull REGISTRY/NAME[:TAG] as a tarball for docker load")):
        sub = command(name, function, help_text)
        if name == "push":
            sub.add_argument("archive", help="IMAGE.tar, or - for standard input")
        sub.add_argument("reference", help="REGISTRY/NAME[:TAG]")
        sub.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
        sub.add_argument("-j", "--jobs", type=int, default=4, help="parallel transfers (4)")
        if name == "push":
            sub.add_argument("--compress-level", type=int, default=6, choices=range(0, 10),
                             metavar="0-9", help="gzip level for layers (6; 0: uncompressed)")
            sub.add_argument("--multipart-over", type=int, default=100 * MIB, metavar="BYTES",
                             help="layers larger than this go through a multipart plan "
                                  "(default 100 MiB)")
        else:
            sub.add_argument("-o", "--output", help="write to this file, not standard output")
            sub.add_argument("--cache-dir", default=os.path.join(
                os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "v1reg"),
                help="where interrupted downloads wait to be resumed")

    command("tags", tags, "list the tags of REGISTRY/NAME").add_argument("reference")
    search_cmd = command("search", search, "search the repositories of a registry")
    search_cmd.add_argument("registry")
    search_cmd.add_argument("term")
    search_cmd.add_argument("--limit", type=int, default=25)
    command("rm", remove, "delete REGISTRY/NAME:TAG, or the whole repository REGISTRY/NAME"
            ).add_argument("reference")
    command("inspect", inspect, "show the image JSON and ancestry of REGISTRY/NAME[:TAG]"
            ).add_argument("reference")
    return top


def _session(http: Http, registry: reference.Registry) -> Session:
    return Session(http, registry, credentials.get(registry.host))


def _registry(text: str | None) -> reference.Registry:
    if not text:
        raise CliError("no registry given (argument or V1REG_REGISTRY)")
    return reference.registry(text)


def login(args, http: Http) -> None:
    registry = _registry(args.registry)
    username = args.username or _prompt("Username: ", input)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = _prompt("Password: ", getpass.getpass)
    session = Session(http, registry, (username, password))
    response = session.http.request("GET", registry.url + "/v1/users/", what="login",
                                    auth=(username, password))
    if response.status_code == 403:
        raise CliError(f"{registry.host}: account {username} is not active")
    session.check(response, (200,), f"login to {registry.host}",
                  not_found=f"{registry.host} has no user accounts (GET /v1/users/ is 404)")
    credentials.save(registry.host, username, password)
    print("Login Succeeded", file=sys.stderr)


def _prompt(text: str, read) -> str:
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for credentials: use -u and --password-stdin")
    return read(text)


def logout(args, http: Http) -> None:
    registry = _registry(args.registry)
    if not credentials.remove(registry.host):
        raise CliError(f"not logged in to {registry.host}")
    print(f"Removed login credentials for {registry.host}", file=sys.stderr)


def _progress(args) -> Progress:
    return Progress(sys.stderr, enabled=not args.quiet and sys.stderr.isatty())


def push(args, http: Http) -> None:
    ref = reference.parse(args.reference)
    image_id = pushing.push(_session(http, ref.registry), ref, args.archive, _progress(args),
                            jobs=args.jobs, compress_level=args.compress_level,
                            multipart_over=args.multipart_over)
    if not args.quiet:
        print(f"pushed {ref} ({image_id[:12]})", file=sys.stderr)


def pull(args, http: Http) -> None:
    ref = reference.parse(args.reference)
    if not args.output and sys.stdout.isatty():
        raise CliError("refusing to write a tarball to a terminal: use -o FILE or a pipe")
    session = _session(http, ref.registry)
    if not args.output:
        image_id = pulling.pull(session, ref, sys.stdout.buffer, _progress(args),
                                jobs=args.jobs, cache_dir=args.cache_dir)
    else:
        tmp = args.output + ".v1reg-tmp"
        try:
            with open(tmp, "wb") as out:
                image_id = pulling.pull(session, ref, out, _progress(args), jobs=args.jobs,
                                        cache_dir=args.cache_dir)
            os.replace(tmp, args.output)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    if not args.quiet:
        print(f"pulled {ref} ({image_id[:12]})", file=sys.stderr)


def tags(args, http: Http) -> None:
    ref = reference.parse(args.reference)
    found = _session(http, ref.registry).call(
        "GET", f"/repositories/{ref.library_name}/tags", f"tags of {ref}",
        not_found=f"repository {ref.name} not found on {ref.registry.host}").json()
    for tag, image_id in sorted(found.items()):
        print(f"{tag}\t{image_id}")


def search(args, http: Http) -> None:
    registry = _registry(args.registry)
    found = _session(http, registry).index(
        "GET", "/search", f"search {registry.host}", params={"q": args.term, "n": args.limit},
        not_found=f"{registry.host} does not offer search").json()
    for result in found.get("results", []):
        print(f"{result.get('name', '')}\t{result.get('star_count', 0)}\t"
              f"{' '.join(str(result.get('description') or '').split())}")


def remove(args, http: Http) -> None:
    ref = reference.parse(args.reference)
    session = _session(http, ref.registry)
    if ref.tag:
        session.call("DELETE", f"/repositories/{ref.library_name}/tags/{ref.tag}", f"rm {ref}",
                     not_found=f"tag {ref.tag} not found in repository {ref.name}")
    else:
        session.call("DELETE", f"/repositories/{ref.library_name}/", f"rm {ref}",
                     not_found=f"repository {ref.name} not found on {ref.registry.host}")
    print(f"deleted {ref}", file=sys.stderr)


def inspect(args, http: Http) -> None:
    ref = reference.parse(args.reference)
    session = _session(http, ref.registry)
    chain = pulling.resolve(session, ref)
    images = [pulling.image_json(session, image_id) for image_id in reversed(chain)]
    print(json.dumps({
        "id": chain[-1],
        "json": json.loads(images[0].json),
        "ancestry": [{"id": image.id, "size": image.size, "checksum": image.checksum}
                     for image in images]}, indent=2))
