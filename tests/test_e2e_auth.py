"""docker 1.x login, push and pull with auth on, over real HTTP against the local stack
(spec §3.1–3.7, §3.11, §4.2, §4.22, §5.3–5.6). The stack's admin was made by
`python -m chalicelib.index.admin` (tests/conftest.py `stack`)."""
import base64
import json
import os
import subprocess
import sys

import pytest
import requests

import docker_v1

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "secret-pw"
JSON = {"Content-Type": "application/json; charset=utf-8"}
CHALLENGE = 'Basic realm="auth required",Token'


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def register(stack, username, password=PASSWORD):
    body = {"username": username, "password": password, "auth": "", "email": ""}
    return requests.post(f"{stack.url}/v1/users/", data=json.dumps(body), headers=JSON)


def login(stack, username, password=PASSWORD):
    return requests.get(f"{stack.url}/v1/users/",
                        headers={"Authorization": basic(username, password)})


def set_access(stack, name, access, auth):
    return requests.put(f"{stack.url}/v1/repositories/{name}/properties",
                        data=json.dumps({"access": access}),
                        headers={"Authorization": basic(*auth), **JSON})


@pytest.fixture(scope="module")
def accounts(stack):
    for username in ("alice", "bobby"):
        assert register(stack, username).status_code == 201
    return {"alice": ("alice", PASSWORD), "bobby": ("bobby", PASSWORD)}


@pytest.fixture(scope="module")
def images():
    return docker_v1.chain([os.urandom(64 * 1024), b"second layer"])


@pytest.fixture(scope="module")
def pushed(stack, accounts, images):
    return docker_v1.push(stack.url, "alice/app", images, auth=accounts["alice"])


# ---- §5.3 login ----

def test_login_5_3_docker_1_6_to_1_10_post_then_get(stack, accounts):
    first = register(stack, "carol")
    assert (first.status_code, first.text) == (201, '"User Created"')
    again = register(stack, "carol")
    assert (again.status_code, again.content) == (400, b'"Username or email already exists"')
    ok = login(stack, "carol")
    assert (ok.status_code, ok.text) == (200, '"OK"')


def test_login_5_3_docker_1_11_get_only(stack, accounts):
    assert login(stack, "alice").status_code == 200
    wrong = login(stack, "alice", "not-it")
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"] == CHALLENGE
    assert wrong.json() == {"error": "Wrong login/password, please try again"}
    unknown = login(stack, "nobody", "not-it")
    assert (unknown.status_code, unknown.content) == (wrong.status_code, wrong.content)


def test_login_throttled_after_ten_failures_429_retry_after(stack):
    register(stack, "dave")
    statuses = [login(stack, "dave", f"guess{n}").status_code for n in range(11)]
    assert statuses == [401] * 10 + [429]
    locked = login(stack, "dave")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0


def test_first_admin_command_made_a_working_admin(stack):
    assert login(stack, *stack.admin).status_code == 200


# ---- §5.4 push with tokens, §5.5 pulls ----

def test_push_5_4_with_basic_then_tokens(pushed):
    token = pushed.token
    assert 'repository="alice/app"' in token and "access=write" in token and "user=alice" in token
    registry_calls = [call for call in pushed.calls if call.path.startswith("/v1/images/")]
    assert registry_calls and all(call.status in (200, 404) for call in registry_calls)


def test_pull_5_5_anonymous_of_a_public_repository(stack, pushed, images):
    pulled = docker_v1.pull(stack.url, "alice/app", auth=None)
    assert pulled.ancestry == [image.id for image in reversed(images)]
    assert [pulled.images[image.id].layer for image in images] == [i.layer for i in images]
    assert "access=read" in pulled.token and "user=," in pulled.token      # anonymous token


def test_registry_routes_never_send_x_docker_token_6(stack, pushed, images):
    token = docker_v1.pull(stack.url, "alice/app", auth=None).token
    for path in ("/v1/repositories/alice/app/tags", f"/v1/images/{images[-1].id}/json",
                 f"/v1/images/{images[-1].id}/ancestry"):
        response = requests.get(stack.url + path, headers={"Authorization": f"Token {token}"})
        assert response.status_code == 200
        assert "X-Docker-Token" not in response.headers


