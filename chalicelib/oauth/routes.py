"""The OAuth API routes (spec oauth-accounts-api §2, §5.1, §5.2): the authorization page,
the token endpoint, the authorized applications (page and JSON), client registration."""
from chalice import Blueprint

from .. import config, responses
from ..auth import owners
from ..bodies import json_body
from ..errors import forbidden
from ..routing import slash_route
from . import applications, clients, consent, token_endpoint

blueprint = Blueprint(__name__)
PREFIX = "/api/v1.1/o"


def request():
    return blueprint.current_request


@slash_route(blueprint, f"{PREFIX}/authorize/", ["GET"])
def authorize_page():
    return consent.show(request())


@slash_route(blueprint, f"{PREFIX}/authorize/", ["POST"])
def authorize_form():
    return consent.submit(request())


@slash_route(blueprint, f"{PREFIX}/token/", ["POST"])
def token():
    return token_endpoint.answer(config.settings(), request())


@slash_route(blueprint, f"{PREFIX}/applications/", ["GET"])
def applications_page():
    return applications.page(request())


@slash_route(blueprint, f"{PREFIX}/applications/", ["POST"])
def applications_form():
    return applications.submit(request())


@slash_route(blueprint, f"{PREFIX}/grants/", ["GET"])
def list_grants():
    return responses.json_response(applications.listing(owners.password_owner(request())))


@slash_route(blueprint, f"{PREFIX}/grants/{{client_id}}/", ["DELETE"])
def revoke_grant(client_id):
    applications.revoke(owners.password_owner(request()), client_id)
    return responses.empty(204)


@slash_route(blueprint, f"{PREFIX}/clients/", ["POST"])
def register_client():
    """An admin registers an application: `{"name", "redirect_uris": [...], "public"?}` →
    201 with its client_id and, shown this once, its client_secret."""
    if not owners.password_owner(request()).admin:
        raise forbidden("Only an admin may register an application")
    body = json_body(request().raw_body, dict, "Send a JSON object")
    client, secret = clients.register(body.get("name"), body.get("redirect_uris"),
                                      body.get("public", False))
    return responses.json_response({"client_id": client.client_id, "client_secret": secret,
                                    "name": client.name, "redirect_uris": client.redirect_uris,
                                    "public": client.public}, status=201,
                                   headers={"Cache-Control": "no-store"})
