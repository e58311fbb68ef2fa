"""The applications a user authorized, and revoking one (spec oauth-accounts-api §7.11): a
page (`/api/v1.1/o/applications/`, the browser session, linked from the consent screen) and
JSON (`/api/v1.1/o/grants/`, the user's password). Revoking ends the consent and every
token issued under it: the access tokens are refused from their next request on."""
from chalice import Response

from .. import config, origin
from ..errors import not_found
from ..store.models import User
from . import clients, grants, pages, sessions, web

REVOKE = "revoke"


def page(request) -> Response:
    settings = config.settings()
    session = sessions.read(settings, request)
    user, reason = web.signed_in(session)
    if user is None:
        return web.sign_in_form(settings, request, session, reason, {})

    def revoke_fields(application: grants.AuthorizedApplication) -> dict:
        about = {"client_id": application.client_id}
        return {**about, "form": REVOKE,
                "csrf": sessions.csrf_token(settings, session, REVOKE, about)}
    return pages.applications(web.path(request), user.username,
                              grants.authorized_applications(user.username), revoke_fields,
                              session.flash, web.flash_cookie(settings, request, session))


def submit(request) -> Response:
    settings = config.settings()
    fields = web.form_fields(request) or {}
    session = sessions.read(settings, request)
    form = web.field(fields, "form")
    about = {"client_id": web.field(fields, "client_id")} if form == REVOKE else {}
    if form not in (web.SIGN_IN, REVOKE) or not sessions.csrf_ok(
            settings, session, form, about, web.field(fields, "csrf")):
        return pages.error(web.EXPIRED, 403)
    back = web.path(request)
    if form == web.SIGN_IN:
        return web.sign_in_post(settings, request, session, fields, back)
    user, _ = web.signed_in(session)
    if user is None:
        return pages.redirect(back)
    client = clients.find(about["client_id"])
    grants.revoke_application(user.username, about["client_id"])
    message = f"Access of {client.name if client else 'the application'} revoked."
    return pages.redirect(back, set_cookie=sessions.cookie(
        settings, sessions.with_flash(session, message), origin.https(request)))


def listing(user: User) -> list[dict]:
    """`GET /api/v1.1/o/grants/`."""
    return [{"client_id": app.client_id, "name": app.name, "scope": " ".join(app.scopes),
             "authorized_at": app.authorized_at}
            for app in grants.authorized_applications(user.username)]


def revoke(user: User, client_id: str) -> None:
    """`DELETE /api/v1.1/o/grants/<client_id>/`: 404 when nothing was authorized."""
    if clients.find(client_id) is None or not grants.revoke_application(user.username, client_id):
        raise not_found("No authorization of this application")