def test_pull_private_repository_with_and_without_rights(stack, accounts, images):
    docker_v1.push(stack.url, "alice/secret", images, auth=accounts["alice"])
    assert set_access(stack, "alice/secret", "private", accounts["alice"]).status_code == 200

    with pytest.raises(docker_v1.ProtocolError) as anonymous:
        docker_v1.pull(stack.url, "alice/secret", auth=None)
    assert anonymous.value.calls[-1].status == 401              # the CLI prompts a login
    with pytest.raises(docker_v1.ProtocolError) as other:
        docker_v1.pull(stack.url, "alice/secret", auth=accounts["bobby"])
    assert other.value.calls[-1].status == 404                  # invisible to bobby

    for auth in (accounts["alice"], stack.admin):
        pulled = docker_v1.pull(stack.url, "alice/secret", auth=auth)
        assert pulled.image_id == images[-1].id

    # its images are invisible too, whatever the route and credential (§4.22)
    only_private = docker_v1.chain([os.urandom(1024)])
    docker_v1.push(stack.url, "alice/secret", only_private, tag="v2", auth=accounts["alice"])
    hidden = only_private[0].id
    bobby_token = docker_v1.pull(stack.url, "alice/app", auth=accounts["bobby"]).token
    for headers, status in (({}, 401), ({"Authorization": basic(*accounts["bobby"])}, 404),
                            ({"Authorization": f"Token {bobby_token}"}, 404)):
        for resource in ("json", "layer", "ancestry"):
            response = requests.get(f"{stack.url}/v1/images/{hidden}/{resource}", headers=headers)
            assert response.status_code == status, (headers, resource)


def test_push_4_22_cannot_tag_or_parent_an_image_of_another_namespace(stack, accounts):
    """A guessed id names nothing outside its own namespace: bobby's push of alice's id
    uploads his own image (his probe sees nothing of hers), tagging or parenting her image
    from his namespace is refused, and hers stays invisible (tests/test_e2e_trust.py has
    the attacks in full)."""
    secret = docker_v1.chain([os.urandom(1024)])
    docker_v1.push(stack.url, "alice/vault", secret, auth=accounts["alice"])
    set_access(stack, "alice/vault", "private", accounts["alice"])
    stolen = secret[0].id
    guessed = [docker_v1.Image(stolen, secret[0].json, b"guessed bytes")]
    pushed = docker_v1.push(stack.url, "bobby/loot", guessed, auth=accounts["bobby"])
    probe = next(call for call in pushed.calls if call.path == f"/v1/images/{stolen}/json")
    assert probe.method == "GET" and probe.status == 404
    pulled = docker_v1.pull(stack.url, "bobby/loot", auth=None)
    assert pulled.images[stolen].layer == b"guessed bytes"
    assert docker_v1.pull(stack.url, "alice/vault", auth=accounts["alice"]) \
        .images[stolen].layer == secret[0].layer
    # a child image naming an image bobby's namespace does not have as its parent: 400
    child = docker_v1.chain([b"child"])[0]
    data = json.loads(child.json)
    data["parent"] = docker_v1.chain([b"x"])[0].id
    child = docker_v1.Image(child.id, json.dumps(data).encode(), child.layer)
    with pytest.raises(docker_v1.ProtocolError) as parenting:
        docker_v1.push(stack.url, "bobby/loot", [child], auth=accounts["bobby"])
    assert (parenting.value.calls[-1].status, parenting.value.calls[-1].error) == (
        400, "Image depends on a non existing parent")


def test_push_to_someone_elses_namespace_or_library_is_403(stack, accounts, images):
    for name in ("alice/intrusion", "library/base"):
        with pytest.raises(docker_v1.ProtocolError) as refused:
            docker_v1.push(stack.url, name, images, auth=accounts["bobby"])
        assert refused.value.calls[-1].status == 403


def test_library_push_by_admin_and_anonymous_pull_4_11(stack, images):
    docker_v1.push(stack.url, "base", images, auth=stack.admin)
    assert docker_v1.pull(stack.url, "base", auth=None).image_id == images[-1].id


def test_push_anonymous_is_401_so_docker_prompts_login(stack, images):
    with pytest.raises(docker_v1.ProtocolError) as refused:
        docker_v1.push(stack.url, "alice/app", images, auth=None)   # sends `Basic Og==`
    assert refused.value.calls[-1].status == 401


