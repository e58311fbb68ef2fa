"""`GET /v2/token` and `POST /v2/token` (spec v2-pull §2.2–2.6): Docker's token service over
the registry's own accounts (bcrypt and throttling of auth/accounts.py).

A token grants pull on each requested repository the caller may read now (v1's rules,
auth/permissions.py); anything else requested (push, repositories it may not read) is left
out, never refused: refusing is the registry's job (§2.2). Anonymous callers get tokens too,
which reach public repositories only. A password login asked for offline access
(`offline_token=true`, `access_type=offline`: docker login) also gets a refresh token, which
docker keeps as its identity token and trades back through POST `grant_type=refresh_token`.
"""
import time
from urllib.parse import parse_qs

from .. import config
from ..auth import callers, pull_tokens
from ..auth.permissions import READ, Principal, check_repository
from ..errors import ApiError
from . import access, references
from .errors import V2Error


def _pull_names(scopes: list[str]) -> list[str]:
    """Repository names of `repository:<name>:<actions>` scopes asking for pull (§2.1: a
    name may hold `host:port`, a type may carry a class, several scopes may share a value)."""
    found = []
    for scope in (part for value in scopes for part in value.split()):
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        if kind.split("(")[0] == "repository" and {"pull", "*"} & set(actions.split(",")):
            found.append(name)
    return found


def _readable(principal: Principal, scopes: list[str]) -> tuple[str, ...]:
    granted = []
    for path in _pull_names(scopes):
        try:
            name = references.repository(path).name
            check_repository(principal, READ, name)
        except ApiError:
            continue
        granted.append(name)
    return tuple(dict.fromkeys(granted))


def _issued_at(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _answer(request, principal: Principal, scopes: list[str], offline: bool) -> dict:
    settings = config.settings()
    granted = pull_tokens.grant(pull_tokens.ACCESS, principal.username or "",
                                principal.generation, access.service(request),
                                settings.token_ttl_seconds, _readable(principal, scopes))
    token = pull_tokens.issue(settings, granted)
    answer = {"token": token, "access_token": token, "expires_in": settings.token_ttl_seconds,
              "issued_at": _issued_at(granted.issued)}
    if offline and principal.username:
        answer["refresh_token"] = pull_tokens.issue(settings, pull_tokens.grant(
            pull_tokens.REFRESH, principal.username, principal.generation,
            access.service(request), settings.refresh_token_ttl_seconds))
    return answer


def get(request) -> dict:
    """GET: Basic credentials or none; `scope` repeated; `offline_token=true` (§2.2)."""
    query = request.query_params
    scopes = query.getlist("scope") if query and "scope" in query else []
    offline = bool(query) and query.get("offline_token") == "true"
    return _answer(request, callers.basic_or_anonymous(request), scopes, offline)


def post(request) -> dict:
    """POST (OAuth2, §2.4): `grant_type=password` (username, password; `access_type=offline`
    for a refresh token) or `grant_type=refresh_token`; `scope` space-separated."""
    form = {key: values[-1] for key, values in parse_qs(
        request.raw_body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    grant_type = form.get("grant_type")
    if grant_type == "password":
        principal = callers.from_password(form.get("username", ""), form.get("password", ""),
                                          callers.source_of(request))
        offline = form.get("access_type") == "offline"
    elif grant_type == "refresh_token":
        refresh = pull_tokens.verify(config.settings(), form.get("refresh_token", ""),
                                     pull_tokens.REFRESH, access.service(request))
        if refresh is None:
            raise V2Error(401, "UNAUTHORIZED", "invalid or expired refresh token",
                          {"WWW-Authenticate": f'Basic realm="{access.realm(request)}"'})
        principal, offline = callers.from_bearer(refresh), False
    else:
        raise V2Error(400, "UNSUPPORTED", "grant_type must be password or refresh_token")
    answer = _answer(request, principal, [form.get("scope", "")], offline)
    answer["scope"] = form.get("scope", "")
    return answer
