"""The browser's session on the authorize and applications pages: a cookie signed with the
key ring (HttpOnly, SameSite=Lax, Secure over HTTPS), valid REGISTRY_OAUTH_SESSION_SECONDS.
A visitor has one from the first page on, signed in or not, so that every form (the sign-in
form too) carries a CSRF token bound to the session and to what the form is about."""
import json
import secrets
import time
from dataclasses import dataclass, replace
from http.cookies import CookieError, SimpleCookie

from ..auth import accounts, signed
from ..config import Settings
from ..errors import ApiError

COOKIE = "oauth_session"
PATH = "/api/v1.1/o/"
PURPOSE = "oauth-session"
CSRF_PURPOSE = "oauth-csrf"


@dataclass(frozen=True)
class Session:
    sid: str                      # random; a new one on sign-in (no session fixation)
    expires: int
    username: str | None = None
    flash: str | None = None      # a message for the next page shown


def new(settings: Settings, username: str | None = None) -> Session:
    return Session(secrets.token_urlsafe(16), int(time.time()) + settings.oauth_session_seconds,
                   username)


def read(settings: Settings, request) -> Session | None:
    """The request's session, None if it has none that is signed and unexpired."""
    try:
        morsel = SimpleCookie(request.headers.get("cookie") or "").get(COOKIE)
    except CookieError:
        return None
    payload = signed.unsign(settings, PURPOSE, morsel.value) if morsel else None
    if payload is None:
        return None
    try:
        session = Session(**json.loads(payload))
    except (TypeError, ValueError):          # signed by us, in a format of another version
        return None
    return session if session.expires > time.time() else None


def cookie(settings: Settings, session: Session, https: bool) -> str:
    """The Set-Cookie value that stores `session` in the browser."""
    value = signed.sign(settings, PURPOSE, json.dumps(session.__dict__).encode())
    max_age = max(0, session.expires - int(time.time()))
    return (f"{COOKIE}={value}; Path={PATH}; Max-Age={max_age}; HttpOnly; SameSite=Lax"
            + ("; Secure" if https else ""))


def with_flash(session: Session, message: str | None) -> Session:
    return replace(session, flash=message)


def _csrf_message(session: Session, form: str, params: dict) -> bytes:
    return json.dumps([session.sid, form, sorted(params.items())]).encode()


def csrf_token(settings: Settings, session: Session, form: str, params: dict) -> str:
    """The token a `form` about `params` (the pending request, the application to revoke)
    carries in this session."""
    return signed.mac(settings, CSRF_PURPOSE, _csrf_message(session, form, params))


def csrf_ok(settings: Settings, session: Session | None, form: str, params: dict,
            token: str | None) -> bool:
    return (session is not None and bool(token)
            and signed.mac_matches(settings, CSRF_PURPOSE, _csrf_message(session, form, params),
                                   token))


def sign_in(settings: Settings, session: Session, username: str, password: str,
            source: str | None) -> Session:
    """A new signed-in session, or `session` with a message saying why not (the same checks,
    bcrypt and throttling as docker login: auth/accounts.py)."""
    try:
        user = accounts.authenticate(settings, username, password, source)
    except ApiError as refused:
        return with_flash(session, _refusal(refused))
    return new(settings, user.username)


def _refusal(refused: ApiError) -> str:
    if refused.status == 429:
        return (f"Too many failed sign-ins. Try again in "
                f"{refused.headers.get('Retry-After', 'a few')} seconds.")
    if refused.status == 403:
        return "This account is not active."
    if refused.status == 401:
        return "Wrong user name or password."
    return refused.message
