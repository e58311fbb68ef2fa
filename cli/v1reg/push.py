"""`v1reg push`: the Index/Registry sequence of docker 1.10+ (spec §5.4), with layer bytes
going to S3 through the registry's presigned URLs instead of inline bodies."""
import tempfile
from concurrent.futures import ThreadPoolExecutor

from . import archive, layers, transfer
from .errors import CliError
from .progress import Progress
from .reference import Reference
from .session import Session, error_message

ALREADY_EXISTS = "Image already exists"      # the one error body docker reads (§1.3, §5.9)


def push(session: Session, ref: Reference, source: str, progress: Progress, *, jobs: int,
         compress_level: int, multipart_over: int) -> str:
    """Push the archive's image as `ref`; returns the top image's v1 id."""
    tag = ref.tag or "latest"
    with tempfile.TemporaryDirectory(prefix="v1reg-push-") as work, \
            ThreadPoolExecutor(max_workers=jobs) as pool:
        chain = archive.read(archive.spool(source, work), ref)
        top = chain[-1].id
        entries = [{"id": image.id} for image in chain[:-1]] + [{"id": top, "Tag": tag}]
        session.index("PUT", f"/repositories/{ref.name}/", f"push {ref}", body=entries,
                      expect=(200, 201))
        compressed = {}     # image id -> future: layers compress while earlier ones upload
        for base in session.endpoints:
            missing = [image for image in chain
                       if image.id not in _present(session, base, chain, jobs)]
            for image in missing:
                if image.id not in compressed:
                    compressed[image.id] = pool.submit(layers.prepare, image, work,
                                                       compress_level)
            for image in missing:
                _push_image(session, base, compressed[image.id].result(), progress, jobs,
                            multipart_over)
            session.call("PUT", f"/repositories/{ref.name}/tags/{tag}", f"tag {ref}", base=base,
                         json=top, expect=(200, 201))
        session.index("PUT", f"/repositories/{ref.name}/images", f"finish push of {ref}",
                      body=[], expect=(204,), headers={"X-Docker-Endpoints": ", ".join(
                          endpoint + "/v1/" for endpoint in session.endpoints)})
        progress.finish()
    return top


def _present(session: Session, base: str, chain, jobs: int) -> set[str]:
    """Existence probes (§5.4 step 3.1): 200 means pushed already, anything else: upload."""
    with ThreadPoolExecutor(max_workers=min(jobs, 5)) as pool:
        found = pool.map(lambda image: _complete(session, base, image.id), chain)
        return {image.id for image, complete in zip(chain, found) if complete}


def _complete(session: Session, base: str, image_id: str) -> bool:
    response = session.call("GET", f"/images/{image_id}/json", f"probe {image_id[:12]}",
                            base=base, expect=range(100, 600))
    return response.status_code == 200


def _push_image(session: Session, base: str, layer: layers.Prepared, progress: Progress,
                jobs: int, multipart_over: int) -> None:
    image_id = layer.image.id
    what = f"push image {image_id[:12]}"
    response = session.call("PUT", f"/images/{image_id}/json", what, base=base,
                            data=layer.image.json, headers={"Content-Type": "application/json"},
                            expect=range(100, 600))
    if response.status_code != 200:
        if error_message(response) == ALREADY_EXISTS:
            return
        session.check(response, (200,), what)
    transfer.upload(session, base, layer, progress.bar(image_id[:12], layer.size),
                    multipart_over=multipart_over, jobs=jobs)
    response = session.call("PUT", f"/images/{image_id}/checksum", what, base=base, data=b"",
                            headers={"X-Docker-Checksum-Payload": layer.checksum},
                            expect=range(100, 600))
    # A 409 after a retried request: the first attempt may have completed the image.
    if response.status_code == 200 or error_message(response) == ALREADY_EXISTS or (
            response.status_code == 409 and _complete(session, base, image_id)):
        return
    if error_message(response) == "Checksum mismatch":
        raise CliError(f"{what}: the registry's copy of the layer does not match "
                       "(checksum mismatch); push again")
    session.check(response, (200,), what)
