"""A docker 1.x pull of a 64 MiB + 2 x 16 KiB image through the local stack (every call of
tests/docker_v1.py, layers through their 302 to S3) next to plain GETs of the same S3
objects from the stack's moto server, timed in the same run. Not a test: run it and read.

    .venv/bin/python bench/pull_vs_s3.py [--mib 64] [--runs 5]

Goal (issue 13): pull wall time / raw S3 time <= 1.2.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from urllib.parse import unquote, urlsplit

import boto3
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import docker_v1                        # noqa: E402
from local_stack import LocalStack      # noqa: E402

ADMIN = ("benchadmin", "bench-password")


def layer_objects(stack, images, token: str) -> list[tuple[str, str]]:
    """(bucket, key) of each image's layer, read from the registry's 302 (a pull token)."""
    objects = []
    for image in images:
        location = requests.get(f"{stack.url}/v1/images/{image.id}/layer",
                                headers={"Authorization": f"Token {token}"},
                                allow_redirects=False).headers["Location"]
        bucket, _, key = unquote(urlsplit(location).path).lstrip("/").partition("/")
        objects.append((bucket, key))
    return objects


def moto_client(stack):
    """boto3 on the stack's moto server itself (loopback; it takes any key)."""
    return boto3.client("s3", endpoint_url=stack.moto_endpoint, region_name="us-east-1",
                        aws_access_key_id="bench", aws_secret_access_key="bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    layers = [os.urandom(args.mib * 1024 * 1024), os.urandom(16 * 1024), os.urandom(16 * 1024)]
    images = docker_v1.chain(layers)
    with tempfile.TemporaryDirectory() as data_dir:
        stack = LocalStack(data_dir, env={"REGISTRY_BCRYPT_ROUNDS": "4"}).start()
        try:
            stack.create_admin(*ADMIN)
            docker_v1.push(stack.url, "bench/pull", images, auth=ADMIN)
            token = docker_v1.pull(stack.url, "bench/pull", auth=ADMIN).token
            objects, s3 = layer_objects(stack, images, token), moto_client(stack)
            pulls, raws = [], []
            for _ in range(args.runs):
                start = time.perf_counter()
                pulled = docker_v1.pull(stack.url, "bench/pull", auth=ADMIN)
                pulls.append(time.perf_counter() - start)
                assert [pulled.images[image.id].layer for image in images] == layers
                start = time.perf_counter()
                raw = [s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                       for bucket, key in objects]
                raws.append(time.perf_counter() - start)
                assert raw == layers
        finally:
            stack.stop()
    pull, raw = statistics.median(pulls), statistics.median(raws)
    calls = len(pulled.calls)
    print(f"{args.mib} MiB + 2 x 16 KiB image, median of {args.runs} runs")
    print(f"  docker v1 pull ({calls} calls)  {pull:6.3f} s  {args.mib / pull:7.1f} MiB/s")
    print(f"  raw S3 GETs (3 objects)   {raw:6.3f} s  {args.mib / raw:7.1f} MiB/s")
    print(f"  pull / raw S3             {pull / raw:6.2f}x")


if __name__ == "__main__":
    main()
