"""The API Gateway authorizer of the routes that always need credentials (every PUT, POST
and DELETE but registration). A blueprint of its own so that the API blueprints can attach
it and app.py registers it like them.

No `Authorization` header: the gateway answers 401 without calling it. A credential that
does not verify (bad password, forged or expired token, a throttled login) is denied: 403
from the gateway, shaped as `{"error"}` by infra/ on AWS and by the local stack."""
from chalice import AuthResponse, Blueprint

from .. import config
from ..store import models
from .callers import authorizer_context

blueprint = Blueprint(__name__)
TTL_SECONDS = 60          # the gateway caches an answer per credential this long


@blueprint.authorizer(ttl_seconds=TTL_SECONDS)
def credentials(auth_request):
    models.bind(config.settings())
    context = authorizer_context(auth_request.token)
    if context is None:
        return AuthResponse(routes=[], principal_id="denied")
    return AuthResponse(routes=["*"], principal_id=context["user"] or "anonymous",
                        context=context)
