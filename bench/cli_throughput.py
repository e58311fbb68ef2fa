"""Push and pull throughput of `v1reg` for a 64 MiB image through the local stack, next to
raw S3 puts and gets against the same moto server (issue 5). Not a test: run it and read.

    .venv/bin/python bench/cli_throughput.py [--mib 64] [--layers 4] [--runs 3]
"""
import argparse
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


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def best(runs: int, function) -> float:
    return min(timed(function) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    total = args.mib * 1024 * 1024
    work = tempfile.mkdtemp(prefix="v1reg-bench-")
    env = {**os.environ, "DOCKER_CONFIG": os.path.join(work, "docker"),
           "XDG_CACHE_HOME": os.path.join(work, "cache")}
    stack = LocalStack(os.path.join(work, "stack"), env={"REGISTRY_BCRYPT_ROUNDS": "4"}).start()
    try:
        host = stack.url.split("://")[1]
        requests.post(stack.url + "/v1/users/", json={
            "username": USER[0], "password": USER[1], "email": "bench@example.com"})
        subprocess.run([V1REG, "login", host, "-u", USER[0], "--password-stdin"],
                       input=USER[1] + "\n", text=True, env=env, check=True, capture_output=True)
        per_layer = total // args.layers
        layers = [docker_save.layer_tar({f"l{i}.bin": os.urandom(per_layer)})
                  for i in range(args.layers)]
        archive = os.path.join(work, "img.tar")
        docker_save.save(archive, "oci-25", layers, "bench/img:1")
        output = os.path.join(work, "out.tar")

        def v1reg(*argv):
            subprocess.run([V1REG, *argv], env=env, check=True, capture_output=True)

        # A fresh repository per push: v1 image ids are content-derived, so a second push
        # of the same image would skip every layer ("already pushed"). New random bytes
        # per run would measure os.urandom too, so the image is rebuilt per run instead.
        def push(level):
            def run():
                fresh = [docker_save.layer_tar({"n": os.urandom(16)}), *layers]
                docker_save.save(archive, "oci-25", fresh, "bench/img:1")
                v1reg("push", "-q", "--compress-level", str(level), archive,
                      f"{host}/{USER[0]}/img:{time.monotonic_ns()}")
            return run
        results = {}
        for level in (1, 6):
            results[f"v1reg push (gzip -{level})"] = best(args.runs, push(level))
        v1reg("push", "-q", "--compress-level", "1", archive, f"{host}/{USER[0]}/img:pull")
        results["v1reg pull"] = best(args.runs, lambda: v1reg(
            "pull", "-q", f"{host}/{USER[0]}/img:pull", "-o", output))

        layer_url = requests.get(f"{stack.url}/v1/repositories/{USER[0]}/img/tags/pull",
                                 auth=USER).json()
        location = requests.get(f"{stack.url}/v1/images/{layer_url}/layer", auth=USER,
                                allow_redirects=False).headers["Location"]
        moto = urlsplit(location)
        s3 = boto3.client("s3", endpoint_url=f"{moto.scheme}://{moto.netloc}",
                          region_name="us-east-1", aws_access_key_id="local",
                          aws_secret_access_key="local")
        bucket = moto.path.lstrip("/").split("/")[0]
        body = os.urandom(total)
        results["raw S3 put_object (boto3)"] = best(args.runs, lambda: s3.put_object(
            Bucket=bucket, Key="bench/raw", Body=body))
        results["raw S3 get_object (boto3)"] = best(args.runs, lambda: s3.get_object(
            Bucket=bucket, Key="bench/raw")["Body"].read())
        presigned = s3.generate_presigned_url("put_object", Params={"Bucket": bucket,
                                                                   "Key": "bench/raw2"})
        results["raw presigned PUT (requests)"] = best(args.runs, lambda: requests.put(
            presigned, data=body).raise_for_status())
        print(f"{args.mib} MiB image, {args.layers} layers of random bytes, best of {args.runs}")
        for name, seconds in results.items():
            print(f"  {name:32s} {seconds:6.2f} s  {args.mib / seconds:7.1f} MiB/s")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
