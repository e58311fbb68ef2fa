"""What a v2 request may read (spec v2-pull §1.2, §2.1, §2.7): its Bearer token, checked like
a v1 token (auth/callers.py, auth/permissions.py): the repository must be in the token's
grant, the token's user still active and of the same generation, and a non-owner held to
the repository being readable now. Everything else is 401 with the challenge that sends the
client to /v2/token."""
from .. import config
from ..auth import callers, pull_tokens
from ..auth.permissions import READ, Principal, check_repository
from .errors import V2Error
from .references import Repo


def service(request) -> str:
    """The registry's host as the client reached it: the tokens' audience."""
    return request.headers.get("host") or "registry"


def realm(request) -> str:
    # API Gateway sets X-Forwarded-Proto (https); the local stack sets it to http.
    scheme = request.headers.get("x-forwarded-proto") or "https"
    return f"{scheme}://{service(request)}/v2/token"


def challenge(request, scope: str | None = None, error: str | None = None) -> str:
    params = [f'realm="{realm(request)}"', f'service="{service(request)}"']
    if scope:
        params.append(f'scope="{scope}"')
    if error:
        params.append(f'error="{error}"')
    return "Bearer " + ",".join(params)


def pull_scope(repo: Repo) -> str:
    return f"repository:{repo.path}:pull"


def _unauthorized(request, scope: str | None, error: str | None, message: str) -> V2Error:
    return V2Error(401, "UNAUTHORIZED", message,
                   {"WWW-Authenticate": challenge(request, scope, error)})


def grant(request, scope: str | None = None) -> pull_tokens.Grant:
    """The request's access token, or 401 with the challenge (for `scope`)."""
    scheme, _, token = (request.headers.get("authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        raise _unauthorized(request, scope, None, "authentication required")
    granted = pull_tokens.verify(config.settings(), token.strip(), pull_tokens.ACCESS,
                                 service(request))
    if granted is None:
        raise _unauthorized(request, scope, "invalid_token", "invalid or expired token")
    return granted


def subject(request, scope: str | None = None) -> Principal:
    """Who the request's token stands for (`/v2/`, the catalog)."""
    return callers.from_bearer(grant(request, scope))


def reader(request, repo: Repo) -> Principal:
    """The caller, if its token lets it pull `repo` now."""
    scope = pull_scope(repo)
    granted = grant(request, scope)
    if repo.name not in granted.repositories:
        raise _unauthorized(request, scope, "insufficient_scope",
                            f"the token does not grant pull access to {repo.path}")
    principal = callers.from_bearer(granted, repo.name)
    check_repository(principal, READ, repo.name)
    return principal
