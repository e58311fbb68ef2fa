"""`docker save` tarballs built in the test, no docker engine: the pre-1.10 layout, the
docker 1.10–24 layout and the OCI layout of docker 25+ (spec §0.3, §4.14); that OCI layout
alone (`oci_layout`) for skopeo's `oci:` transport."""
import gzip
import hashlib
import io
import json
import os
import tarfile

FORMATS = ("legacy-1.9", "legacy-24", "oci-25")
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
LAYER_TAR_GZIP = LAYER_TAR + "+gzip"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def blob_path(blob: bytes) -> str:
    return "blobs/sha256/" + hashlib.sha256(blob).hexdigest()


def layer_tar(files: dict[str, bytes]) -> bytes:
    """An uncompressed layer: a tar of the given files."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1500000000
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def random_layers(count: int, size: int = 4096) -> list[bytes]:
    return [layer_tar({f"layer{i}/data.bin": os.urandom(size), f"layer{i}/note.txt": b"hi\n"})
            for i in range(count)]


def image_config(layers: list[bytes]) -> bytes:
    config = {
        "architecture": "amd64", "os": "linux", "created": "2024-05-01T10:00:00.5Z",
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["sh", "-c", "echo hi"],
                   "Labels": {"built.by": "v1reg tests"}},
        "rootfs": {"type": "layers", "diff_ids": [digest(layer) for layer in layers]},
        "history": [{"created": "2024-05-01T10:00:00.5Z", "created_by": f"ADD layer{i}"}
                    for i in range(len(layers))],
    }
    return json.dumps(config).encode()


def legacy_v1_chain(layers: list[bytes]) -> list[tuple[str, bytes]]:
    """(id, v1 JSON) for the pre-1.10 layout, base first: full docker 1.x JSON."""
    chain, parent = [], None
    for i, _ in enumerate(layers):
        image_id = os.urandom(32).hex()
        data = {"id": image_id, "created": f"2015-05-01T10:00:0{i}.000000001Z",
                "container_config": {"Cmd": ["/bin/sh", "-c", f"#(nop) ADD layer{i}"]},
                "config": {"Cmd": ["sh"], "Env": None}, "docker_version": "1.9.1",
                "architecture": "amd64", "os": "linux", "Size": 4096}
        if parent:
            data["parent"] = parent
        chain.append((image_id, json.dumps(data, indent=2).encode()))
        parent = image_id
    return chain


def save(path: str, fmt: str, layers: list[bytes], repo_tag: str,
         gzip_blobs: bool = False, config: bytes | None = None) -> None:
    """Write a `docker save` archive of one image tagged `repo_tag` ("name:tag");
    `gzip_blobs`: OCI layer blobs gzip-compressed, as other OCI tools write them; `config`:
    the image config's bytes (image_config(layers) if not given)."""
    repo, tag = repo_tag.rsplit(":", 1)
    files: dict[str, bytes] = {}
    config = config or image_config(layers)
    if fmt == "legacy-1.9":
        chain = legacy_v1_chain(layers)
        for (image_id, v1_json), layer in zip(chain, layers):
            files.update({f"{image_id}/VERSION": b"1.0", f"{image_id}/json": v1_json,
                          f"{image_id}/layer.tar": layer})
        files["repositories"] = json.dumps({repo: {tag: chain[-1][0]}}).encode()
    elif fmt == "legacy-24":
        dirs = [os.urandom(32).hex() for _ in layers]
        for directory, layer in zip(dirs, layers):
            files.update({f"{directory}/VERSION": b"1.0", f"{directory}/layer.tar": layer,
                          f"{directory}/json": json.dumps({"id": directory}).encode()})
        config_name = hashlib.sha256(config).hexdigest() + ".json"
        files[config_name] = config
        files["manifest.json"] = json.dumps([{"Config": config_name, "RepoTags": [repo_tag],
                                              "Layers": [f"{d}/layer.tar" for d in dirs]}]).encode()
        files["repositories"] = json.dumps({repo: {tag: dirs[-1]}}).encode()
    else:
        blobs = [gzip.compress(layer, mtime=0) for layer in layers] if gzip_blobs else layers
        layer_type = LAYER_TAR_GZIP if gzip_blobs else LAYER_TAR
        files.update(oci_layout(config, blobs, repo_tag, layer_type))
        files["manifest.json"] = json.dumps([{
            "Config": blob_path(config), "RepoTags": [repo_tag],
            "Layers": [blob_path(blob) for blob in blobs]}]).encode()
        files["repositories"] = json.dumps({repo: {tag: digest(config).split(":")[1]}}).encode()
    with open(path, "wb") as out:
        out.write(layer_tar(files))


def oci_layout(config: bytes, layer_blobs: list[bytes], repo_tag: str,
               layer_type: str = LAYER_TAR) -> dict[str, bytes]:
    """The files of an OCI image layout holding one image named `repo_tag` ("name:tag"), as
    docker 25+ writes it (also inside `docker save`): oci-layout, index.json, blobs/sha256/."""
    tag = repo_tag.rsplit(":", 1)[1]
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": layer_type, "digest": digest(blob), "size": len(blob)}
                   for blob in layer_blobs],
    }).encode()
    files = {blob_path(blob): blob for blob in [config, *layer_blobs, manifest]}
    files["oci-layout"] = b'{"imageLayoutVersion": "1.0.0"}'
    files["index.json"] = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": digest(manifest), "size": len(manifest),
                       "annotations": {"io.containerd.image.name": repo_tag,
                                       "org.opencontainers.image.ref.name": tag}}],
    }).encode()
    return files


def write_tree(directory: str, files: dict[str, bytes]) -> None:
    """Write `files` (relative path: bytes) under `directory`, e.g. an OCI layout as a folder."""
    for name, data in files.items():
        path = os.path.join(directory, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(data)
