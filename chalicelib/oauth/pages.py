"""The HTML of the authorize and applications pages, and the headers every page and redirect
of theirs carries (spec oauth-accounts-api §6 "Consent form": never framed, no referrer,
never cached). Every value shown is escaped; forms post back to the page's own path."""
import html
import time

from chalice import Response

from ..auth import scopes
from .authorization import AuthorizationRequest
from .grants import AuthorizedApplication

HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
STYLE = """body{font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em;color:#222}
h1{font-size:1.4em}.host{color:#555;margin-top:-.6em}.flash{background:#fee;padding:.5em}
label{display:block;margin:.6em 0}
input[type=text],input[type=password]{width:100%;padding:.3em;box-sizing:border-box}
button{padding:.4em 1.2em;margin-right:.5em}#authorize{font-weight:bold}li{margin:.3em 0}"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _headers(set_cookie: str | None) -> dict:
    return {**HEADERS, **({"Set-Cookie": set_cookie} if set_cookie else {})}


def page(title: str, body: str, status: int = 200, set_cookie: str | None = None) -> Response:
    document = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width,initial-scale=1">'
                f"<title>{_e(title)}</title><style>{STYLE}</style></head>"
                f"<body>{body}</body></html>")
    return Response(body=document, status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8", **_headers(set_cookie)})


def redirect(location: str, status: int = 303, set_cookie: str | None = None) -> Response:
    """303 after a form POST (RFC 9700 §4.12: never 307), 302 from a GET."""
    return Response(body="", status_code=status, headers={"Location": location,
                                                          **_headers(set_cookie)})


def _hidden(fields: dict) -> str:
    return "".join(f'<input type="hidden" name="{_e(name)}" value="{_e(value)}">'
                   for name, value in fields.items())


def _flash(message: str | None) -> str:
    return f'<p class="flash" id="flash" role="alert">{_e(message)}</p>' if message else ""


def error(message: str, status: int = 400) -> Response:
    return page("Request refused", f"<h1>This request cannot be completed</h1>"
                                   f'<p id="error">{_e(message)}</p>', status)


def sign_in(action: str, fields: dict, flash: str | None, set_cookie: str,
            application: str | None = None) -> Response:
    """The sign-in form; `fields` (hidden) carry the pending request and the CSRF token."""
    purpose = (f"<p>to continue to <b id=\"application-name\">{_e(application)}</b></p>"
               if application else "")
    return page("Sign in", (
        f"<h1>Sign in</h1>{purpose}{_flash(flash)}"
        f'<form method="post" action="{_e(action)}">{_hidden(fields)}'
        '<label>User name <input type="text" name="username" id="username" '
        'autocomplete="username" required></label>'
        '<label>Password <input type="password" name="password" id="password" '
        'autocomplete="current-password" required></label>'
        '<button type="submit" id="sign-in">Sign in</button></form>'), set_cookie=set_cookie)


def consent(action: str, request: AuthorizationRequest, username: str, fields: dict,
            set_cookie: str | None) -> Response:
    """The 2014 consent screen: the application, the redirect host, one line per scope,
    Cancel / Authorize; a link to the applications already authorized."""
    lines = "".join(f'<li class="scope" data-scope="{_e(name)}">{_e(scopes.CONSENT_LINES[name])}'
                    f"</li>" for name in request.scopes)
    name = request.client.name
    return page(f"Authorize {name}?", (
        f'<h1>Authorize <span id="application-name">{_e(name)}</span>?</h1>'
        f'<p class="host" id="redirect-host">{_e(request.redirect_host)}</p>'
        f'<p>Signed in as <b id="username">{_e(username)}</b></p>'
        f"<p>Application requires following permissions:</p><ul id=\"scopes\">{lines}</ul>"
        f'<form method="post" action="{_e(action)}">{_hidden(fields)}'
        '<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button>'
        '<button type="submit" name="decision" value="authorize" id="authorize">Authorize'
        "</button></form>"
        '<p><a href="../applications/" id="applications">Applications you have authorized'
        "</a></p>"), set_cookie=set_cookie)


def applications(action: str, username: str, authorized: list[AuthorizedApplication],
                 csrf_fields, flash: str | None, set_cookie: str | None) -> Response:
    """The applications the user authorized, each with a Revoke button (`csrf_fields(app)`:
    the hidden fields of its form)."""
    items = "".join(
        f'<li class="application" data-client-id="{_e(app.client_id)}"><b>{_e(app.name)}</b>'
        f" (authorized {_e(time.strftime('%Y-%m-%d', time.gmtime(app.authorized_at)))})"
        f'<ul>{"".join(f"<li>{_e(scopes.CONSENT_LINES[s])}</li>" for s in app.scopes)}</ul>'
        f'<form method="post" action="{_e(action)}">{_hidden(csrf_fields(app))}'
        f'<button type="submit" class="revoke">Revoke access</button></form></li>'
        for app in authorized) or "<li>You have not authorized any application.</li>"
    return page("Applications you have authorized", (
        f"<h1>Applications you have authorized</h1>"
        f'<p>Signed in as <b id="username">{_e(username)}</b></p>{_flash(flash)}'
        f'<ul id="authorized">{items}</ul>'), set_cookie=set_cookie)
