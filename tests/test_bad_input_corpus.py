"""A generated corpus of bad requests on every route of the app (`app.routes`, so a new route
is covered without editing this file): malformed bodies, junk headers of every kind,
garbage in path segments and query strings, methods a route does not have.

Each request must be answered with a 4xx in its API's error shape (`ALLOWED` says where a
2xx/3xx is acceptable too, and which), never a 5xx, and the stored state must be what it
was after the whole corpus. Most of it runs in process (Chalice's test client); a sample
runs over real HTTP through the local stack, with a timeout per request."""
import base64
import collections
import http.client
import json
import random
import re
import types
from dataclasses import dataclass, field

import pytest

from auth_world import PASSWORD, As, register, set_access, start_push
from conftest import ADMIN, basic
from helpers import JSON_HEADERS, put_image, put_tag, stored_state
from oauth_helpers import FORM, REDIRECT
from v2_helpers import DOCKER_20

METHODS = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"]
# Over HTTP only: Chalice's test client crashes on the preflight answer it makes for OPTIONS.
# (A method the server does not know at all, FOO, is 501 JSON: tests/test_local_stack.py.)
HTTP_METHODS = METHODS + ["OPTIONS"]
UNSAFE = {"PUT", "POST", "PATCH", "DELETE"}
LONG = 20000
LONGEST = 60000          # credentials as long as an HTTP header line may be (64 KiB)

# ---- the junk ----

BODIES = {
    "truncated JSON": b'{"id": "ab', "truncated array": b'[{"id": ',
    "deep arrays": b"[" * 100000, "deep objects": b'{"a":' * 50000,
    "NaN": b"NaN", "NaN in an object": b'{"email": NaN, "access": Infinity}',
    "a number": b"5", "a string": b'"x"', "null": b"null", "true": b"true",
    "wrong field types": json.dumps({
        "id": 5, "parent": [], "username": [], "password": {}, "email": 7, "access": 1,
        "name": None, "redirect_uris": "x", "public": "yes", "location": [], "Tag": 5,
        "checksum": {}, "grant_type": 1, "form": []}).encode(),
    "huge string": b'"' + b"x" * 1_000_000 + b'"',
    "huge fields": json.dumps({"email": "x" * LONG, "username": "u" * LONG,
                               "password": "p" * LONG, "access": "a" * LONG}).encode(),
    "invalid UTF-8": b'{"email": "\xff\xfe", "access": "\xc3("}',
    "UTF-16": '{"access": "public"}'.encode("utf-16"),
    "binary": random.Random(10).randbytes(4096),
    "form with bad escapes": b"a=%ff&&=&b=%zz%",
}
AUTHORIZATIONS = {
    "Basic, bad base64": "Basic !!!***", "Basic, padding only": "Basic ====",
    "Basic, no colon": "Basic " + base64.b64encode(b"alice").decode(),
    "Basic, non-ASCII": "Basic \u00e9\u00e9\u00e9\u00e9",
    "Basic, not UTF-8": "Basic " + base64.b64encode(b"\xff\xfe:\x80").decode(),
    "Basic, over-long": "Basic " + "A" * LONGEST, "Basic, empty": "Basic",
    "Token junk": "Token signature=x,repository=\"alice/pub\",access=write",
    "Token, over-long": "Token " + "t" * LONGEST, "Bearer junk": "Bearer a.b.c",
    "Bearer, not base64": "Bearer \u00ff\u00fe", "Bearer, over-long": "Bearer " + "b" * LONGEST,
    "unknown scheme": "Digest username=alice", "only spaces": "   ",
}
HEADERS = {     # name -> junk values; which requests get them: `header_cases`
    "Range": ["bytes=abc", "bytes=-", "bytes=5-1", "bytes=" + "9" * 5000 + "-", "pages=1-2",
              "bytes=" + ",".join(f"{n}-{n}" for n in range(2000)), "bytes=\u00e9-"],
    "X-Registry-Layer-Size": ["", "-1", "abc", "1e9", "9" * 400, "0x10", "1.5"],
    "X-Registry-Upload": ["", "multi part", "\u00e9" * 10],
    "X-Docker-Token": ["maybe", "Token " + "t" * LONG, "\u00e9", "true,true"],
    "Content-Type": ["application/json; charset=utf-16", "multipart/form-data",
                     "application/x-www-form-urlencoded; charset=latin-1", "\u00e9/\u00e9",
                     "text/plain; " + "p=v;" * 4000, ";;;"],
}
SEGMENTS = {
    "over-long": "a" * 5000, "percent garbage": "%ff%fe%00", "broken escape": "%zz%",
    "encoded slash and dots": "..%2F..%2Fx", "encoded NUL": "x%00y", "non-ASCII": "%C3%A9t%C3%A9",
}
QUERIES = {
    "over-long value": "q=" + "x" * LONG, "percent garbage": "q=%ff%fe&n=%00",
    "broken escapes": "%zz=%&&==", "duplicated keys": "n=1&n=2&scope=a&scope=b&state=1&state=2",
    "huge numbers": "n=" + "9" * 400 + "&page=-1&last=" + "z" * 300,
}

