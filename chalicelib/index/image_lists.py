"""A repository's image list: push start (`PUT /v1/repositories/<name>/`), push finish and
listing (`PUT`/`GET .../images`), and the `X-Docker-Endpoints` they carry (§3.4, §3.6, §3.7, §4.4)."""
from .. import config
from ..bodies import json_body
from ..errors import bad_request
from ..names import IMAGE_ID
from ..store import membership
from ..store.models import RepositoryImage
from . import repositories


def endpoints(domain_name: str | None) -> str:
    """`X-Docker-Endpoints` (§4.4): the configured public host, else the domain name API
    Gateway received the request on (it names the custom domain that matched). Never the
    Host header: any client can send one, and a response naming its host would send the
    next client's registry calls, with its token, there."""
    found = config.settings().endpoints or domain_name
    if not found:
        raise RuntimeError("X-Docker-Endpoints unknown: set REGISTRY_ENDPOINTS")
    return found


def parse(body: bytes) -> list[dict]:
    """`[{"id": ..., "checksum"?: ...}, ...]` of §3.4/§3.6; other keys are dropped."""
    entries = json_body(body, list, "Invalid data", malformed="Invalid JSON", empty=[])
    images = []
    for entry in entries:
        if not isinstance(entry, dict) or not IMAGE_ID.fullmatch(str(entry.get("id", ""))):
            raise bad_request("Invalid data")
        checksum = entry.get("checksum")
        if checksum is not None and not isinstance(checksum, str):
            raise bad_request("Invalid data")
        images.append({"id": entry["id"], "checksum": checksum or None})
    return images


def start_push(name: str, body: bytes) -> None:
    images = parse(body)
    repositories.create(name)
    membership.announce(name, images)


def finish_push(name: str, body: bytes) -> None:
    images = parse(body)
    repositories.get(name)
    membership.announce(name, [image for image in images if image["checksum"]])


def image_list(name: str) -> list[dict]:
    repositories.get(name)
    return [{"id": item.image_id, "checksum": item.checksum or ""}
            for item in RepositoryImage.query(name)]
