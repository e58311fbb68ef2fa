"""The API Gateway authorizer of the routes that always need credentials (every PUT, POST
and DELETE but registration). A blueprint of its own so that the API blueprints can attach
it and app.py registers it like them.

No `Authorization` header: the gateway answers 401 without calling it. With one, it allows
the request and hands the handler what it verified: a token's fields (HMAC, no DynamoDB),
cached by the gateway per credential for TTL_SECONDS. Everything else — Basic credentials,
which need the source address for throttling, and credentials that do not verify, which
are a 401 with the challenge like on every other route — the handler checks itself."""
from chalice import AuthResponse, Blueprint

from .callers import authorizer_context

blueprint = Blueprint(__name__)
TTL_SECONDS = 60


@blueprint.authorizer(ttl_seconds=TTL_SECONDS)
def credentials(auth_request):
    context = authorizer_context(auth_request.token)
    return AuthResponse(routes=["*"], principal_id=context.get("token_user") or "caller",
                        context=context)
