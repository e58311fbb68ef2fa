"""`GET`/`HEAD /v2/<name>/blobs/<digest>` (spec v2-pull §1.5, §6.1, §6.9): a blob is served
only through a repository that holds it (one read of its content); its bytes come from S3
through a presigned GET the client follows (307; a Range goes along), never through the
function. HEAD is answered here. A manifest's digest is served here too (containerd asks
under /blobs/ when /manifests/ has no such digest)."""
from ..config import Settings
from ..store import s3
from ..store.dynamo import get_or_none
from ..store.models import Content
from .errors import blob_unknown
from .references import Repo


def find(repo: Repo, digest: str) -> Content:
    row = get_or_none(Content, repo.name, digest)
    if row is None:
        raise blob_unknown(digest)
    return row


def url(settings: Settings, digest: str) -> str:
    return s3.presigned_get(settings, digest)
