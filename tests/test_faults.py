"""S3 and DynamoDB failing at each step of a docker push and pull (spec §5.4, §5.5): every
AWS call a step makes, failed in turn with each fault of tests/faults.py (throttling, 5xx,
a lost connection, a timeout after the write happened).

For each: the step answers 503 `{"error"}` with Retry-After (a fault in a clean-up after the
step's write is logged and the step succeeds: the bucket's lifecycle rule removes what it
left); nothing half-written is served (an image is readable whole or not at all, a tag
points at such an image); and the same push, run again from its start as docker's user
would, completes and pulls back the exact bytes. In process over moto, each request in a
cold container (nothing cached), so every step makes all of its calls."""
import json
import os

import pytest
import requests

import faults
from auth_world import As
from conftest import ADMIN, basic
from docker_v1 import Image, chain
from helpers import JSON_HEADERS, LAYER_HEADERS

PUSH_STEPS = ["index PUT", "PUT json", "PUT layer", "PUT checksum", "PUT tag",
              "index PUT images"]
PULL_STEPS = ["index GET images", "GET tag", "GET ancestry", "GET json", "GET layer"]
# Calls whose failure the step survives: a clean-up after its write (uploads/ expire by
# lifecycle), and PUT tag's making of the v2 content (images_v2/publish.prepare: reads of the
# chain, the config blob), which the tag's first v2 request makes instead (v2-pull §6): the
# step's first BatchGetItem (the chain's images; the second is the repository's list).
SURVIVED = {("PUT checksum", "s3", "DeleteObject", 1), ("PUT tag", "dynamodb", "BatchGetItem", 1),
            ("PUT tag", "s3", "HeadObject", 1), ("PUT tag", "s3", "PutObject", 1)}


class StepFailed(Exception):
    def __init__(self, step, response):
        super().__init__(f"{step}: {response.status_code} {response.body[:200]!r}")
        self.step, self.response = step, response


def expect(step, response, *statuses, already_exists=False):
    if response.status_code in statuses:
        return response
    if already_exists and _error(response) == "Image already exists":
        return response
    raise StepFailed(step, response)


def _error(response):
    try:
        return json.loads(response.body).get("error")
    except (ValueError, AttributeError):
        return None


