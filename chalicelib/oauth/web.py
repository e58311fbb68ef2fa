"""What the two HTML pages (authorize, applications) share: the path their forms post to,
the form body, the signed-in account, and the sign-in form and its POST."""
from urllib.parse import parse_qs

from chalice import Response

from .. import origin
from ..config import Settings
from ..store.dynamo import get_or_none
from ..store.models import User
from . import pages, sessions

SIGN_IN = "sign_in"
FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 30
EXPIRED = "This form has expired or did not come from this site. Go back and start again."


def path(request) -> str:
    """The path the browser used (with the stage prefix, if any): forms post back to it."""
    return (request.context or {}).get("path") or request.path


def form_fields(request) -> dict[str, list[str]] | None:
    """A form POST's fields, None when the body is not a form."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != FORM:
        return None
    try:
        return parse_qs((request.raw_body or b"").decode("utf-8"), keep_blank_values=True,
                        max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return None


def field(fields: dict[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0]


def signed_in(session: sessions.Session | None) -> tuple[User | None, str | None]:
    """The session's account if it may act (exists, is active); else why not, if known."""
    if session is None or session.username is None:
        return None, None
    user = get_or_none(User, session.username, consistent_read=True)
    if user is None or not user.active:
        return None, "This account is not active."
    return user, None


def sign_in_form(settings: Settings, request, session: sessions.Session | None,
                 reason: str | None, params: dict, application: str | None = None) -> Response:
    """The sign-in form for a visitor (a fresh session when there is none, or when its account
    may not act); its CSRF token binds the session and `params` (what the page is about)."""
    shown = sessions.new(settings) if session is None or reason else session
    flash = reason or shown.flash
    shown = sessions.with_flash(shown, None)
    fields = {**params, "form": SIGN_IN,
              "csrf": sessions.csrf_token(settings, shown, SIGN_IN, params)}
    return pages.sign_in(path(request), fields, flash,
                         sessions.cookie(settings, shown, origin.https(request)), application)


def sign_in_post(settings: Settings, request, session: sessions.Session,
                 fields: dict[str, list[str]], back: str) -> Response:
    """Sign in (a new session) or keep why not for the next page; 303 to `back` either way."""
    source = ((request.context or {}).get("identity") or {}).get("sourceIp")
    session = sessions.sign_in(settings, session, field(fields, "username"),
                               field(fields, "password"), source)
    cookie = sessions.cookie(settings, session, origin.https(request))
    return pages.redirect(back, set_cookie=cookie)


def flash_cookie(settings: Settings, request, session: sessions.Session) -> str | None:
    """The cookie that clears a message once shown (None: nothing to clear)."""
    if session.flash is None:
        return None
    return sessions.cookie(settings, sessions.with_flash(session, None), origin.https(request))
