"""The metadata JSON [dr] derives from the pushing client's User-Agent: per tag (§2.19) and
for the repository's last `latest` push (§2.18)."""
import json
import time

from pynamodb.exceptions import UpdateError

from ..store.dynamo import condition_failed, get_or_none
from ..store.models import Repository

UA_FIELDS = {"docker": "docker_version", "go": "docker_go_version",
             "arch": "arch", "kernel": "kernel", "os": "os"}
DEFAULT_METADATA = {"last_update": None, "docker_version": None, "docker_go_version": None,
                    "arch": "amd64", "os": "linux", "kernel": None}


def push_metadata(user_agent: str | None) -> str:
    metadata = dict(DEFAULT_METADATA, last_update=int(time.time()))
    for token in (user_agent or "").split():
        name, _, value = token.partition("/")
        if name in UA_FIELDS and value:
            lowered = name in ("arch", "kernel", "os")
            metadata[UA_FIELDS[name]] = value.lower() if lowered else value
    return json.dumps(metadata)


def metadata_or_default(stored: str | None) -> dict:
    return json.loads(stored) if stored else dict(DEFAULT_METADATA)


def repository_json(name: str) -> dict:
    """`GET /v1/repositories/<name>/json` (§2.18)."""
    repository = get_or_none(Repository, name)
    return metadata_or_default(repository.metadata if repository else None)


def clear_repository_metadata(name: str) -> None:
    try:
        Repository(name).update(actions=[Repository.metadata.remove()],
                                condition=Repository.name.exists())
    except UpdateError as error:
        if not condition_failed(error):
            raise
