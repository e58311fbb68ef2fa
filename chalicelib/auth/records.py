"""User and repository records as auth decisions read them: cached per Lambda container for
`auth_cache_seconds`, so a token request costs no read in the steady state, and a password
change, a deactivation or a repository made private reaches every container within that
bound (tokens are checked against these records on every request)."""
import threading
import time

from .. import config
from ..store.dynamo import get_or_none
from ..store.models import Repository, User

MAX_ENTRIES = 4096


class _Cache:
    def __init__(self):
        self._entries: dict[tuple, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, load):
        ttl = config.settings().auth_cache_seconds
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = load()
        if ttl > 0:
            with self._lock:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (now + ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


cache = _Cache()


def user(username: str) -> User | None:
    return cache.get(("user", username), lambda: get_or_none(User, username))


def repository(name: str) -> Repository | None:
    return cache.get(("repository", name), lambda: get_or_none(Repository, name))
