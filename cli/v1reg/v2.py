"""The image config as the registry serves it over Registry v2 (v2-pull §2, §6.5): the
bytes a v1reg push carried, or those the registry synthesized for a docker 1.x push, so that
`v1reg pull | docker load` gives the image ID `docker pull` gives. None from a registry
without a v2 API: pull then builds the config from the v1 JSON, as docker 1.10–17.x did."""
import hashlib
import re

from .errors import CliError
from .reference import Reference
from .session import Session

SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json"
PARAM = re.compile(r'(\w+)="([^"]*)"')


def _error(response) -> str:
    """The message of a distribution error body (§1.9), or the status."""
    try:
        return response.json()["errors"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        return f"HTTP {response.status_code}"


def _token(session: Session, challenge: str, ref: Reference) -> str:
    """A pull token from the challenge's realm (§2.2), with the login's credentials."""
    params = dict(PARAM.findall(challenge))
    if not challenge.lower().startswith("bearer ") or "realm" not in params:
        raise CliError(f"{ref.registry.host}: unexpected v2 challenge {challenge!r}")
    response = session.http.request(
        "GET", params["realm"], what=f"v2 token for {ref}", auth=session.credentials,
        params={"service": params.get("service", ""), "scope": f"repository:{ref.name}:pull"})
    if response.status_code != 200:
        raise CliError(f"v2 token for {ref}: {_error(response)}")
    body = response.json()
    return body.get("access_token") or body["token"]


def image_config(session: Session, ref: Reference) -> bytes | None:
    base, what = f"{ref.registry.url}/v2", f"v2 config of {ref}"
    probe = session.http.request("GET", base + "/", what=what)
    if "Docker-Distribution-API-Version" not in probe.headers:
        return None
    headers = {}
    if probe.status_code == 401:
        headers["Authorization"] = "Bearer " + _token(
            session, probe.headers.get("WWW-Authenticate", ""), ref)
    manifest = session.http.request("GET", f"{base}/{ref.name}/manifests/{ref.tag or 'latest'}",
                                    what=what, headers={**headers, "Accept": SCHEMA2})
    if manifest.status_code != 200:
        raise CliError(f"{what}: {_error(manifest)}")
    digest = manifest.json()["config"]["digest"]
    # The blob is a redirect to storage; requests leaves the token behind for another host.
    blob = session.http.request("GET", f"{base}/{ref.name}/blobs/{digest}", what=what,
                                headers=headers)
    if blob.status_code != 200 or "sha256:" + hashlib.sha256(blob.content).hexdigest() != digest:
        raise CliError(f"{what}: the registry sent a config that is not {digest}")
    return blob.content