# ---- which outcomes each generator allows ----

ALLOWED = {
    "body": "4xx: a malformed body, sent by the owner of the resource",
    "authorization": "4xx; or for GET/HEAD the status of the same anonymous request when "
                     "that is a 2xx/3xx (a public read that ignores the header)",
    "header": "4xx; or for GET/HEAD (anonymous) the status of the same request without the "
              "header when that is a 2xx/3xx, or 416 for a Range; unsafe methods carry a "
              "malformed body, or are made by a user who may not (bobby)",
    "segment": "4xx: a path parameter replaced by garbage",
    "query": "4xx; or the status of the same request without the junk when that is a "
             "2xx/3xx; for the authorize page also a 302 to the registered redirect URI "
             "with ?error=",
    "method": "4xx (404/405): a method the route does not have",
}


@dataclass
class Case:
    generator: str
    label: str
    route: str               # the template in app.routes
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    clean_path: str = ""     # the same request without the junk (query junk only)

    def __post_init__(self):
        self.clean_path = self.clean_path or self.path


@dataclass
class World:
    images: dict             # repository -> its tagged image id
    uploading: str           # an image of alice/pub with its JSON and layer, no checksum
    client_id: str
    blob: str                # the config blob digest of alice/pub:latest over v2
    callers: dict = field(default_factory=dict)     # role -> Authorization header


def seed(http) -> World:
    """Users alice and bobby; alice/pub (public) and alice/priv (private), each with a
    pushed image tagged latest, their v2 content made; an OAuth client. Through the API."""
    register(http, "alice")
    register(http, "bobby")
    alice = As(http, basic("alice", PASSWORD))
    images = {}
    for name in ("alice/pub", "alice/priv"):
        start_push(alice, name, [])
        images[name] = put_image(alice).id
        assert put_tag(alice, name, "latest", images[name]).status_code == 200
    uploading = put_image(alice, complete=False).id
    set_access(alice, "alice/priv", "private")
    answer = http.post("/api/v1.1/o/clients/", headers={**JSON_HEADERS,
                       "Authorization": basic(*ADMIN)},
                       body=json.dumps({"name": "corpus", "redirect_uris": [REDIRECT]}).encode())
    assert answer.status_code == 201, answer.body
    token = http.get("/v2/token?service=registry&scope=repository:alice/pub:pull"
                     "&scope=repository:alice/priv:pull", headers={
                         "Authorization": basic("alice", PASSWORD), "User-Agent": DOCKER_20})
    assert token.status_code == 200, token.body
    bearer = json.loads(token.body)["token"]
    for name in images:                           # v2 content is made on its first request
        manifest = http.get(f"/v2/{name}/manifests/latest", headers={
            "Authorization": f"Bearer {bearer}", "User-Agent": DOCKER_20,
            "Accept": "application/vnd.docker.distribution.manifest.v2+json"})
        assert manifest.status_code == 200, manifest.body
        if name == "alice/pub":
            blob = json.loads(manifest.body)["config"]["digest"]
    for who in ("alice", "bobby"):                # logins record their source up front
        assert http.get("/v1/users/", headers={"Authorization": basic(who, PASSWORD)}
                        ).status_code == 200
    return World(images, uploading, json.loads(answer.body)["client_id"], blob,
                 {"alice": basic("alice", PASSWORD), "bobby": basic("bobby", PASSWORD),
                  "admin": basic(*ADMIN)})


