"""How the API blueprints declare routes: one decorator per kind of path, so every handler
starts from validated names and an authorized caller (spec §4.11, §4.12, §4.22).

    @repository_route(blueprint, "/tags/{tag}", ["GET"], READ)
    def get_tag(name, principal, tag): ...

registers the view on `/v1/repositories/{namespace}/{repository}/tags/{tag}` and on the
library form `/v1/repositories/{namespace}/tags/{tag}`, and calls it with the validated
`ns/repo` name and the caller allowed to `READ` it. With `deep=True` a name of three
components (docker 1.8+ sends `a/b/c`, which v1 cannot hold) is routed too, to a 400.
"""
import functools
import logging

from chalice import Blueprint

from . import faults, names, responses
from .auth import callers, gateway
from .errors import ApiError, bad_request, not_found

ANY = ["*/*"]      # docker sends octet-stream, json and no Content-Type at all
log = logging.getLogger(__name__)


def route(blueprint: Blueprint, path: str, methods: list[str], guarded: bool = False):
    """A Chalice route taking any body; `guarded` routes run the authorizer first. An
    unexpected exception is logged with its request id and answered
    `500 {"error": "Internal server error"}` (§1.3), never Chalice's own body; S3 or
    DynamoDB busy or out of reach (faults.py) is `503` with Retry-After."""
    def register(view):
        @functools.wraps(view)
        def handler(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except ApiError:
                raise
            except Exception as error:
                request = blueprint.current_request
                where = ((request.context or {}).get("requestId"), request.method,
                         (request.context or {}).get("path", request.path))
                if faults.transient(error):
                    log.warning("AWS unavailable in request %s (%s %s): %r", *where, error)
                    raise faults.unavailable()
                log.exception("Internal error in request %s (%s %s)", *where)
                raise ApiError(500, "Internal server error")
        blueprint.route(path, methods=methods, content_types=ANY,
                        authorizer=gateway.credentials if guarded else None)(handler)
        return view
    return register


def repository_route(blueprint: Blueprint, suffix: str, methods: list[str],
                     action: str | None, guarded: bool = False, deep: bool = False):
    """`/v1/repositories/<ns>/<repo><suffix>` and its library form; the view gets
    `(name, principal, **params)`, a `tag` parameter validated. `action` None: the view
    checks the caller itself. `deep`: `/v1/repositories/<a>/<b>/<c><suffix>` answers
    400 "Invalid repository name" (§4.11; Chalice has no greedy parameter, and without a
    route it would be a 404 "Not found")."""
    def register(view):
        @functools.wraps(view)
        def handler(namespace, repository=None, **params):
            name = names.repository(namespace, repository)
            if "tag" in params:
                params["tag"] = names.tag(params["tag"])
            request = blueprint.current_request
            principal = callers.authorize(request, action, name) if action else None
            return view(name, principal, **params)
        route(blueprint, "/v1/repositories/{namespace}/{repository}" + suffix, methods,
              guarded)(handler)
        route(blueprint, "/v1/repositories/{namespace}" + suffix, methods, guarded)(handler)
        if deep:
            route(blueprint, "/v1/repositories/{namespace}/{repository}/{component}" + suffix,
                  methods, guarded)(_three_components)
        return view
    return register


def _three_components(**_params):
    raise bad_request("Invalid repository name")


def image_route(blueprint: Blueprint, suffix: str, methods: list[str], action: str,
                guarded: bool = False, immutable: bool = False):
    """`/v1/images/<id><suffix>`; the view gets `(image_id, scope)`: where the caller may
    `action` the image (permissions.ImageScope: its namespace and the token's repository).

    `immutable`: the resource never changes once complete (§4.18), so a request carrying
    If-Modified-Since is answered 304 once the view has found it."""
    def register(view):
        @functools.wraps(view)
        def handler(image_id):
            image_id = names.image_id(image_id)
            request = blueprint.current_request
            response = view(image_id, callers.authorize_image(request, action, image_id))
            if immutable and request.headers.get("If-Modified-Since"):
                return responses.not_modified()
            return response
        route(blueprint, "/v1/images/{image_id}" + suffix, methods, guarded)(handler)
        return view
    return register


def slash_route(blueprint: Blueprint, path: str, methods: list[str]):
    """A route of the `/api/v1.1/` APIs, served at its slash-terminated path only (spec
    oauth-accounts-api §7.19): Chalice matches both, so the path without it is 404 here
    (never a redirect). The view gets the path parameters."""
    def register(view):
        @functools.wraps(view)
        def handler(**params):
            if not ((blueprint.current_request.context or {}).get("path") or "").endswith("/"):
                raise not_found("Not found")
            return view(**params)
        route(blueprint, path.rstrip("/"), methods)(handler)
        return view
    return register
