"""Every v1 route on one screen: parse, call chalicelib, shape the response.

Spec sections are in ../shared/spec/v1-protocol.md.
"""
import json

from chalice import AuthResponse, Chalice

from chalicelib import (auth, config, images, index, models, names, repositories, responses,
                        search, tags, users)
from chalicelib.auth import DELETE, READ, WRITE
from chalicelib.errors import ApiError, bad_request, internal_error, not_found


class RegistryApp(Chalice):
    def _unhandled_exception_to_response(self):
        # Chalice's own 500 body is {"Code": ...}; clients expect {"error": ...} (§1.3).
        self.log.error("Unhandled error for %s", self.current_request.path, exc_info=True)
        return internal_error()


app = RegistryApp(app_name="v1registry")
ANY = ["*/*"]      # docker sends octet-stream, json and no Content-Type at all


@app.middleware("http")
def bind_and_answer_errors(event, get_response):
    models.bind(config.settings())
    try:
        return get_response(event)
    except ApiError as error:
        return error.response()


@app.authorizer(ttl_seconds=60)
def credentials(auth_request):
    """Guards the routes that always need credentials. A credential that does not
    verify (bad password, forged or expired token, throttled login) is denied: 403
    from the gateway; no credential at all: the gateway's 401."""
    models.bind(config.settings())
    context = auth.authorizer_context(auth_request.token)
    if context is None:
        return AuthResponse(routes=[], principal_id="denied")
    return AuthResponse(routes=["*"], principal_id=context["user"] or "anonymous",
                        context=context)


def route(path, methods, guarded=False):
    return app.route(path, methods=methods, content_types=ANY,
                     authorizer=credentials if guarded else None)


def repository_route(suffix, methods, guarded=False):
    """A route on `/v1/repositories/<ns>/<repo><suffix>` and its library form (§4.11)."""
    def register(view):
        route("/v1/repositories/{namespace}/{repository}" + suffix, methods, guarded)(view)
        route("/v1/repositories/{namespace}" + suffix, methods, guarded)(view)
        return view
    return register


def request():
    return app.current_request


def header(name):
    return request().headers.get(name)


def true():
    return responses.json_response(True)


# ---- ping and v2 probing (§2.1, §4.21) ----

@route("/v1/_ping", ["GET"])
def ping():
    return responses.json_response(True, headers={
        "X-Docker-Registry-Version": config.REGISTRY_VERSION,
        "X-Docker-Registry-Standalone": "false"})


route("/_ping", ["GET"])(ping)


@route("/v2", ["GET", "HEAD"])
def v2_probe():
    raise not_found("This registry speaks v1 only")


@route("/", ["GET"])
def root():
    return responses.json_response("docker-registry server")


# ---- images (§2.3–2.9) ----

@route("/v1/images/{image_id}/json", ["PUT"], guarded=True)
def put_image_json(image_id):
    image_id = names.image_id(image_id)
    writer = auth.authorize(request(), WRITE, image_id=image_id)
    image = images.parse_json(image_id, request().raw_body)
    if image.parent:
        auth.authorize(request(), READ, image_id=image.parent)
    images.put_json(config.settings(), image, lambda: auth.claim_repository(writer, image_id))
    return true()


@route("/v1/images/{image_id}/json", ["GET"])
def get_image_json(image_id):
    image_id = names.image_id(image_id)
    auth.authorize(request(), READ, image_id=image_id)
    image = images.readable_image(image_id)
    if header("If-Modified-Since"):
        return responses.not_modified()
    return responses.raw_json(image.json, headers={
        **responses.immutable(),
        "X-Docker-Size": str(int(image.layer_size)),
        "X-Docker-Checksum-Payload": image.payload_checksum})


@route("/v1/images/{image_id}/layer", ["PUT"], guarded=True)
def put_image_layer(image_id):
    image_id = names.image_id(image_id)
    repository = auth.authorize(request(), WRITE, image_id=image_id).repository
    settings = config.settings()
    upload_mode = header("X-Registry-Upload")
    if upload_mode == "redirect":
        url = images.start_redirected_upload(settings, image_id, repository)
        return responses.empty(307, {"Location": url})
    if upload_mode == "multipart":
        size = images.parse_layer_size(header("X-Registry-Layer-Size"))
        return responses.json_response(
            images.start_multipart_upload(settings, image_id, size, repository))
    if upload_mode is not None:
        raise bad_request("X-Registry-Upload must be 'redirect' or 'multipart'")
    images.put_layer(settings, image_id, request().raw_body, repository)
    return true()


@route("/v1/images/{image_id}/layer/multipart", ["POST"], guarded=True)
def complete_multipart_layer(image_id):
    image_id = names.image_id(image_id)
    repository = auth.authorize(request(), WRITE, image_id=image_id).repository
    images.complete_multipart_upload(config.settings(), image_id, request().raw_body, repository)
    return true()


@route("/v1/images/{image_id}/layer", ["GET"])
def get_image_layer(image_id):
    image_id = names.image_id(image_id)
    auth.authorize(request(), READ, image_id=image_id)
    image = images.readable_image(image_id)
    if header("If-Modified-Since"):
        return responses.not_modified()
    # The bytes come from S3; the presigned URL carries its own authorisation (§4.18).
    return responses.empty(302, {
        "Location": images.layer_url(config.settings(), image),
        "Accept-Ranges": "bytes",
        "X-Docker-Size": str(int(image.layer_size)),
        "Cache-Control": "no-cache"})


