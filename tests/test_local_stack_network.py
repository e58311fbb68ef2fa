"""The local stack on 0.0.0.0 (`make run HOST=0.0.0.0`), asked from this machine's network
address (issue 9): docker push and pull work through it; moto's tables and the rest of its
S3 API do not answer, and the S3 that clients reach serves presigned object requests only,
signed with the stack's own key and not expired."""
import json
import os
import socket
import subprocess
import time
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.exceptions
import pytest
import requests
from botocore.config import Config

import docker_v1
from local_stack import LocalStack

ADMIN = ("admin", "admin-password")
BUCKET = "v1registry-local-layers"


def network_address() -> str:
    """A non-loopback IPv4 address of this machine."""
    addresses = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    for address in addresses:
        if ":" not in address and not address.startswith("127."):
            return address
    pytest.fail(f"no non-loopback IPv4 address to test from (hostname -I: {addresses})")


@pytest.fixture(scope="module")
def address():
    return network_address()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, address):
    server = LocalStack(str(tmp_path_factory.mktemp("network-stack")), host="0.0.0.0",
                        args=("--public-host", address), env={"REGISTRY_BCRYPT_ROUNDS": "4"})
    server.start()
    server.create_admin(*ADMIN)
    server.network_url = f"http://{address}:{server.port}"
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pushed(stack):
    images = docker_v1.chain([os.urandom(256 * 1024), b"top"])
    docker_v1.push(stack.network_url, "ns/net", images, auth=ADMIN)
    return images


@pytest.fixture(scope="module")
def layer_url(stack, pushed) -> str:
    """A presigned GET the registry handed out (the base layer's 302)."""
    token = docker_v1.open_pull(stack.network_url, "ns/net", auth=ADMIN).token
    answer = requests.get(f"{stack.network_url}/v1/images/{pushed[0].id}/layer",
                          headers={"Authorization": f"Token {token}"}, allow_redirects=False)
    assert answer.status_code == 302
    return answer.headers["Location"]


@pytest.fixture(scope="module")
def gateway(layer_url) -> str:
    """Where presigned URLs point: the S3 that clients reach."""
    return "http://" + urlsplit(layer_url).netloc


def stack_key(stack) -> tuple[str, str]:
    """The stack's own AWS key (random per data directory)."""
    with open(os.path.join(stack.data_dir, "aws-credentials")) as file:
        return tuple(file.read().split())


def client(service, endpoint, key=("local", "local")):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key[0], aws_secret_access_key=key[1],
                        config=Config(signature_version="s3v4", retries={"max_attempts": 0},
                                      s3={"addressing_style": "path"}))


def moto_objects(stack) -> list[str]:
    listing = client("s3", stack.moto_endpoint).list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def s3_error(answer: requests.Response) -> tuple[int, str]:
    code = answer.text.partition("<Code>")[2].partition("</Code>")[0]
    return answer.status_code, code


def test_docker_push_and_pull_work_through_the_network_address(stack, address, pushed):
    pulled = docker_v1.pull(stack.network_url, "ns/net", auth=ADMIN)
    for image in pushed:
        assert pulled.images[image.id].layer == image.layer
    redirects = [call for call in pulled.calls if call.path.startswith(f"/{BUCKET}/")]
    assert len(redirects) == len(pushed) and all(call.status == 200 for call in redirects)


def test_a_redirected_upload_goes_to_s3_through_the_network_address(stack, address, gateway):
    (image,) = docker_v1.chain([os.urandom(300 * 1024)])
    base, auth = stack.network_url, ADMIN
    assert requests.put(f"{base}/v1/images/{image.id}/json", data=image.json,
                        auth=auth).status_code == 200
    redirect = requests.put(f"{base}/v1/images/{image.id}/layer", auth=auth,
                            headers={"X-Registry-Upload": "redirect"}, allow_redirects=False)
    assert redirect.status_code == 307
    assert redirect.headers["Location"].startswith(f"{gateway}/{BUCKET}/uploads/")
    assert urlsplit(gateway).hostname == address
    assert requests.put(redirect.headers["Location"], data=image.layer).status_code == 200
    assert requests.put(f"{base}/v1/images/{image.id}/checksum", auth=auth, headers={
        "X-Docker-Checksum-Payload": image.payload_checksum}).status_code == 200
    # Basic credentials: the image is the admin's own (namespace "admin")
    assert requests.put(f"{base}/v1/repositories/admin/redirected/", data=b"[]",
                        auth=auth).status_code == 200
    assert requests.put(f"{base}/v1/repositories/admin/redirected/tags/latest",
                        data=json.dumps(image.id), auth=auth).status_code == 200
    pulled = docker_v1.pull(base, "admin/redirected", auth=auth)
    assert pulled.images[image.id].layer == image.layer


def test_moto_itself_listens_on_loopback_only(stack, address):
    moto_port = urlsplit(stack.moto_endpoint).port
    assert urlsplit(stack.moto_endpoint).hostname == "127.0.0.1"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, moto_port), timeout=5).close()
    assert "v1registry-local-users" in client("dynamodb", stack.moto_endpoint).list_tables()[
        "TableNames"]                                  # admin's way in still works