# ---- the authorizer's refusals over HTTP ----

def test_guarded_route_without_credentials_is_401_error_json(stack, images):
    response = requests.put(f"{stack.url}/v1/images/{images[0].id}/json", data=images[0].json)
    assert response.status_code == 401
    assert response.json() == {"error": "Requires authorization"}
    assert response.headers["WWW-Authenticate"] == CHALLENGE


@pytest.mark.parametrize("authorization", ["Token signature=00,repository=\"alice/app\","
                                           "access=write,user=alice,expires=9999999999,nonce=1",
                                           basic("alice", "wrong-password")])
def test_guarded_route_with_a_bad_credential_is_401_with_the_challenge(stack, accounts, images,
                                                                      authorization):
    """§5.8: docker 1.x takes a 401 as "wrong login", a 403 as a failure: a credential that
    does not verify is 401 on guarded routes too."""
    response = requests.put(f"{stack.url}/v1/repositories/alice/app/tags/latest",
                            data=json.dumps(images[-1].id),
                            headers={"Authorization": authorization, **JSON})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert response.json()["error"] in ("Invalid or expired token",
                                        "Wrong login/password, please try again")


def test_token_survives_a_restart_key_kept_in_the_data_dir(stack, pushed, images):
    token = docker_v1.pull(stack.url, "alice/app", auth=None).token
    stack.restart()
    response = requests.get(f"{stack.url}/v1/repositories/alice/app/tags",
                            headers={"Authorization": f"Token {token}"})
    assert response.status_code == 200
    assert response.json() == {"latest": images[-1].id}


# ---- §5.6 search ----

def test_search_5_6_hides_private_repositories(stack, accounts, images):
    docker_v1.push(stack.url, "alice/findme-public", images, auth=accounts["alice"])
    docker_v1.push(stack.url, "alice/findme-private", images, auth=accounts["alice"])
    set_access(stack, "alice/findme-private", "private", accounts["alice"])

    def found(headers):
        response = requests.get(f"{stack.url}/v1/search?q=findme&n=10",
                                headers={"X-Docker-Token": "true", **headers})
        assert response.status_code == 200
        return [result["name"] for result in response.json()["results"]]
    assert found({}) == ["alice/findme-public"]
    assert found({"Authorization": basic(*accounts["bobby"])}) == ["alice/findme-public"]
    assert found({"Authorization": basic(*accounts["alice"])}) == [
        "alice/findme-private", "alice/findme-public"]


# ---- the first-admin command (python -m chalicelib.index.admin / make admin) ----

def admin_command(stack, username, password, *extra):
    return subprocess.run([sys.executable, "-m", "chalicelib.index.admin", username,
                           "--data-dir", stack.data_dir, *extra],
                          input=password + "\n", text=True, capture_output=True, cwd=ROOT)


def test_admin_command_promotes_an_existing_user_and_resets_the_password(stack, images):
    register(stack, "erin")
    result = admin_command(stack, "erin", "erins-new-password")
    assert result.returncode == 0, result.stderr
    assert "admin erin saved to v1registry-local-users" in result.stdout
    assert login(stack, "erin").status_code == 401
    erin = ("erin", "erins-new-password")
    assert login(stack, *erin).status_code == 200
    docker_v1.push(stack.url, "erintool", images, auth=erin)           # library/: admins only


@pytest.mark.parametrize("username, password, message", [
    ("ok_name", "abc", "Password shorter than 5 characters"),
    ("ok_name", "x" * 73, "Password longer than 72 bytes"),
    ("library", "long-enough", "Invalid username"),
])
def test_admin_command_refuses_bad_input(stack, username, password, message):
    result = admin_command(stack, username, password)
    assert result.returncode == 1 and result.stderr.strip() == message


def test_admin_command_without_a_running_stack_says_so(tmp_path):
    result = subprocess.run([sys.executable, "-m", "chalicelib.index.admin", "frank",
                             "--data-dir", str(tmp_path)], input="password\n", text=True,
                            capture_output=True, cwd=ROOT)
    assert result.returncode == 1
    assert "start `make run` first" in result.stderr