@route("/v1/images/{image_id}/checksum", ["PUT"], guarded=True)
def put_image_checksum(image_id):
    image_id = names.image_id(image_id)
    writer = auth.authorize(request(), WRITE, image_id=image_id)
    images.put_checksum(config.settings(), image_id, header("X-Docker-Checksum-Payload"),
                        writer.repository, lambda: auth.may_read_image(writer, image_id))
    return true()


@route("/v1/images/{image_id}/ancestry", ["GET"])
def get_image_ancestry(image_id):
    image_id = names.image_id(image_id)
    auth.authorize(request(), READ, image_id=image_id)
    ancestry = images.ancestry(image_id)
    if header("If-Modified-Since"):
        return responses.not_modified()
    return responses.raw_json(json.dumps(ancestry), headers=responses.immutable())


# ---- tags and repository JSON (§2.13–2.19) ----

@repository_route("/tags", ["GET"])
def get_tags(namespace, repository=None):
    name = names.repository(namespace, repository)
    auth.authorize(request(), READ, repository=name)
    return responses.json_response(tags.list_tags(name))


@repository_route("/tags/{tag}", ["GET"])
def get_tag(namespace, tag, repository=None):
    name, tag = names.repository(namespace, repository), names.tag(tag)
    auth.authorize(request(), READ, repository=name)
    return responses.json_response(tags.get_tag(name, tag))


@repository_route("/tags/{tag}", ["PUT"], guarded=True)
def put_tag(namespace, tag, repository=None):
    name, tag = names.repository(namespace, repository), names.tag(tag)
    auth.authorize(request(), WRITE, repository=name)
    image_id = tags.parse_tag_body(request().raw_body)
    auth.authorize(request(), READ, image_id=image_id)
    tags.set_tag(name, tag, image_id, header("User-Agent"))
    return true()


@repository_route("/tags/{tag}", ["DELETE"], guarded=True)
def delete_tag(namespace, tag, repository=None):
    name, tag = names.repository(namespace, repository), names.tag(tag)
    auth.authorize(request(), DELETE, repository=name)
    tags.delete_tag(name, tag)
    return true()


@repository_route("/tags/{tag}/json", ["GET"])
def get_tag_json(namespace, tag, repository=None):
    name, tag = names.repository(namespace, repository), names.tag(tag)
    auth.authorize(request(), READ, repository=name)
    return responses.json_response(tags.tag_json(name, tag))


@repository_route("/json", ["GET"])
def get_repository_json(namespace, repository=None):
    name = names.repository(namespace, repository)
    auth.authorize(request(), READ, repository=name)
    return responses.json_response(repositories.repository_json(name))


# ---- Index repository calls (§3.4–3.7) ----

def index_headers(principal, name, access):
    """`X-Docker-Endpoints` always; a token only when asked with `X-Docker-Token: true` (§4.1)."""
    headers = {"X-Docker-Endpoints": index.endpoints(header("Host"))}
    if (header("X-Docker-Token") or "").lower() == "true":
        token = auth.issue_token(principal, name, access)
        headers.update({"X-Docker-Token": token, "WWW-Authenticate": f"Token {token}"})
    return headers


@repository_route("", ["PUT"], guarded=True)
def put_repository(namespace, repository=None):
    name = names.repository(namespace, repository)
    principal = auth.authorize(request(), WRITE, repository=name)
    index.start_push(name, request().raw_body)
    return responses.json_response("", headers=index_headers(principal, name, WRITE))


@repository_route("", ["DELETE"], guarded=True)
def delete_repository(namespace, repository=None):
    name = names.repository(namespace, repository)
    principal = auth.authorize(request(), DELETE, repository=name)
    repositories.delete(name)
    return responses.json_response(True, headers=index_headers(principal, name, DELETE))


@repository_route("/images", ["PUT"], guarded=True)
def put_repository_images(namespace, repository=None):
    name = names.repository(namespace, repository)
    principal = auth.authorize(request(), WRITE, repository=name)
    index.finish_push(name, request().raw_body)
    return responses.empty(204, index_headers(principal, name, WRITE))


@repository_route("/images", ["GET"])
def get_repository_images(namespace, repository=None):
    name = names.repository(namespace, repository)
    principal = auth.authorize(request(), READ, repository=name)
    return responses.json_response(repositories.image_list(name),
                                   headers=index_headers(principal, name, READ))


@repository_route("/auth", ["PUT"], guarded=True)
def put_repository_auth(namespace, repository=None):
    name = names.repository(namespace, repository)
    auth.token_for(request(), name)
    repositories.get(name)
    return responses.json_response("OK")


@repository_route("/properties", ["GET"])
def get_repository_properties(namespace, repository=None):
    name = names.repository(namespace, repository)
    auth.authorize(request(), READ, repository=name)
    return responses.json_response(repositories.properties(name))


@repository_route("/properties", ["PUT"], guarded=True)
def put_repository_properties(namespace, repository=None):
    name = names.repository(namespace, repository)
    auth.authorize(request(), WRITE, repository=name)
    repositories.set_properties(name, request().raw_body)
    return true()


# ---- accounts and search (§3.1–3.3, §3.11) ----

@route("/v1/users", ["POST"])
def create_user():
    users.create(config.settings(), request().raw_body)
    return responses.json_response("User Created", status=201)


@route("/v1/users", ["GET"])
def login():
    auth.login(request())
    return responses.json_response("OK")


@route("/v1/users/{username}", ["PUT"], guarded=True)
def update_user(username):
    principal = auth.account(request(), username)
    users.update(config.settings(), username, request().raw_body, by_admin=principal.admin)
    return responses.empty(204)


@route("/v1/search", ["GET"])
def search_repositories():
    principal = auth.identify(request())
    query = request().query_params or {}
    return responses.json_response(search.search(
        principal, query.get("q", ""), query.get("n"), query.get("page")))
