"""The Accounts API routes (spec oauth-accounts-api §4): a user's profile and addresses, for
that user only (`auth.owners`: Basic password, or Bearer with the endpoint's scope). Bodies
are JSON or form-encoded (§4.0)."""
from urllib.parse import parse_qsl

from chalice import Blueprint

from .. import origin, responses
from ..auth import owners
from ..auth.scopes import EMAIL_READ, EMAIL_WRITE, PROFILE_READ, PROFILE_WRITE
from ..bodies import json_body
from ..errors import bad_request
from ..routing import slash_route
from . import emails, profiles

blueprint = Blueprint(__name__)
USER = "/api/v1.1/users/{username}/"
FORM = "application/x-www-form-urlencoded"


def request():
    return blueprint.current_request


def fields() -> dict:
    """The request body's fields: a JSON object, or a form (each field once)."""
    content_type = (request().headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != FORM:
        return json_body(request().raw_body, dict, "Send a JSON object", empty={})
    body = request().raw_body or b""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise bad_request("Malformed form body")
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise bad_request("A form field given twice")
    return dict(pairs)


def user_object(user):
    return responses.json_response(profiles.user_object(user, origin.base_url(request())))


@slash_route(blueprint, USER, ["GET"])
def get_user(username):
    return user_object(owners.owner(request(), username, PROFILE_READ))


@slash_route(blueprint, USER, ["PATCH"])
def update_user(username):
    user = owners.owner(request(), username, PROFILE_WRITE)
    profiles.update(user, fields())
    return user_object(user)


@slash_route(blueprint, USER + "emails/", ["GET"])
def list_emails(username):
    return responses.json_response(emails.listing(owners.owner(request(), username, EMAIL_READ)))


@slash_route(blueprint, USER + "emails/", ["POST"])
def add_email(username):
    user = owners.owner(request(), username, EMAIL_WRITE)
    return responses.json_response(emails.add(user, fields().get("email")), status=201)


@slash_route(blueprint, USER + "emails/", ["DELETE"])
def delete_email(username):
    """The address in the body (JSON or form) or in `?email=` (§7.15)."""
    user = owners.owner(request(), username, EMAIL_WRITE)
    in_query = (request().query_params or {}).get("email")
    in_body = fields().get("email")
    if in_query is not None and in_body is not None and in_query != in_body:
        raise bad_request("Name one address: in the body or in ?email=, not two")
    emails.delete(user, in_body if in_body is not None else in_query)
    return responses.empty(204)