class Docker:
    """docker 1.x's push and pull (§5.4, §5.5), call for call, through the in-process
    client. Each call runs in a cold container (caches cleared), between
    `hooks.before(step, image_index)` and `hooks.after(step, image_index)`."""

    def __init__(self, http, hooks=None):
        self.http, self.hooks = http, hooks
        self.basic = As(http, basic(*ADMIN))

    def _call(self, step, index, caller, method, path, **kwargs):
        from chalicelib.store import cache
        cache.clear_all()
        if self.hooks:
            self.hooks.before(step, index)
        try:
            return caller.request(method, path, **kwargs)
        finally:
            if self.hooks:
                self.hooks.after(step, index)

    def push(self, name: str, images: list[Image], tag: str = "latest") -> None:
        entries = [{"id": image.id} for image in images] + [{"id": images[-1].id, "Tag": tag}]
        answer = expect("index PUT", self._call(
            "index PUT", None, self.basic, "PUT", f"/v1/repositories/{name}/",
            body=json.dumps(entries).encode(),
            headers={**JSON_HEADERS, "X-Docker-Token": "true"}), 200)
        registry = As(self.http, "Token " + answer.headers["X-Docker-Token"])
        for index, image in enumerate(images):
            path = f"/v1/images/{image.id}"
            if registry.get(path + "/json").status_code == 200:       # the existence probe
                continue
            put = expect("PUT json", self._call("PUT json", index, registry, "PUT", path + "/json",
                                                body=image.json, headers=JSON_HEADERS),
                         200, already_exists=True)
            if put.status_code != 200:
                continue                                                # §5.9: skip it
            expect("PUT layer", self._call("PUT layer", index, registry, "PUT", path + "/layer",
                                           body=image.layer, headers=LAYER_HEADERS), 200)
            expect("PUT checksum", self._call(
                "PUT checksum", index, registry, "PUT", path + "/checksum", body=b"",
                headers={"X-Docker-Checksum-Payload": image.payload_checksum}),
                200, already_exists=True)
        expect("PUT tag", self._call("PUT tag", None, registry, "PUT",
                                     f"/v1/repositories/{name}/tags/{tag}",
                                     body=json.dumps(images[-1].id).encode(),
                                     headers=JSON_HEADERS), 200)
        expect("index PUT images", self._call(
            "index PUT images", None, self.basic, "PUT", f"/v1/repositories/{name}/images",
            body=b"[]", headers={**JSON_HEADERS, "X-Docker-Token": "true"}), 204)

    def pull(self, name: str, tag: str = "latest") -> list[tuple[bytes, bytes]]:
        """[(json, layer), ...] of the tag's chain, base first."""
        answer = expect("index GET images", self._call(
            "index GET images", None, self.basic, "GET", f"/v1/repositories/{name}/images",
            headers={"X-Docker-Token": "true"}), 200)
        registry = As(self.http, "Token " + answer.headers["X-Docker-Token"])
        top = json.loads(expect("GET tag", self._call(
            "GET tag", None, registry, "GET", f"/v1/repositories/{name}/tags/{tag}"), 200).body)
        ancestry = json.loads(expect("GET ancestry", self._call(
            "GET ancestry", None, registry, "GET", f"/v1/images/{top}/ancestry"), 200).body)
        pulled = []
        for index, image_id in enumerate(reversed(ancestry)):
            body = expect("GET json", self._call(
                "GET json", index, registry, "GET", f"/v1/images/{image_id}/json"), 200).body
            redirect = expect("GET layer", self._call(
                "GET layer", index, registry, "GET", f"/v1/images/{image_id}/layer"), 302)
            pulled.append((body, requests.get(redirect.headers["Location"]).content))
        return pulled


class Hooks:
    """Acts on one step (of the last image, for per-image steps): records the AWS calls it
    makes, or arms the injector before it."""

    def __init__(self, injector, step, arm=None):
        self.injector, self.step, self.arm = injector, step, arm
        self.calls, self.entered = None, False

    def _target(self, step, index):
        return step == self.step and index in (None, 1)

    def before(self, step, index):
        if self._target(step, index):
            self.entered = True
            if self.arm:
                self.injector.arm(*self.arm)
            else:
                self.injector.reset()

    def after(self, step, index):
        if self._target(step, index) and not self.arm:
            self.calls = self.injector.occurrences()


def new_images() -> list[Image]:
    return chain([os.urandom(3000), os.urandom(2000)])


def assert_nothing_half_written_is_served(http, name: str, images: list[Image]) -> None:
    """Each image reads whole (its JSON, ancestry and the layer bytes of its checksum) or
    not at all; a tag points at an image that reads whole."""
    from chalicelib.store import cache
    cache.clear_all()
    owner = As(http, basic(*ADMIN))
    whole = set()
    for position, image in enumerate(images):
        answer = owner.get(f"/v1/images/{image.id}/json")
        if answer.status_code != 200:
            assert answer.status_code in (400, 404), answer.body      # uploading / absent
            assert owner.get(f"/v1/images/{image.id}/layer").status_code in (400, 404)
            continue
        assert answer.body == image.json
        assert answer.headers["X-Docker-Checksum-Payload"] == image.payload_checksum
        ancestry = json.loads(owner.get(f"/v1/images/{image.id}/ancestry").body)
        assert ancestry == [i.id for i in reversed(images[:position + 1])]
        layer = requests.get(owner.get(f"/v1/images/{image.id}/layer").headers["Location"])
        assert layer.content == image.layer
        whole.add(image.id)
    tags = owner.get(f"/v1/repositories/{name}/tags")
    if tags.status_code == 200:
        assert set(json.loads(tags.body).values()) <= whole
    else:
        assert tags.status_code == 404


