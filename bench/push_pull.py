"""docker 1.x push and pull of one image (a random layer of --mib MiB) through the local
stack, call for call as tests/docker_v1.py makes them (chunked layer PUT, 302 layer GET).
Not a test: run it and read the figures.

    .venv/bin/python bench/push_pull.py [--mib 8] [--runs 5]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import docker_v1                        # noqa: E402
from local_stack import LocalStack      # noqa: E402

ADMIN = ("benchadmin", "bench-password")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        stack = LocalStack(data_dir, env={"REGISTRY_BCRYPT_ROUNDS": "4"}).start()
        try:
            subprocess.run([sys.executable, "-m", "chalicelib.index.admin", ADMIN[0],
                            "--data-dir", data_dir], input=ADMIN[1] + "\n", text=True,
                           cwd=ROOT, check=True, capture_output=True)
            pushes, pulls = [], []
            for run in range(args.runs):
                images = docker_v1.chain([os.urandom(args.mib * 1024 * 1024)])
                start = time.perf_counter()
                docker_v1.push(stack.url, f"bench/run{run}", images, auth=ADMIN)
                pushes.append(time.perf_counter() - start)
                start = time.perf_counter()
                pulled = docker_v1.pull(stack.url, f"bench/run{run}", auth=ADMIN)
                pulls.append(time.perf_counter() - start)
                assert pulled.images[images[0].id].layer == images[0].layer
        finally:
            stack.stop()
    for name, seconds in [("push", pushes), ("pull", pulls)]:
        median = statistics.median(seconds)
        print(f"{name} {args.mib} MiB: median {median:.2f} s ({args.mib / median:.1f} MiB/s), "
              f"min {min(seconds):.2f} s, max {max(seconds):.2f} s over {args.runs} runs")


if __name__ == "__main__":
    main()
