"""Index (Hub) repository calls: start and finish a push, list images (§3.4, §3.6, §3.7, §4.4)."""
import os

from . import repositories


def endpoints(host_header: str | None) -> str:
    """`X-Docker-Endpoints`: the configured public host, else the Host the client used."""
    return os.environ.get("REGISTRY_ENDPOINTS") or host_header or "localhost"


def start_push(repository: str, body: bytes) -> None:
    images = repositories.parse_image_list(body)
    repositories.ensure(repository)
    repositories.announce_images(repository, images)


def finish_push(repository: str, body: bytes) -> None:
    images = repositories.parse_image_list(body)
    repositories.get(repository)
    repositories.announce_images(repository, [i for i in images if i["checksum"]])