@pytest.mark.parametrize("key", ["public key", "stack's own key"])
def test_the_tables_do_not_answer_from_the_network(stack, address, gateway, key):
    credentials = ("local", "local") if key == "public key" else stack_key(stack)
    for endpoint in (gateway, stack.network_url):
        dynamodb = client("dynamodb", endpoint, credentials)
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            dynamodb.scan(TableName="v1registry-local-users")
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] in (403, 404, 405)


def test_unsigned_and_header_signed_s3_requests_are_refused(stack, gateway, layer_url):
    object_url = layer_url.partition("?")[0]
    before = moto_objects(stack)
    assert s3_error(requests.get(object_url)) == (403, "AccessDenied")
    assert s3_error(requests.put(object_url, data=b"overwritten")) == (403, "AccessDenied")
    assert s3_error(requests.put(f"{gateway}/{BUCKET}/new-object", data=b"x")) == (
        403, "AccessDenied")
    assert s3_error(requests.delete(object_url)) == (405, "MethodNotAllowed")
    assert s3_error(requests.get(f"{gateway}/{BUCKET}")) == (403, "AccessDenied")   # a listing
    assert s3_error(requests.get(f"{gateway}/")) == (403, "AccessDenied")           # buckets
    s3 = client("s3", gateway, stack_key(stack))        # even with the right key, as a header
    for call in (lambda: s3.list_objects_v2(Bucket=BUCKET), lambda: s3.list_buckets(),
                 lambda: s3.put_object(Bucket=BUCKET, Key="by-header", Body=b"x")):
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert moto_objects(stack) == before


def test_forged_presigned_urls_are_refused(stack, gateway, layer_url):
    assert requests.get(layer_url).status_code == 200
    scheme, netloc, path, query, _ = urlsplit(layer_url)
    signature = query.rpartition("X-Amz-Signature=")[2]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    other_key = path.rpartition("/")[0] + "/" + "0" * 32
    forged = {
        "another signature": urlunsplit((scheme, netloc, path, query.replace(signature, flipped),
                                         "")),
        "another object": urlunsplit((scheme, netloc, other_key, query, "")),
        "a longer life": urlunsplit((scheme, netloc, path,
                                     query.replace("X-Amz-Expires=1200", "X-Amz-Expires=9999"),
                                     "")),
        "the public key": client("s3", gateway).generate_presigned_url(
            "get_object", Params={"Bucket": BUCKET, "Key": path.split("/", 2)[2]}),
    }
    for name, url in forged.items():
        assert s3_error(requests.get(url))[0] == 403, name
    assert s3_error(requests.get(forged["another signature"])) == (403, "SignatureDoesNotMatch")


def test_presigned_head_and_range_get_are_served(stack, gateway, layer_url, pushed):
    key = urlsplit(layer_url).path.split("/", 2)[2]
    head = client("s3", gateway, stack_key(stack)).generate_presigned_url(
        "head_object", Params={"Bucket": BUCKET, "Key": key})
    assert requests.head(head).headers["Content-Length"] == str(len(pushed[0].layer))
    ranged = requests.get(layer_url, headers={"Range": "bytes=10-19"})
    assert (ranged.status_code, ranged.content) == (206, pushed[0].layer[10:20])


def test_unsigned_amz_headers_are_refused(stack, gateway, layer_url):
    """S3 refuses x-amz-* headers a presigned URL did not sign: with x-amz-copy-source, a
    presigned PUT would copy in any object of the bucket."""
    bucket, key = urlsplit(layer_url).path.lstrip("/").split("/", 1)
    target = client("s3", gateway, stack_key(stack)).generate_presigned_url(
        "put_object", Params={"Bucket": BUCKET, "Key": "copy-target"})
    answer = requests.put(target, headers={"x-amz-copy-source": f"{bucket}/{key}"})
    assert s3_error(answer) == (403, "AccessDenied") and "not signed" in answer.text
    assert "copy-target" not in moto_objects(stack)


def test_expired_presigned_urls_are_refused(stack, gateway, layer_url):
    key = urlsplit(layer_url).path.split("/", 2)[2]
    url = client("s3", gateway, stack_key(stack)).generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=1)
    assert requests.get(url).status_code == 200
    time.sleep(2.1)
    answer = requests.get(url)
    assert s3_error(answer) == (403, "AccessDenied") and "Request has expired" in answer.text


@pytest.mark.parametrize("operation,params", [
    ("delete_object", {"Key": "KEY"}),
    ("list_objects_v2", {}),
    ("create_multipart_upload", {"Key": "KEY"}),
    ("get_object", {"Key": "KEY", "ResponseContentType": "text/html"}),
    ("put_object_acl", {"Key": "KEY", "ACL": "public-read"}),
])
def test_presigned_urls_for_other_operations_are_refused(stack, gateway, layer_url, operation,
                                                          params):
    """Signed with the stack's own key: only the object GET/HEAD/PUT the app presigns pass."""
    key = urlsplit(layer_url).path.split("/", 2)[2]
    params = {"Bucket": BUCKET, **{name: key if value == "KEY" else value
                                   for name, value in params.items()}}
    url = client("s3", gateway, stack_key(stack)).generate_presigned_url(operation, params)
    method = {"delete_object": "DELETE", "create_multipart_upload": "POST",
              "put_object_acl": "PUT"}.get(operation, "GET")
    before = moto_objects(stack)
    assert requests.request(method, url).status_code in (403, 405)
    assert moto_objects(stack) == before
    assert requests.get(layer_url).status_code == 200
