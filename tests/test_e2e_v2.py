"""The Registry v2 API over real HTTP through the local stack (spec v2-pull): the challenge
and token flow a client follows, every Accept line counted, HEAD lengths, blobs through the
S3 redirect with Range, writes refused, the backfill command, and docker 1.x still pushing
and pulling over v1 after all of it."""
import http.client
import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import boto3
import pytest
import requests

import docker_v1
from local_stack import ROOT
from v2_helpers import DOCKER_20, OCI, built_config, digest, random_layers, v1reg_chain


@pytest.fixture(scope="module")
def pushed(stack):
    """ns/v1reg:1 pushed as v1reg pushes (config carried), ns/old:1 as docker 1.x."""
    layers = random_layers(2)
    config = built_config(layers)
    chain = [docker_v1.Image(image.id, image.json, image.layer)
             for image in v1reg_chain(config, layers)]
    docker_v1.push(stack.url, "ns/v1reg", chain, tag="1", auth=stack.admin)
    old = docker_v1.chain([os.urandom(3000), os.urandom(5000)])
    docker_v1.push(stack.url, "ns/old", old, tag="1", auth=stack.admin)
    return {"config": config, "chain": chain, "old": old}


def challenge_params(response) -> dict:
    scheme, _, rest = response.headers["WWW-Authenticate"].partition(" ")
    assert scheme == "Bearer"
    return dict(part.split("=", 1) for part in rest.replace('"', "").split(","))


def token_for(stack, scope: str, auth=None) -> str:
    probe = requests.get(stack.url + "/v2/", headers={"User-Agent": DOCKER_20})
    assert probe.status_code == 401
    params = challenge_params(probe)
    assert params["realm"] == stack.url + "/v2/token"
    assert params["service"] == urlsplit(stack.url).netloc
    answer = requests.get(params["realm"], params={"service": params["service"], "scope": scope},
                          auth=auth)
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def get(stack, path, token, method="GET", **headers):
    return requests.request(method, stack.url + path, allow_redirects=False, headers={
        "Authorization": f"Bearer {token}", "User-Agent": DOCKER_20, **headers})


def test_a_client_follows_the_challenge_to_a_token_and_the_manifest(stack, pushed):
    token = token_for(stack, "repository:ns/v1reg:pull")
    response = get(stack, "/v2/ns/v1reg/manifests/1", token)
    assert response.status_code == 200
    assert json.loads(response.content)["config"]["digest"] == digest(pushed["config"])
    assert response.headers["Docker-Content-Digest"] == digest(response.content)


def test_every_accept_line_counts_as_docker_20_10_sends_them(stack, pushed):
    """One Accept header line per media type (API Gateway: multiValueHeaders)."""
    token = token_for(stack, "repository:ns/v1reg:pull")
    connection = http.client.HTTPConnection(urlsplit(stack.url).netloc)
    connection.putrequest("GET", "/v2/ns/v1reg/manifests/1")
    for value in ("application/vnd.docker.distribution.manifest.v1+prettyjws", OCI,
                  "application/json"):
        connection.putheader("Accept", value)
    connection.putheader("Authorization", f"Bearer {token}")
    connection.endheaders()
    response = connection.getresponse()
    assert (response.status, response.getheader("Content-Type")) == (200, OCI)
    assert json.loads(response.read())["mediaType"] == OCI
    connection.close()


def test_head_answers_get_s_length_without_a_body(stack, pushed):
    token = token_for(stack, "repository:ns/v1reg:pull")
    body = get(stack, "/v2/ns/v1reg/manifests/1", token).content
    head = get(stack, "/v2/ns/v1reg/manifests/1", token, method="HEAD")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["Content-Length"] == str(len(body))
    layer = pushed["chain"][0].layer
    head = get(stack, f"/v2/ns/v1reg/blobs/{digest(layer)}", token, method="HEAD")
    assert (head.status_code, head.headers["Content-Length"]) == (200, str(len(layer)))


def test_blobs_come_from_s3_through_the_redirect_with_range(stack, pushed):
    token = token_for(stack, "repository:ns/old:pull")
    layer = pushed["old"][0].layer
    redirect = get(stack, f"/v2/ns/old/blobs/{digest(layer)}", token)
    assert redirect.status_code == 307
    location = redirect.headers["Location"]
    assert urlsplit(location).netloc != urlsplit(stack.url).netloc   # the stack's S3 port
    ranged = requests.get(location, headers={"Range": "bytes=100-"})
    assert (ranged.status_code, ranged.content) == (206, layer[100:])
    assert ranged.headers["Content-Range"] == f"bytes 100-{len(layer) - 1}/{len(layer)}"
    # As clients follow it: the Range goes along, the registry's token does not.
    followed = requests.get(stack.url + f"/v2/ns/old/blobs/{digest(layer)}",
                            headers={"Authorization": f"Bearer {token}", "Range": "bytes=7-"})
    assert (followed.status_code, followed.content) == (206, layer[7:])


def test_writes_are_405_over_http_too(stack, pushed):
    response = requests.post(stack.url + "/v2/ns/old/blobs/uploads/",
                             headers={"User-Agent": DOCKER_20})
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "UNSUPPORTED"
    assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_backfill_command_builds_tags_set_before_the_v2_api(stack, pushed):
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.moto_endpoint, region_name="us-east-1",
                            aws_access_key_id="local", aws_secret_access_key="local")
    table = [name for name in dynamodb.list_tables()["TableNames"] if name.endswith("-tags")][0]
    dynamodb.update_item(TableName=table, Key={"repository": {"S": "ns/old"}, "tag": {"S": "1"}},
                         UpdateExpression="REMOVE manifest, oci_manifest")
    done = subprocess.run([sys.executable, "-m", "chalicelib.images_v2.backfill", "--data-dir",
                           stack.data_dir], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ns/old:1 sha256:")
    token = token_for(stack, "repository:ns/old:pull")
    manifest = get(stack, "/v2/ns/old/manifests/1", token)
    assert manifest.status_code == 200
    assert done.stdout.split()[1] == digest(manifest.content)
    assert [layer["digest"] for layer in json.loads(manifest.content)["layers"]] == [
        digest(image.layer) for image in pushed["old"]]


def test_docker_1x_still_pushes_and_pulls_over_v1_after_all_of_it(stack, pushed):
    images = docker_v1.chain([os.urandom(2048)])
    pushed_again = docker_v1.push(stack.url, "ns/after", images, tag="latest", auth=stack.admin)
    assert [call.status for call in pushed_again.calls if call.path == "/v2/"] == [404]
    pulled = docker_v1.pull(stack.url, "ns/v1reg", "1", auth=stack.admin)
    assert [pulled.images[image.id].layer for image in pushed["chain"]] == [
        image.layer for image in pushed["chain"]]
    token = token_for(stack, "repository:ns/after:pull")
    assert get(stack, "/v2/ns/after/manifests/latest", token).status_code == 200
