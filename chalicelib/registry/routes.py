"""The Registry v1 routes (spec §2): images, layers, checksums, ancestry, tags, `_ping`."""
import json

from chalice import Blueprint

from .. import config, responses
from ..auth.permissions import DELETE, READ, WRITE
from ..errors import bad_request
from ..routing import image_route, repository_route, route
from . import images, metadata, multipart, tags, uploads

blueprint = Blueprint(__name__)


def header(name: str) -> str | None:
    return blueprint.current_request.headers.get(name)


def body() -> bytes:
    return blueprint.current_request.raw_body


def true():
    return responses.json_response(True)


# HEAD answers exactly like GET (§2.8: Quay's client probes layers with it); the HTTP
# server sends the headers only, Content-Length included (API Gateway; locally
# infra/localstack/registry_handler.py).
READS = ["GET", "HEAD"]


# ---- ping (§2.1; /v2 is chalicelib/v2) ----

@route(blueprint, "/v1/_ping", ["GET"])
def ping():
    return responses.json_response(True, headers={
        "X-Docker-Registry-Version": config.REGISTRY_VERSION,
        "X-Docker-Registry-Standalone": "false"})


route(blueprint, "/_ping", ["GET"])(ping)


@route(blueprint, "/", ["GET"])
def root():
    return responses.json_response("docker-registry server")


# ---- images (§2.3–2.9); the namespace comes from the caller (auth/permissions.py) ----

@image_route(blueprint, "/json", ["PUT"], WRITE, guarded=True)
def put_image_json(image_id, scope):
    uploads.put_json(config.settings(), scope, uploads.parse_json(image_id, body()))
    return true()


@image_route(blueprint, "/json", READS, READ, immutable=True)
def get_image_json(image_id, scope):
    image = images.readable_image(scope.namespace, image_id)
    return responses.raw_json(image.json, headers={
        **responses.immutable(),
        "X-Docker-Size": str(int(image.layer_size)),
        "X-Docker-Checksum-Payload": image.payload_checksum})


@image_route(blueprint, "/layer", ["PUT"], WRITE, guarded=True)
def put_image_layer(image_id, scope):
    settings, mode = config.settings(), header("X-Registry-Upload")
    if mode == "redirect":
        url = uploads.start_redirected_upload(settings, scope, image_id)
        return responses.empty(307, {"Location": url})
    if mode == "multipart":
        size = multipart.parse_layer_size(header("X-Registry-Layer-Size"))
        return responses.json_response(
            multipart.start_multipart_upload(settings, scope, image_id, size))
    if mode is not None:
        raise bad_request("X-Registry-Upload must be 'redirect' or 'multipart'")
    uploads.put_layer(settings, scope, image_id, body())
    return true()


@image_route(blueprint, "/layer/multipart", ["POST"], WRITE, guarded=True)
def complete_multipart_layer(image_id, scope):
    multipart.complete_multipart_upload(config.settings(), scope, image_id, body())
    return true()


@image_route(blueprint, "/layer", READS, READ, immutable=True)
def get_image_layer(image_id, scope):
    image = images.readable_image(scope.namespace, image_id)
    size = int(image.layer_size)
    if images.starts_past_the_end(header("Range"), size):
        return responses.empty(416, {"Content-Range": f"bytes */{size}"})
    # The bytes come from S3; the presigned URL carries its own authorisation (§4.18).
    return responses.empty(302, {
        "Location": images.layer_url(config.settings(), image),
        "Accept-Ranges": "bytes",
        "X-Docker-Size": str(size),
        "Cache-Control": "no-cache"})


@image_route(blueprint, "/checksum", ["PUT"], WRITE, guarded=True)
def put_image_checksum(image_id, scope):
    uploads.put_checksum(config.settings(), scope, image_id, header("X-Docker-Checksum-Payload"))
    return true()


@image_route(blueprint, "/ancestry", READS, READ, immutable=True)
def get_image_ancestry(image_id, scope):
    return responses.raw_json(json.dumps(images.ancestry(scope.namespace, image_id)),
                              headers=responses.immutable())


# ---- tags and repository JSON (§2.13–2.19) ----

@repository_route(blueprint, "/tags", ["GET"], READ, deep=True)
def get_tags(name, _reader):
    return responses.json_response(tags.list_tags(name))


@repository_route(blueprint, "/tags/{tag}", ["GET"], READ, deep=True)
def get_tag(name, _reader, tag):
    return responses.json_response(tags.get_tag(name, tag))


@repository_route(blueprint, "/tags/{tag}", ["PUT"], WRITE, guarded=True, deep=True)
def put_tag(name, _writer, tag):
    tags.set_tag(name, tag, tags.parse_tag_body(body()), header("User-Agent"))
    return true()


@repository_route(blueprint, "/tags/{tag}", ["DELETE"], DELETE, guarded=True)
def delete_tag(name, _deleter, tag):
    tags.delete_tag(name, tag)
    return true()


@repository_route(blueprint, "/tags/{tag}/json", ["GET"], READ)
def get_tag_json(name, _reader, tag):
    return responses.json_response(tags.tag_json(name, tag))


@repository_route(blueprint, "/json", ["GET"], READ)
def get_repository_json(name, _reader):
    return responses.json_response(metadata.repository_json(name))
