"""`GET` and `POST /api/v1.1/o/authorize/` (spec oauth-accounts-api §2.1, §5.1, §6 "Consent
form"): sign-in when there is no session, then the consent screen; the user's choice goes
back to the client's redirect URI with a code or `error=access_denied`, and the state.

    GET   bad client_id / redirect_uri → error page (400); other bad request → 302 with error;
          not signed in → the sign-in form; signed in → the consent form
    POST  a form's CSRF token (bound to the session, the form and the request's parameters)
          must match, else an error page (403); then 303: after sign-in back to the GET,
          after Cancel / Authorize to the client
"""
from urllib.parse import urlencode

from chalice import Response

from .. import config
from . import codes, pages, sessions, web
from .authorization import AuthorizationRequest, PageError, RedirectError, parse

CONSENT = "consent"


def show(request) -> Response:
    settings = config.settings()
    query = request.query_params
    try:
        pending = parse({name: query.getlist(name) for name in query} if query else {})
    except PageError as problem:
        return pages.error(str(problem))
    except RedirectError as refused:
        return pages.redirect(refused.location, 302)
    session = sessions.read(settings, request)
    user, reason = web.signed_in(session)
    if user is None:
        return web.sign_in_form(settings, request, session, reason, pending.params,
                                application=pending.client.name)
    fields = {**pending.params, "form": CONSENT,
              "csrf": sessions.csrf_token(settings, session, CONSENT, pending.params)}
    return pages.consent(web.path(request), pending, user.username, fields,
                         web.flash_cookie(settings, request, session))


def submit(request) -> Response:
    settings = config.settings()
    fields = web.form_fields(request)
    if fields is None:
        return pages.error("The form was not sent as a form.")
    try:
        pending = parse(fields)
    except PageError as problem:
        return pages.error(str(problem))
    except RedirectError as refused:
        return pages.redirect(refused.location)
    session = sessions.read(settings, request)
    form = web.field(fields, "form")
    if form not in (web.SIGN_IN, CONSENT) or not sessions.csrf_ok(
            settings, session, form, pending.params, web.field(fields, "csrf")):
        return pages.error(web.EXPIRED, 403)
    back = f"{web.path(request)}?{urlencode(pending.params)}"
    if form == web.SIGN_IN:
        return web.sign_in_post(settings, request, session, fields, back)
    user, _ = web.signed_in(session)
    if user is None:            # signed out or deactivated meanwhile: the GET says which
        return pages.redirect(back)
    return _decide(pending, user.username, web.field(fields, "decision"))


def _decide(pending: AuthorizationRequest, username: str, decision: str) -> Response:
    if decision == "cancel":
        return pages.redirect(pending.answer(error="access_denied",
                                             error_description="The user denied access"))
    if decision == "authorize":
        return pages.redirect(pending.answer(code=codes.issue(pending, username)))
    return pages.error("Choose Cancel or Authorize.")
