"""The Index (Hub) v1 routes (spec §3): accounts, repositories, image lists, tokens, search."""
from chalice import Blueprint

from .. import config, responses
from ..auth import callers
from ..auth.permissions import DELETE, READ, WRITE
from ..routing import repository_route, route
from . import image_lists, repositories, search, users

blueprint = Blueprint(__name__)


def request():
    return blueprint.current_request


def index_headers(principal, name: str, access: str) -> dict:
    """`X-Docker-Endpoints` always; a token only when asked with `X-Docker-Token: true` (§4.1)."""
    domain_name = (request().context or {}).get("domainName")
    headers = {"X-Docker-Endpoints": image_lists.endpoints(domain_name)}
    if (request().headers.get("X-Docker-Token") or "").lower() == "true":
        token = callers.issue_token(principal, name, access)
        headers.update({"X-Docker-Token": token, "WWW-Authenticate": f"Token {token}"})
    return headers


# ---- repositories and their image lists (§3.4–3.9, §2.20) ----

@repository_route(blueprint, "", ["PUT"], WRITE, guarded=True, deep=True)
def put_repository(name, principal):
    image_lists.start_push(name, request().raw_body)
    return responses.json_response("", headers=index_headers(principal, name, WRITE))


@repository_route(blueprint, "", ["DELETE"], DELETE, guarded=True)
def delete_repository(name, principal):
    repositories.delete(name)
    return responses.json_response(True, headers=index_headers(principal, name, DELETE))


@repository_route(blueprint, "/images", ["PUT"], WRITE, guarded=True, deep=True)
def put_repository_images(name, principal):
    image_lists.finish_push(name, request().raw_body)
    return responses.empty(204, index_headers(principal, name, WRITE))


@repository_route(blueprint, "/images", ["GET"], READ, deep=True)
def get_repository_images(name, principal):
    return responses.json_response(image_lists.image_list(name),
                                   headers=index_headers(principal, name, READ))


@repository_route(blueprint, "/auth", ["PUT"], None, guarded=True)
def put_repository_auth(name, _principal):
    callers.token_for(request(), name)
    repositories.get(name)
    return responses.json_response("OK")


@repository_route(blueprint, "/properties", ["GET"], READ)
def get_repository_properties(name, _reader):
    return responses.json_response(repositories.properties(name))


@repository_route(blueprint, "/properties", ["PUT"], WRITE, guarded=True)
def put_repository_properties(name, _writer):
    repositories.set_properties(name, request().raw_body)
    return responses.json_response(True)


# ---- accounts and search (§3.1–3.3, §3.11) ----

@route(blueprint, "/v1/users", ["POST"])
def create_user():
    users.create(config.settings(), request().raw_body, callers.source_of(request()))
    return responses.json_response("User Created", status=201)


@route(blueprint, "/v1/users", ["GET"])
def login():
    callers.login(request())
    return responses.json_response("OK")


@route(blueprint, "/v1/users/{username}", ["PUT"], guarded=True)
def update_user(username):
    principal = callers.account(request(), username)
    users.update(config.settings(), username, request().raw_body, by_admin=principal.admin)
    return responses.empty(204)


@route(blueprint, "/v1/search", ["GET"])
def search_repositories():
    principal = callers.identify(request())
    query = request().query_params or {}
    return responses.json_response(search.search(
        principal, query.get("q", ""), query.get("n"), query.get("page")))
