"""Push and pull throughput of `v1reg` for a 64 MiB image through the local stack, next to
raw S3 puts and gets against the same moto server (issue 5). Not a test: run it and read.

    .venv/bin/python bench/cli_throughput.py [--mib 64] [--layers 4] [--runs 3] [--hex]

Every push runs against a fresh stack: v1 ids are content-derived, so a second push of the
image would skip its layers, and the stack's moto snapshots grow with every pushed byte.
"""
import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

import boto3
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import docker_save                      # noqa: E402
from local_stack import LocalStack      # noqa: E402

USER = ("benchuser", "bench-password")
V1REG = os.path.join(os.path.dirname(sys.executable), "v1reg")


@contextlib.contextmanager
def logged_in_stack(work: str):
    """A fresh local stack and a v1reg environment logged in to it."""
    data = tempfile.mkdtemp(dir=work)
    env = {**os.environ, "DOCKER_CONFIG": os.path.join(data, "docker"),
           "XDG_CACHE_HOME": os.path.join(data, "cache")}
    stack = LocalStack(os.path.join(data, "stack"), env={"REGISTRY_BCRYPT_ROUNDS": "4"}).start()
    try:
        host = stack.url.split("://")[1]
        requests.post(stack.url + "/v1/users/", json={
            "username": USER[0], "password": USER[1], "email": "bench@example.com"})
        subprocess.run([V1REG, "login", host, "-u", USER[0], "--password-stdin"],
                       input=USER[1] + "\n", text=True, env=env, check=True, capture_output=True)

        def v1reg(*argv) -> float:
            start = time.perf_counter()
            subprocess.run([V1REG, *argv], env=env, check=True, capture_output=True)
            return time.perf_counter() - start
        yield stack, f"{host}/{USER[0]}/img:1", v1reg
    finally:
        stack.stop()


def raw_s3(stack, ref: str, total: int, runs: int) -> dict:
    """boto3 and presigned-URL transfers of the same byte count to the stack's moto itself
    (its loopback endpoint: no signature checks on that path)."""
    top_id = requests.get(f"{stack.url}/v1/repositories/{USER[0]}/img/tags/1", auth=USER).json()
    location = urlsplit(requests.get(f"{stack.url}/v1/images/{top_id}/layer", auth=USER,
                                     allow_redirects=False).headers["Location"])
    s3 = boto3.client("s3", endpoint_url=stack.moto_endpoint, region_name="us-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local")
    bucket, body = location.path.lstrip("/").split("/")[0], os.urandom(total)
    presigned = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "raw2"})

    def best(function) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
        return min(times)
    return {
        "raw S3 put_object (boto3)": best(lambda: s3.put_object(Bucket=bucket, Key="raw",
                                                                Body=body)),
        "raw S3 get_object (boto3)": best(lambda: s3.get_object(Bucket=bucket,
                                                                Key="raw")["Body"].read()),
        "raw presigned PUT (requests)": best(lambda: requests.put(presigned, data=body)
                                             .raise_for_status()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hex", action="store_true",
                        help="layers of hex text (gzip halves them) instead of random bytes")
    args = parser.parse_args()
    total = args.mib * 1024 * 1024
    work = tempfile.mkdtemp(prefix="v1reg-bench-")

    def content(size):
        return os.urandom(size // 2).hex().encode() if args.hex else os.urandom(size)
    layers = [docker_save.layer_tar({f"l{i}.bin": content(total // args.layers)})
              for i in range(args.layers)]
    archive, output = os.path.join(work, "img.tar"), os.path.join(work, "out.tar")
    docker_save.save(archive, "oci-25", layers, "bench/img:1")

    results = {}
    for level in (0, 1, 6):
        times = []
        for _ in range(args.runs):
            with logged_in_stack(work) as (_, ref, v1reg):
                times.append(v1reg("push", "-q", "--compress-level", str(level), archive, ref))
        results[f"v1reg push (gzip -{level})"] = min(times)
    with logged_in_stack(work) as (stack, ref, v1reg):
        v1reg("push", "-q", "--compress-level", "1", archive, ref)
        results["v1reg pull"] = min(v1reg("pull", "-q", ref, "-o", output)
                                    for _ in range(args.runs))
        results.update(raw_s3(stack, ref, total, args.runs))
    kind = "hex text" if args.hex else "random bytes"
    print(f"{args.mib} MiB image, {args.layers} layers of {kind}, best of {args.runs}")
    for name, seconds in results.items():
        print(f"  {name:32s} {seconds:6.2f} s  {args.mib / seconds:7.1f} MiB/s")


if __name__ == "__main__":
    main()
