"""Counting what an attacker repeats, in DynamoDB, and refusing past a limit with 429 +
Retry-After. Failed password checks count per (user, source), per source (any user name,
malformed ones too) and per user across sources; the per-source and per-user limits spare
the sources the user logged in from recently (`trusted`), so a stranger cannot lock an
owner out of the address they usually succeed from. Accounts created count per source."""
import time

from pynamodb.exceptions import PutError, UpdateError

from ..config import Settings
from ..errors import ApiError
from ..store.dynamo import condition_failed
from ..store.models import LoginFailure

REGISTRATION_WINDOW = 3600


def _pair(username: str, source: str) -> str:
    return f"pair:{username}|{source}"


def _login_limits(settings: Settings, username: str | None, source: str,
                  trusted: bool) -> dict[str, int]:
    """The counters a login attempt is held to; a source the user logged in from recently
    (`trusted`) only by its own (user, source) pair, so neither a stranger's failures for
    the user elsewhere nor a neighbour's behind the same address lock the user out."""
    limits = {} if username is None else {_pair(username, source): settings.login_max_failures}
    if not trusted:
        limits[f"source:{source}"] = settings.login_max_failures_per_source
        if username is not None:
            limits[f"user:{username}"] = settings.login_max_failures_per_user
    return limits


def check_login(settings: Settings, username: str | None, source: str, trusted: bool) -> None:
    """429 while this (user, source), this source or (from an untrusted source) this user
    is locked out; `username` None for a name that cannot exist."""
    _check(_login_limits(settings, username, source, trusted), settings.login_window_seconds,
           "Too many failed logins, retry later")


def record_login_failure(settings: Settings, username: str | None, source: str) -> None:
    for key in _login_limits(settings, username, source, trusted=False):
        _count(key, settings.login_window_seconds)


def clear_login_failures(username: str, source: str) -> None:
    """A correct password ends this pair's lockout window (not the source's or the user's)."""
    LoginFailure(_pair(username, source)).delete()


def check_registration(settings: Settings, source: str) -> None:
    _check({f"register:{source}": settings.registrations_per_source}, REGISTRATION_WINDOW,
           "Too many accounts created from this address, retry later")


def record_registration(source: str) -> None:
    _count(f"register:{source}", REGISTRATION_WINDOW)


def _check(limits: dict[str, int], window: int, message: str) -> None:
    now = int(time.time())
    for record in LoginFailure.batch_get(list(limits)):
        reopens = int(record.window_start) + window
        if record.failures >= limits[record.key] and reopens > now:
            raise ApiError(429, message, {"Retry-After": str(reopens - now)})


def _count(key: str, window: int) -> None:
    """Add one to the open window, or open a new one (atomic either way)."""
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
