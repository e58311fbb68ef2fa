"""Login throttling: failed password checks counted in DynamoDB per user name and
per source address; past the limit within the window, 429 with Retry-After."""
import time

from pynamodb.exceptions import PutError, UpdateError

from ..config import Settings
from ..errors import ApiError
from ..store.dynamo import condition_failed, get_or_none
from ..store.models import LoginFailure


def _limits(settings: Settings, username: str, source: str | None) -> dict[str, int]:
    limits = {f"user:{username}": settings.login_max_failures}
    if source:
        limits[f"source:{source}"] = settings.login_max_failures_per_source
    return limits


def check(settings: Settings, username: str, source: str | None) -> None:
    """Raise 429 while the user name or the source address is locked out."""
    now = int(time.time())
    for key, limit in _limits(settings, username, source).items():
        record = get_or_none(LoginFailure, key)
        if record is None:
            continue
        reopens = int(record.window_start) + settings.login_window_seconds
        if record.failures >= limit and reopens > now:
            raise ApiError(429, "Too many failed logins, retry later",
                           {"Retry-After": str(reopens - now)})


def record_failure(settings: Settings, username: str, source: str | None) -> None:
    for key in _limits(settings, username, source):
        _count(key, settings.login_window_seconds)


def _count(key: str, window: int) -> None:
    """Add one failure to the open window, or open a new one (atomic either way)."""
    for _ in range(3):
        now = int(time.time())
        try:
            LoginFailure(key).update(actions=[LoginFailure.failures.add(1)],
                                     condition=LoginFailure.window_start > now - window)
            return
        except UpdateError as error:
            if not condition_failed(error):
                raise
        try:
            LoginFailure(key, window_start=now, failures=1, expires_at=now + window).save(
                condition=LoginFailure.key.does_not_exist()
                | (LoginFailure.window_start <= now - window))
            return
        except PutError as error:
            if not condition_failed(error):
                raise


def clear_user(username: str) -> None:
    """A correct password ends the user name's lockout window (not the source's)."""
    LoginFailure(f"user:{username}").delete()