# ---- the generators ----

def route_table():
    """(path template, methods, view name of each method) of every route of the app."""
    from app import app
    return [(path, entries) for path, entries in sorted(app.routes.items())]


def fill(template: str, world: World, **junk) -> str:
    """The template with valid values (alice/pub, its image and tag, alice, the client),
    any parameter named in `junk` replaced; a slash-terminated path under /api/v1.1/."""
    values = {"namespace": "alice", "repository": "pub", "component": "x", "tag": "latest",
              "image_id": world.images["alice/pub"], "username": "alice",
              "client_id": world.client_id, "reference": "latest", "digest": world.blob,
              "session": "x", **junk}
    path = re.sub(r"\{(\w+)\}", lambda match: values[match[1]], template)
    return path + "/" if path.startswith("/api/v1.1/") else path


def base_query(template: str, world: World) -> str:
    """The query a route needs to be a valid request."""
    return {"/api/v1.1/o/authorize": f"client_id={world.client_id}&redirect_uri={REDIRECT}"
                                     "&response_type=code&state=s",
            "/v1/search": "q=pub", "/v2/token": "service=registry&scope=repository:alice/pub:pull",
            "/api/v1.1/users/{username}/emails": "email=alice@example.com"}.get(template, "")


def with_query(path: str, *parts: str) -> str:
    query = "&".join(part for part in parts if part)
    return f"{path}?{query}" if query else path


def owner_of(template: str, world: World) -> str:
    return world.callers["admin" if template.startswith("/api/v1.1/o/clients") else "alice"]


def takes_body(template: str, method: str) -> bool:
    return method in {"PUT", "POST", "PATCH"} or (template.endswith("/emails")
                                                  and method == "DELETE")


def body_cases(routes, world):
    for template, entries in routes:
        for method in (m for m in entries if takes_body(template, m)):
            path = with_query(fill(template, world), base_query(template, world))
            for label, body in BODIES.items():
                content_type = FORM if label.startswith("form") else JSON_HEADERS
                yield Case("body", label, template, method, path, {
                    **content_type, "Authorization": owner_of(template, world)}, body)


def authorization_cases(routes, world):
    for template, entries in routes:
        for method in entries:
            path = with_query(fill(template, world), base_query(template, world))
            for label, value in AUTHORIZATIONS.items():
                yield Case("authorization", label, template, method, path, {"Authorization": value})


def header_cases(routes, world):
    """Range on layer and blob reads; the upload headers on PUT layer of an image being
    uploaded; X-Docker-Token on every index route; odd Content-Types on every route that
    takes a body. A request with a body carries the owner's credentials and a malformed
    body; other unsafe requests are bobby's (the owner's DELETE would be valid)."""
    for template, entries in routes:
        for method in entries:
            path = with_query(fill(template, world), base_query(template, world))
            names = {"X-Docker-Token": path} if template.startswith("/v1/repositories") else {}
            if template.endswith(("/layer", "/blobs/{digest}")) and method in ("GET", "HEAD"):
                names["Range"] = path
            if template.endswith("/layer") and method == "PUT":
                uploading = fill(template, world, image_id=world.uploading)
                names.update({"X-Registry-Layer-Size": uploading, "X-Registry-Upload": uploading})
            if takes_body(template, method):     # the complete image's layer: any bytes refused
                names["Content-Type"] = path
            for name, where in names.items():
                for value in HEADERS[name]:
                    headers = {name: value}
                    if name == "X-Registry-Layer-Size":
                        headers["X-Registry-Upload"] = "multipart"
                    if takes_body(template, method):
                        headers["Authorization"] = owner_of(template, world)
                    elif method in UNSAFE:
                        headers["Authorization"] = world.callers["bobby"]
                    body = b"{" if takes_body(template, method) else b""
                    yield Case("header", f"{name}: {value[:30]!r}", template, method, where,
                               headers, body)


