"""`GET /v1/search?q=&n=&page=` (spec §3.11, §5.6): repositories the caller may read whose
name, or repository part, starts with the term (`team/we` finds `team/web`; `web` finds
`team/web` and `library/web-tools`; `team` finds every repository of `team`).

Served from the repositories' search indexes (store/models.py: one partition per first
character, sorted by the name and by the repository part), so a search reads the records
that match, never the whole table, and at most MAX_MATCHES of them per index: a term
matching more counts and pages through the first MAX_MATCHES, by name. What the caller may
not read is dropped before anything is counted (permissions.may_read)."""
import math
import re

from ..auth.permissions import Principal, may_read
from ..errors import bad_request
from ..names import LIBRARY
from ..store.models import Repository

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_MATCHES = 500                # five pages of the largest size (Quay stops at five)
TERM = re.compile(r"[a-z0-9_./-]*")              # the characters of names (names.py)
INITIALS = "0123456789abcdefghijklmnopqrstuvwxyz"  # what a name starts with, in name order


def _positive(value: str | None, default: int, name: str, maximum: int) -> int:
    if value is None or value == "":
        return default
    if not (value.isascii() and value.isdigit()):
        raise bad_request(f"{name} must be an integer")
    if len(value) > len(str(maximum)) or not 1 <= int(value) <= maximum:
        raise bad_request(f"{name} must be 1 to {maximum}")
    return int(value)


def _display_name(name: str) -> str:
    namespace, _, repository = name.partition("/")
    return repository if namespace == LIBRARY else name


def _matches(term: str) -> list[Repository]:
    """Repositories whose name or repository part starts with `term` (some twice)."""
    if not TERM.fullmatch(term):
        return []                                 # no name holds such a character
    if not term:                                  # every name, in order
        found = []
        for initial in INITIALS:
            found += Repository.by_name.query(initial, limit=MAX_MATCHES - len(found))
            if len(found) == MAX_MATCHES:
                break
        return found
    found = list(Repository.by_name.query(term[0], Repository.name.startswith(term),
                                          limit=MAX_MATCHES))
    if "/" not in term:
        found += Repository.by_part.query(term[0], Repository.part.startswith(term),
                                          limit=MAX_MATCHES)
    return found


def search(principal: Principal, query: str, size: str | None, page: str | None) -> dict:
    page_size = _positive(size, DEFAULT_PAGE_SIZE, "n", MAX_PAGE_SIZE)
    page_number = _positive(page, 1, "page", MAX_MATCHES)
    term = query.strip().lower().removeprefix(LIBRARY + "/")
    readable = {repository.name: repository for repository in _matches(term)
                if may_read(principal, repository)}
    found = [readable[name] for name in sorted(readable)][:MAX_MATCHES]
    start = (page_number - 1) * page_size
    return {
        "query": query,
        "num_results": len(found),
        "num_pages": math.ceil(len(found) / page_size),
        "page": page_number,
        "page_size": page_size,
        "results": [{"name": _display_name(repository.name), "description": "",
                     "star_count": 0, "is_official": repository.namespace == LIBRARY,
                     "is_automated": False, "is_trusted": False}
                    for repository in found[start:start + page_size]],
    }
