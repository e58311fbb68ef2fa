"""Index (Hub) repository calls: start and finish a push, list images (§3.4, §3.6, §3.7, §4.4)."""
from . import config, repositories


def endpoints(host_header: str | None) -> str:
    """`X-Docker-Endpoints`: the configured public host, else the Host the client used."""
    return config.settings().endpoints or host_header or "localhost"


def start_push(repository: str, body: bytes) -> None:
    images = repositories.parse_image_list(body)
    repositories.ensure(repository)
    repositories.announce_images(repository, images)


def finish_push(repository: str, body: bytes) -> None:
    images = repositories.parse_image_list(body)
    repositories.get(repository)
    repositories.announce_images(repository, [i for i in images if i["checksum"]])
