"""`GET /v2/<name>/tags/list` and `GET /v2/_catalog` (spec v2-pull §1.6, §1.7): lexical
order (byte-wise, DynamoDB's own order of a tag range key), `n` and `last`, and a `Link` to
the next page when one is left."""
from urllib.parse import urlencode

from ..auth import records
from ..auth.permissions import Principal, may_read
from ..store.models import Repository, Tag
from .errors import V2Error, name_unknown
from .references import Repo

CATALOG_PAGE = 100          # a catalog page without `n`
MAX_PAGE = 1000


def page_size(value: str | None, default: int | None) -> int | None:
    if value is None:
        return default
    if not value.isdigit():
        raise V2Error(400, "PAGINATION_NUMBER_INVALID", "n must be a non-negative integer",
                      detail={"n": value})
    return min(int(value), MAX_PAGE)


def _link(path: str, last: str, size: int) -> dict:
    return {"Link": f'<{path}?{urlencode({"last": last, "n": size})}>; rel="next"'}


def _page(names: list[str], size: int | None, path: str) -> tuple[list[str], dict]:
    """`names`: what follows `last`, one more than a page when there is more."""
    if size is not None and len(names) > size:
        names = names[:size]
        return names, _link(path, names[-1], size) if names else {}
    return names, {}


def tags(repo: Repo, size: int | None, last: str | None) -> tuple[dict, dict]:
    if size == 0:
        return {"name": repo.path, "tags": []}, {}
    condition = Tag.tag > last if last else None
    found = [item.tag for item in Tag.query(
        repo.name, condition, attributes_to_get=["repository", "tag"],
        limit=size + 1 if size is not None else None)]
    if not found and not last:
        repository = records.repository(repo.name)
        if repository is None or not repository.live:
            raise name_unknown(repo.path)
    page, headers = _page(found, size, f"/v2/{repo.path}/tags/list")
    return {"name": repo.path, "tags": page}, headers


def catalog(principal: Principal, size: int, last: str | None) -> tuple[dict, dict]:
    """The repositories the caller may pull. A scan, like /v1/search: fine for a registry of
    thousands of repositories."""
    names = sorted(repository.name for repository in Repository.scan(
        attributes_to_get=["name", "namespace", "private", "deleting"])
        if may_read(principal, repository))
    following = [name for name in names if last is None or name > last][:size + 1]
    page, headers = _page(following, size, "/v2/_catalog")
    return {"repositories": page}, headers
