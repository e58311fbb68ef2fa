"""A tagged image's Registry v2 form, from its v1 records (spec v2-pull §6): the layers of
its chain that are not throwaway (their stored bytes, never recompressed here), the config
(carried or synthesized) and the manifests. Reads records only: an image whose v2 form
needs its layers' bytes read raises NotConvertible and waits for the backfill."""
import json
from dataclasses import dataclass

from ..store.dynamo import get_or_none
from ..store.models import Ancestry, Content, Image
from . import configs, manifests

BATCH_KEYS = 100
NEEDS_GZIP_COPY = ("bzip2", "xz")   # no layer media type has them; containerd cannot read them


class NotConvertible(Exception):
    """Why an image has no v2 manifest (yet); the message is for the client."""


@dataclass(frozen=True)
class Layer:
    digest: str          # of the bytes served (the blob, or a bzip2/xz layer's gzip copy)
    size: int
    compression: str     # gzip | none | zstd
    diff_id: str


@dataclass(frozen=True)
class V2Image:
    config: bytes
    layers: tuple[Layer, ...]

    @property
    def config_digest(self) -> str:
        return manifests.digest(self.config)

    def manifest(self, media_type: str) -> bytes:
        return manifests.manifest(media_type, self.config, self.layers)

    def tag_attributes(self) -> dict:
        return {"manifest": self.manifest(manifests.SCHEMA2).decode(),
                "oci_manifest": self.manifest(manifests.OCI).decode()}

    def content(self, repository: str) -> list[Content]:
        """The rows that make its manifests and blobs readable through `repository`."""
        rows = {self.config_digest: Content(repository, self.config_digest,
                                            size=len(self.config),
                                            media_type=manifests.CONFIG_TYPES[manifests.SCHEMA2])}
        for layer in self.layers:
            rows[layer.digest] = Content(repository, layer.digest, size=layer.size,
                                         media_type=manifests.LAYER_TYPES[layer.compression][
                                             manifests.SCHEMA2])
        for media_type in (manifests.SCHEMA2, manifests.OCI):
            data = self.manifest(media_type)
            rows[manifests.digest(data)] = Content(repository, manifests.digest(data),
                                                   size=len(data), media_type=media_type,
                                                   manifest=data.decode())
        return list(rows.values())


def ancestry(namespace: str, image_id: str) -> list[str]:
    """`[id, parent, ..., base]` of a complete image."""
    record = get_or_none(Ancestry, namespace, image_id)
    if record is None:
        raise NotConvertible("the image is not complete")
    return list(record.ancestry)


def chain_records(namespace: str, chain: list[str]) -> list[Image]:
    """The images of `chain` (`[id, parent, ..., base]`), base first; all complete."""
    found = {}
    for start in range(0, len(chain), BATCH_KEYS):
        keys = [(namespace, each) for each in chain[start:start + BATCH_KEYS]]
        found.update((image.image_id, image) for image in Image.batch_get(keys))
    if any(each not in found or not found[each].complete for each in chain):
        raise NotConvertible("an image of the chain is not complete")
    return [found[each] for each in reversed(chain)]


def layer_of(image: Image) -> Layer:
    compression = image.compression
    if compression in NEEDS_GZIP_COPY:
        if not image.gzip_digest:
            raise NotConvertible(f"layer {image.image_id[:12]} is {compression}-compressed; "
                                 "its gzip copy is made by the registry's backfill command")
        return Layer(image.gzip_digest, int(image.gzip_size), "gzip", image.diff_id)
    if not image.diff_id or compression not in manifests.LAYER_TYPES:
        raise NotConvertible(f"the uncompressed digest of layer {image.image_id[:12]} "
                             f"({compression}) is unknown")
    return Layer(image.blob_digest, int(image.layer_size), compression, image.diff_id)


def build(records: list[Image]) -> V2Image:
    """The v2 form of a chain of complete images, base first."""
    jsons = [json.loads(image.json) for image in records]
    layers = tuple(layer_of(image) for image, v1 in zip(records, jsons)
                   if not configs.throwaway(v1))
    diff_ids = [layer.diff_id for layer in layers]
    config = (configs.carried(records[-1].image_id, jsons[-1], diff_ids)
              or configs.synthesized([image.json for image in records], diff_ids))
    return V2Image(config, layers)
