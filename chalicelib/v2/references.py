"""Names, tags and digests in v2 paths (spec v2-pull §1.3). `<name>` has one or two
components here: `repo` is the v1 `library/repo`, `ns/repo` itself; both must also pass the
OCI name grammar (some v1 names do not: NAME_INVALID)."""
import re
from dataclasses import dataclass
from urllib.parse import unquote

from .. import names
from ..errors import ApiError
from .errors import V2Error

OCI_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*")
DIGEST = re.compile(r"sha256:[a-f0-9]{64}")


@dataclass(frozen=True)
class Repo:
    name: str        # the v1 repository, "ns/repo" (library/repo for a one-part path)
    path: str        # as the client wrote it, for the scope it asks a token for


def repository(path: str) -> Repo:
    """`ns/repo` or `repo`; 400 NAME_INVALID for anything else."""
    parts = unquote(path).split("/")
    try:
        name = names.repository(*parts) if 1 <= len(parts) <= 2 else None
    except ApiError:
        name = None
    if name is None or not all(OCI_COMPONENT.fullmatch(part) for part in parts):
        raise V2Error(400, "NAME_INVALID", "invalid repository name", detail={"name": path})
    return Repo(name, "/".join(parts))


def digest(value: str) -> str:
    value = unquote(value)
    if not DIGEST.fullmatch(value):
        raise V2Error(400, "DIGEST_INVALID", "only sha256:<64 lowercase hex> digests here",
                      detail={"digest": value})
    return value


def is_digest(reference: str) -> bool:
    return ":" in unquote(reference)


def tag(value: str) -> str:
    value = unquote(value)
    if not names.TAG.fullmatch(value):
        raise V2Error(400, "TAG_INVALID", "invalid tag", detail={"tag": value})
    return value
