"""The Registry v2 routes (spec v2-pull §1): `/v2/`, `/v2/token`, `/v2/_catalog`, and per
repository (`ns/repo`, or `repo` for `library/repo`) `manifests/<reference>`,
`blobs/<digest>`, `tags/list` and the upload paths a push would use. Every route takes every
method, and writes are 405 UNSUPPORTED before any credential is looked at (§1.10).

Every answer carries `Docker-Distribution-API-Version: registry/2.0`, except to whom the v2
API is hidden (gate.py): they get a plain 404 on every path. HEAD gets GET's status and
headers, `Content-Length` included, without the body (§6.9)."""
import functools
import json
import logging

from chalice import Blueprint, Response

from .. import config, faults, responses
from ..errors import ApiError
from ..images_v2.manifests import digest as digest_of
from . import access, blobs, gate, listing, manifests, references, token
from .errors import from_api_error, internal_error, unsupported

blueprint = Blueprint(__name__)
log = logging.getLogger(__name__)
READS = ("GET", "HEAD")
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}
JSON = "application/json; charset=utf-8"


def _answer(view, reads: tuple[str, ...], challenge, params: dict) -> Response:
    request = blueprint.current_request
    if not gate.serves(config.settings(), request.headers.get("user-agent")):
        return gate.hidden()
    try:
        if request.method not in reads:
            raise unsupported(request.method)
        response = view(request, **params)
    except ApiError as error:
        response = from_api_error(error, challenge(request, params)).response()
    except Exception as error:          # noqa: BLE001 — answered in v2's shape
        where = (request.method, (request.context or {}).get("path", request.path))
        if faults.transient(error):     # S3 or DynamoDB busy or out of reach: retry
            log.warning("AWS unavailable in %s %s: %r", *where, error)
            response = from_api_error(faults.unavailable(), "").response()
        else:
            log.exception("Internal error in %s %s", *where)
            response = internal_error().response()
    response.headers.update(VERSION)
    if request.method == "HEAD":
        response.headers.setdefault("Content-Length", str(len((response.body or "").encode())))
        response.body = ""
    return response


def _route(paths: list[str], challenge, reads=READS):
    def register(view):
        @functools.wraps(view)
        def handler(**params):
            return _answer(view, reads, challenge, params)
        for path in paths:
            blueprint.route(path, methods=METHODS, content_types=["*/*"])(handler)
        return view
    return register


def _no_scope(request, _params) -> str:
    return access.challenge(request)


def _repo(params: dict) -> references.Repo:
    return references.repository("/".join(
        params[key] for key in ("namespace", "repository") if params.get(key)))


def _repository_route(suffix: str):
    """`/v2/<ns>/<repo><suffix>` and `/v2/<repo><suffix>`; the view gets the Repo."""
    def pull_challenge(request, params) -> str:
        try:
            return access.challenge(request, access.pull_scope(_repo(params)))
        except ApiError:
            return access.challenge(request)

    def register(view):
        def with_repo(request, namespace, repository=None, **params):
            return view(request, _repo({"namespace": namespace, "repository": repository}),
                        **params)
        functools.update_wrapper(with_repo, view)
        _route(["/v2/{namespace}/{repository}" + suffix, "/v2/{namespace}" + suffix],
               pull_challenge)(with_repo)
        return view
    return register


def _json(value, headers: dict | None = None) -> Response:
    return responses.raw_json(json.dumps(value), headers={"Content-Type": JSON,
                                                          **(headers or {})})


def _query(request, name: str) -> str | None:
    return (request.query_params or {}).get(name)


# ---- version check, tokens, catalog (§1.2, §2, §1.7) ----

@_route(["/v2"], _no_scope)
def version_check(request):
    """200 to any valid token (anonymous ones too), else the challenge (docker reads
    challenges only here, §1.2)."""
    access.subject(request)
    return _json({})


@_route(["/v2/token"], lambda request, _: f'Basic realm="{access.realm(request)}"',
        reads=("GET", "HEAD", "POST"))
def get_token(request):
    if request.method == "POST":
        return _json(token.post(request), responses.NO_CACHE)
    return _json(token.get(request), responses.NO_CACHE)


@_route(["/v2/_catalog"], lambda request, _: access.challenge(request, "registry:catalog:*"))
def catalog(request):
    principal = access.subject(request, "registry:catalog:*")
    size = listing.page_size(_query(request, "n"), listing.CATALOG_PAGE)
    body, headers = listing.catalog(principal, size, _query(request, "last"))
    return _json(body, headers)


# ---- per repository (§1.4–1.6, §1.10) ----

@_repository_route("/manifests/{reference}")
def manifest(request, repo, reference):
    access.reader(request, repo)
    types = manifests.accepted(header_values(request, "accept"))
    if references.is_digest(reference):
        media_type, data = manifests.by_digest(repo, references.digest(reference), types)
    else:
        media_type, data = manifests.by_tag(repo, references.tag(reference), types)
    digest = digest_of(data)
    return Response(body=data.decode(), status_code=200, headers={
        "Content-Type": media_type, "Docker-Content-Digest": digest, "ETag": f'"{digest}"'})


@_repository_route("/blobs/{digest}")
def blob(request, repo, digest):
    digest = references.digest(digest)
    access.reader(request, repo)
    row = blobs.find(repo, digest)
    headers = {"Docker-Content-Digest": digest, "Content-Type": row.media_type}
    if row.manifest is not None:
        return Response(body=row.manifest, status_code=200, headers=headers)
    if request.method == "HEAD":
        return Response(body="", status_code=200, headers={
            **headers, "Content-Length": str(int(row.size)), "Accept-Ranges": "bytes"})
    return Response(body="", status_code=307, headers={
        "Location": blobs.url(config.settings(), digest), "Docker-Content-Digest": digest})


@_repository_route("/tags/list")
def tags_list(request, repo):
    access.reader(request, repo)
    size = listing.page_size(_query(request, "n"), None)
    body, headers = listing.tags(repo, size, _query(request, "last"))
    return _json(body, headers)


@_repository_route("/blobs/uploads")
def upload(request, repo):
    raise unsupported(request.method)


@_repository_route("/blobs/uploads/{session}")
def upload_session(request, repo, session):
    raise unsupported(request.method)


def header_values(request, name: str) -> list[str]:
    """Every value of a header the client sent: API Gateway keeps repeated lines (docker
    sends one Accept line per media type) in multiValueHeaders; the local stack joins
    them with commas."""
    multi = request.to_original_event().get("multiValueHeaders") or {}
    for key, values in multi.items():
        if key.lower() == name:
            return list(values)
    value = request.headers.get(name)
    return [value] if value is not None else []
