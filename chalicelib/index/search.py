"""`GET /v1/search?q=&n=&page=` (spec §3.11, §5.6): repositories the caller may read."""
import math

from ..auth.permissions import Principal, may_read
from ..errors import bad_request
from ..names import LIBRARY
from ..store.models import Repository

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


def _positive(value: str | None, default: int, name: str, maximum: int | None = None) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"{name} must be an integer")
    if number < 1 or (maximum is not None and number > maximum):
        limit = f"1 to {maximum}" if maximum else "at least 1"
        raise bad_request(f"{name} must be {limit}")
    return number


def _display_name(name: str) -> str:
    namespace, _, repository = name.partition("/")
    return repository if namespace == LIBRARY else name


def search(principal: Principal, query: str, size: str | None, page: str | None) -> dict:
    """Substring match on the name. A scan: fine for a registry of thousands of
    repositories; a larger one would keep a search index instead."""
    page_size = _positive(size, DEFAULT_PAGE_SIZE, "n", MAX_PAGE_SIZE)
    page_number = _positive(page, 1, "page")
    term = query.strip().lower()
    if term.startswith(LIBRARY + "/"):
        term = term[len(LIBRARY) + 1:]
    found = sorted((repository for repository in Repository.scan(
                        attributes_to_get=["name", "namespace", "private"])
                    if term in repository.name and may_read(principal, repository)),
                   key=lambda repository: repository.name)
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
