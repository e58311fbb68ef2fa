"""Who sees the v2 API (spec v2-pull §5): a docker engine that can still push v1 never falls
back to v1 once `/v2/` answers with `Docker-Distribution-API-Version` (§5.1), so engines up to
REGISTRY_V2_HIDDEN_UP_TO_DOCKER (17.05: docker 1.x and 17.00–17.05) on Linux get a plain 404
on every /v2 path, as does everyone when a stage sets REGISTRY_V2_API=off (§5.3)."""
import re

from chalice import Response

from ..config import Settings

DOCKER = re.compile(r"docker/(\d+)\.(\d+)")


def legacy_engine(user_agent: str | None, up_to: tuple[int, int]) -> bool:
    """docker 1.x UA: `docker/1.6.2 go/go1.4.2 git-commit/… kernel/… os/linux arch/amd64`."""
    match = DOCKER.match(user_agent or "")
    return (match is not None and (int(match[1]), int(match[2])) <= up_to
            and "os/linux" in user_agent.split())


def serves(settings: Settings, user_agent: str | None) -> bool:
    return settings.v2_api and not legacy_engine(user_agent, settings.v2_hidden_up_to)


def hidden() -> Response:
    """No v2 here: no version header, no JSON (docker 1.10–17.05 fall back to v1 on it)."""
    return Response(body="", status_code=404, headers={"Content-Type": "text/plain"})
