"""Records kept in a Lambda container's memory between requests, per kind: for a bounded
time (`ttl`, seconds, read at each use) where a record may change, or for good where it
cannot (a complete image never changes). `clear_all` forgets everything (tests: a cold
container)."""
import threading
import time
from collections.abc import Callable

MAX_ENTRIES = 4096
_ALL: list["Memo"] = []


class Memo:
    def __init__(self, ttl: Callable[[], int] | None = None,
                 keep: Callable[[object], bool] = lambda value: value is not None):
        self._ttl, self._keep = ttl, keep
        self._entries: dict[tuple, tuple[float, object]] = {}
        self._lock = threading.Lock()
        _ALL.append(self)

    def get(self, key: tuple, load: Callable[[], object]):
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = load()
        ttl = self._ttl() if self._ttl else float("inf")
        if ttl > 0 and self._keep(value):
            with self._lock:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (now + ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def clear_all() -> None:
    for memo in _ALL:
        memo.clear()