def segment_cases(routes, world):
    for template, entries in routes:
        for method in entries:
            for param in re.findall(r"\{(\w+)\}", template):
                for label, junk in SEGMENTS.items():
                    path = with_query(fill(template, world, **{param: junk}),
                                      base_query(template, world))
                    yield Case("segment", f"{param} {label}", template, method, path,
                               {"Authorization": owner_of(template, world), **JSON_HEADERS},
                               b"{" if takes_body(template, method) else b"")


def query_cases(routes, world):
    for template, entries in routes:
        for method in (m for m in entries if m in ("GET", "HEAD")):
            path = fill(template, world)
            for label, junk in QUERIES.items():
                clean = with_query(path, base_query(template, world))
                yield Case("query", label, template, method, with_query(clean, junk),
                           clean_path=clean)


def method_cases(routes, world):
    """Over HTTP only: in process, Chalice's emulated router answers these, not the app
    (on AWS it is API Gateway, locally the stack's handler; both in the v1 error shape)."""
    for template, entries in routes:
        path = with_query(fill(template, world), base_query(template, world))
        for method in (m for m in HTTP_METHODS if m not in entries):
            yield Case("method", "unrouted", template, method, path,
                       {"Authorization": owner_of(template, world), **JSON_HEADERS}, b"{")


IN_PROCESS = [body_cases, authorization_cases, header_cases, segment_cases, query_cases]


def corpus(world: World, generators) -> list[Case]:
    routes = route_table()
    cases = [case for generator in generators for case in generator(routes, world)]
    for case in cases:
        case.headers.setdefault("User-Agent", DOCKER_20)      # a client /v2 is served to
    return cases


# ---- sending and checking ----

Answer = collections.namedtuple("Answer", "status headers body")


def allowed(case: Case, answer: Answer, baseline) -> bool:
    if 400 <= answer.status < 500:
        return True
    if case.generator in ("body", "segment", "method") or case.method in UNSAFE:
        return False
    if case.generator == "header" and case.headers.get("Range") and answer.status == 416:
        return True
    if (case.generator == "query" and case.path.startswith("/api/v1.1/o/authorize/")
            and answer.status == 302):
        location = answer.headers.get("location", "")
        return location.startswith(REDIRECT + "?") and "error=" in location
    ignored = baseline(case)
    return 200 <= ignored < 400 and answer.status == ignored


def shape_problem(case: Case, answer: Answer) -> str | None:
    """What is wrong with the error body, None when it is the API's error shape."""
    if case.method == "HEAD" or answer.status < 400:
        return None
    content_type = answer.headers.get("content-type", "")
    path = case.path.split("?")[0]
    if content_type.startswith("text/html") and path.startswith(
            ("/api/v1.1/o/authorize/", "/api/v1.1/o/applications/")):
        text = answer.body.decode("utf-8", "replace")
        return "a traceback" if "Traceback" in text or "File \"" in text else None
    try:
        body = json.loads(answer.body)
    except ValueError:
        return f"not JSON ({content_type})"
    if path.startswith("/v2") and case.generator != "method":
        errors = body.get("errors") if isinstance(body, dict) else None
        good = (isinstance(errors, list) and errors and all(
            isinstance(e, dict) and isinstance(e.get("code"), str)
            and isinstance(e.get("message"), str) for e in errors))
        return None if good else "not a v2 error body"
    good = isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"]
    return None if good else "not an {\"error\"} body"