@pytest.fixture
def injector(monkeypatch, client):
    return faults.Injector().install(monkeypatch)


def cells(injector, http, step, run) -> list[tuple[str, str, int, faults.Fault]]:
    """(service, operation, nth, fault) for every call the step makes in a clean `run`."""
    hooks = Hooks(injector, step)
    run(Docker(http, hooks))
    assert hooks.calls, f"{step} made no AWS call"
    return [(service, operation, nth, fault) for service, operation, nth in hooks.calls
            for fault in faults.faults_for(service, operation)]


def answer_of(error: StepFailed | None) -> str:
    if error is None:
        return "200 (step done; what failed is left to the lifecycle rule or the first v2 pull)"
    response = error.response
    return f"{response.status_code} {_error(response)!r} Retry-After " \
           f"{response.headers.get('Retry-After')}"


RETRY = "503 'Storage temporarily unavailable; retry' Retry-After 1"
MATRIX: dict[tuple[str, str], set[str]] = {}       # (step, fault) -> answers


@pytest.fixture(scope="module", autouse=True)
def matrix_report():
    """The step × fault → answer matrix, printed at the end (`pytest -s` shows it)."""
    yield
    for (step, fault), answers in MATRIX.items():
        print(f"{step:18} | {fault:38} | " + "; ".join(sorted(answers)))


@pytest.mark.parametrize("step", PUSH_STEPS)
def test_a_fault_at_each_call_of_a_push_step_is_503_and_the_retried_push_completes(
        client, injector, step):
    http, counter = client.http, iter(range(1000))
    clean = cells(injector, http, step, lambda docker: docker.push("admin/clean", new_images()))
    problems = []
    for service, operation, nth, fault in clean:
        name, images = f"admin/app{next(counter)}", new_images()
        hooks = Hooks(injector, step, arm=(service, operation, nth, fault))
        try:
            Docker(http, hooks).push(name, images)
            failed = None
        except StepFailed as error:
            failed = error
        answer = answer_of(failed)
        cell = f"{step} / {service} {operation} #{nth} / {fault.name}"
        MATRIX.setdefault((step, fault.name), set()).add(f"{operation}: {answer}")
        expected = ("200" if (step, service, operation, nth) in SURVIVED else RETRY)
        if not injector.fired or failed is not None and failed.step != step \
                or not answer.startswith(expected):
            problems.append(f"{cell}: {answer} (fired: {injector.fired})")
            continue
        injector.reset()
        assert_nothing_half_written_is_served(http, name, images)
        Docker(http).push(name, images)                       # docker's user runs it again
        assert Docker(http).pull(name) == [(i.json, i.layer) for i in images], cell
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("step", PULL_STEPS)
def test_a_fault_at_each_call_of_a_pull_step_is_503_and_the_retried_pull_completes(
        client, injector, step):
    http, images = client.http, new_images()
    Docker(http).push("admin/pulled", images)
    clean = cells(injector, http, step, lambda docker: docker.pull("admin/pulled"))
    problems = []
    for service, operation, nth, fault in clean:
        hooks = Hooks(injector, step, arm=(service, operation, nth, fault))
        try:
            Docker(http, hooks).pull("admin/pulled")
            failed = None
        except StepFailed as error:
            failed = error
        answer = answer_of(failed)
        MATRIX.setdefault((step, fault.name), set()).add(f"{operation}: {answer}")
        if not injector.fired or failed is None or failed.step != step or answer != RETRY:
            problems.append(f"{step} / {service} {operation} #{nth} / {fault.name}: {answer}")
            continue
        injector.reset()
        assert Docker(http).pull("admin/pulled") == [(i.json, i.layer) for i in images]
    assert problems == [], "\n".join(problems)
