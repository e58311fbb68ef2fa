"""`v1reg pull`: the docker 1.10+ pull sequence (spec §5.5) into a tarball `docker load`
accepts: the legacy layout (`repositories`, `<id>/json`, `<id>/layer.tar`) plus
`manifest.json` and the image config the registry serves over v2 (v2.py: the same image ID
as `docker pull`), or without v2 one built from the v1 JSON, whose `diff_ids` are the layer
tars' digests."""
import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from . import layers, transfer, v2
from .errors import CliError
from .progress import Progress
from .reference import Reference
from .session import Session

# Keys of v1 JSON that an image config does not have (docker's MakeConfigFromV1Config).
V1_ONLY_KEYS = ("id", "parent", "Size", "parent_id", "layer_id", "throwaway")


@dataclass(frozen=True)
class RemoteImage:
    id: str
    json: bytes
    size: int
    checksum: str


def resolve(session: Session, ref: Reference) -> list[str]:
    """The pulled image's ancestry, base first (§5.5 steps 2–4.1)."""
    tag = ref.tag or "latest"
    session.index("GET", f"/repositories/{ref.name}/images", f"pull {ref}",
                  not_found=f"repository {ref.name} not found on {ref.registry.host}")
    image_id = session.call("GET", f"/repositories/{ref.library_name}/tags/{tag}",
                            f"pull {ref}",
                            not_found=f"tag {tag} not found in repository {ref.name}").json()
    ancestry = session.call("GET", f"/images/{image_id}/ancestry", f"pull {ref}").json()
    if not ancestry or ancestry[0] != image_id:
        raise CliError(f"pull {ref}: the registry sent an invalid ancestry")
    return ancestry[::-1]


def image_json(session: Session, image_id: str) -> RemoteImage:
    response = session.call("GET", f"/images/{image_id}/json", f"image {image_id[:12]}")
    checksum = response.headers.get("X-Docker-Checksum-Payload")
    if not checksum:
        raise CliError(f"image {image_id[:12]}: the registry sent no X-Docker-Checksum-Payload, "
                       "so the layer cannot be verified")
    return RemoteImage(image_id, response.content, int(response.headers.get("X-Docker-Size", 0)),
                       checksum)


def pull(session: Session, ref: Reference, output, progress: Progress, *, jobs: int,
         cache_dir: str) -> str:
    """Write the image as a tarball to the binary stream `output`; returns its v1 id."""
    chain = resolve(session, ref)
    os.makedirs(cache_dir, exist_ok=True)
    with ThreadPoolExecutor(max_workers=jobs) as pool, \
            tempfile.TemporaryDirectory(prefix="v1reg-pull-") as work:
        images = list(pool.map(lambda image_id: image_json(session, image_id), chain))

        def fetch(image: RemoteImage) -> str:
            partial = os.path.join(cache_dir, image.id + ".partial")
            transfer.download(session, image.id, image.json, image.checksum, image.size,
                              partial, progress.bar(image.id[:12], image.size))
            try:
                diff_id = layers.unpack(partial, os.path.join(work, image.id + ".tar"))
            except ValueError as error:
                raise CliError(f"layer {image.id[:12]}: {error}")
            os.remove(partial)
            return diff_id
        diff_ids = list(pool.map(fetch, images))
        progress.finish()
        config, layered = _config(session, ref, images, diff_ids)
        write_archive(output, ref, images, layered, config, work)
    return chain[-1]


def _config(session: Session, ref: Reference, images: list[RemoteImage],
            diff_ids: list[str]) -> tuple[bytes, list[RemoteImage]]:
    """The image config and the images whose layers it lists: the registry's v2 config
    (v2.py), whose layers are the images that are not `throwaway`; without one, the config
    docker 1.10+ built from v1 JSON, with every image's layer."""
    try:
        config = v2.image_config(session, ref)
    except CliError as error:
        print(f"v1reg: warning: {error}; building the image config from the v1 JSON instead",
              file=sys.stderr)
        config = None
    if config is None:
        return image_config(images, diff_ids), images
    layered = [(image, diff_id) for image, diff_id in zip(images, diff_ids)
               if json.loads(image.json).get("throwaway") is not True]
    if json.loads(config).get("rootfs", {}).get("diff_ids", []) != [d for _, d in layered]:
        raise CliError(f"pull {ref}: the registry's v2 config lists other layers than the v1 "
                       "images pulled (was the tag moved meanwhile?); pull again")
    return config, [image for image, _ in layered]


def image_config(images: list[RemoteImage], diff_ids: list[str]) -> bytes:
    """The config docker 1.10+ built from v1 JSON: the top JSON without v1 keys, plus
    `rootfs` and one `history` entry per v1 image."""
    config = {k: v for k, v in json.loads(images[-1].json).items() if k not in V1_ONLY_KEYS}
    config["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    config["history"] = [_history(json.loads(image.json)) for image in images]
    return json.dumps(config, sort_keys=True, separators=(",", ":")).encode()


def _history(v1: dict) -> dict:
    entry = {"created": v1.get("created") or "0001-01-01T00:00:00Z"}
    command = ((v1.get("container_config") or {}).get("Cmd")) or []
    for key, value in (("author", v1.get("author")), ("created_by", " ".join(command)),
                       ("comment", v1.get("comment"))):
        if value:
            entry[key] = value
    return entry


def write_archive(output, ref: Reference, images: list[RemoteImage],
                  layered: list[RemoteImage], config: bytes, work: str) -> None:
    """Every image's legacy directory; `manifest.json` lists the `layered` ones."""
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    repository, tag = f"{ref.registry.host}/{ref.name}", ref.tag or "latest"
    manifest = [{"Config": config_name, "RepoTags": [f"{repository}:{tag}"],
                 "Layers": [f"{image.id}/layer.tar" for image in layered]}]
    with tarfile.open(fileobj=output, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for image in images:
            _add_dir(tar, image.id)
            _add_bytes(tar, f"{image.id}/VERSION", b"1.0")
            _add_bytes(tar, f"{image.id}/json", image.json)
            tar_path = os.path.join(work, image.id + ".tar")
            info = tarfile.TarInfo(f"{image.id}/layer.tar")
            info.size, info.mode = os.path.getsize(tar_path), 0o644
            with open(tar_path, "rb") as layer:
                tar.addfile(info, layer)
        _add_bytes(tar, config_name, config)
        _add_bytes(tar, "manifest.json", json.dumps(manifest).encode())
        _add_bytes(tar, "repositories",
                   json.dumps({repository: {tag: images[-1].id}}).encode())


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    tar.addfile(info)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o644
    tar.addfile(info, io.BytesIO(data))