class Report:
    """Outcomes per generator and status, printed at the end of the module."""
    counts: collections.Counter = collections.Counter()
    total = {"in process": 0, "over HTTP": 0}


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    print("\nbad input corpus:", ", ".join(f"{n} {where}" for where, n in Report.total.items()))
    for generator, outcomes in ALLOWED.items():
        print(f"  {generator:13} allows {outcomes}")
    for (where, generator, status), count in sorted(Report.counts.items()):
        print(f"  {where:10} | {generator:13} | {status} | {count}")


def run(cases: list[Case], send, where: str) -> list[str]:
    baselines = {}

    def baseline(case):
        """The status of the same request, anonymous and without the junk."""
        key = (case.method, case.clean_path)
        if key not in baselines:
            baselines[key] = send(Case("baseline", "", case.route, case.method, case.clean_path,
                                       {"User-Agent": DOCKER_20})).status
        return baselines[key]

    problems = []
    for case in cases:
        answer = send(case)
        Report.counts[(where, case.generator, answer.status)] += 1
        Report.total[where] += 1
        label = f"{case.generator} / {case.label} / {case.method} {case.path[:90]}"
        if not allowed(case, answer, baseline):
            problems.append(f"{label}: {answer.status} {answer.body[:160]!r}")
        elif (problem := shape_problem(case, answer)) is not None:
            problems.append(f"{label}: {answer.status} {problem} {answer.body[:160]!r}")
    return problems


# ---- in process ----

@pytest.fixture
def world(anonymous_client, admin, aws):
    return seed(anonymous_client.http)


def test_the_corpus_in_process(anonymous_client, aws, world):
    http = anonymous_client.http

    def send(case: Case) -> Answer:
        response = http.request(case.method, case.path, headers=case.headers, body=case.body)
        return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                      response.body)

    cases = corpus(world, IN_PROCESS)
    before = stored_state(aws)
    problems = run(cases, send, "in process")
    assert problems == [], "\n".join(problems)
    assert stored_state(aws) == before
    assert len(cases) >= 300
    assert {case.route for case in cases} == {template for template, _ in route_table()}


# ---- over real HTTP ----

CREDENTIAL_ROUTES = {"/v1/images/{image_id}/json", "/v1/repositories/{namespace}/{repository}",
                     "/v1/search", "/api/v1.1/users/{username}", "/api/v1.1/o/token",
                     "/v2/{namespace}/{repository}/manifests/{reference}", "/v2/token"}


class OverHttp:
    """`client.http` over a real connection to the stack: what the seeding helpers call."""

    def __init__(self, stack, timeout: float = 10):
        self.port, self.timeout = stack.port, timeout

    def request(self, method, path, headers=None, body=b""):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                connection.putheader(name, value.encode("utf-8"))   # raw bytes, as sent
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return types.SimpleNamespace(status_code=response.status, body=response.read(),
                                         headers=response.headers)   # case-insensitive
        finally:
            connection.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)


def test_methods_and_a_sample_of_the_corpus_over_http(stack):
    """Every unrouted method of every route, every junk credential on a few routes of each
    API, and a sample of the rest, each answered within 10 s."""
    http_ = OverHttp(stack)
    world = seed(http_)
    settings = types.SimpleNamespace(region="us-east-1", bucket="v1registry-local-layers",
                                     aws_endpoint=stack.moto_endpoint)

    def send(case: Case) -> Answer:
        try:
            response = http_.request(case.method, case.path, case.headers, case.body)
        except OSError as error:                          # a timeout included: a hang
            return Answer(0, {}, f"no answer: {error!r}".encode())
        return Answer(response.status_code, response.headers, response.body)

    rest = corpus(world, IN_PROCESS)
    credentials = [case for case in rest if case.generator == "authorization"
                   and case.route in CREDENTIAL_ROUTES]
    cases = corpus(world, [method_cases]) + credentials + random.Random(1).sample(rest, 60)
    before = stored_state(settings)
    problems = run(cases, send, "over HTTP")
    assert problems == [], "\n".join(problems)
    assert stored_state(settings) == before
    assert len(cases) >= 40
