"""What a write costs as the registry fills up: PUT checksum (an inline layer, already
hashed) and PUT tag with 10 and with 2,000 images stored, over the local stack. Not a test:
run it and read the figures.

    .venv/bin/python bench/write_cost.py [--samples 30] [--stored 10 2000]

Goal (issue 13): PUT checksum <= 50 ms, the same whatever the number of images stored.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import docker_v1                        # noqa: E402
from local_stack import LocalStack      # noqa: E402

ADMIN = ("benchadmin", "bench-password")
NAME = "bench/writes"
CHAIN = 100


def store(session, count: int) -> None:
    """`count` more complete images, in chains of at most CHAIN (the ancestry cap is 256)."""
    for start in range(0, count, CHAIN):
        layers = [os.urandom(64) for _ in range(min(CHAIN, count - start))]
        for image in docker_v1.chain(layers):
            for step in (docker_v1.put_json, docker_v1.put_layer, docker_v1.put_checksum):
                session.expect(step(session, image), 200)


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def measure(session, samples: int) -> dict:
    checksum, tag = [], []
    for number, image in enumerate(docker_v1.chain([os.urandom(1024) for _ in range(samples)])):
        session.expect(docker_v1.put_json(session, image), 200)
        session.expect(docker_v1.put_layer(session, image), 200)
        checksum.append(timed(lambda: session.expect(docker_v1.put_checksum(session, image), 200)))
        tag.append(timed(lambda: session.expect(
            docker_v1.put_tag(session, NAME, f"t{number}", image.id), 200)))
    return {name: (statistics.median(values), sorted(values)[int(len(values) * 0.99)])
            for name, values in (("PUT checksum", checksum), ("PUT tag", tag))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--stored", type=int, nargs="+", default=[10, 2000])
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as data_dir:
        stack = LocalStack(data_dir, env={"REGISTRY_BCRYPT_ROUNDS": "4"}).start()
        try:
            stack.create_admin(*ADMIN)
            session = docker_v1.open_push(stack.url, NAME, docker_v1.chain([b"x"]), auth=ADMIN)
            stored = 0
            for target in sorted(args.stored):
                store(session, target - stored)
                stored = target
                results[target] = measure(session, args.samples)
                stored += args.samples
        finally:
            stack.stop()
    for target, figures in results.items():
        print(f"{target:>6} images stored: " + "   ".join(
            f"{name} median {median:6.1f} ms p99 {p99:6.1f} ms"
            for name, (median, p99) in figures.items()))


if __name__ == "__main__":
    main()
