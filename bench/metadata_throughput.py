"""Metadata reads a docker pull makes, over keep-alive connections to the local stack:
GET json / ancestry / tag with the pull token (req/s, median, p99), and the `_ping`
round trip on one keep-alive connection. Not a test: run it and read the figures.

    .venv/bin/python bench/metadata_throughput.py [--clients 8] [--seconds 10]

Goals (issue 13): _ping <= 2 ms; json / ancestry / tag >= 350 / 750 / 1,100 req/s.
The clients run on the same machine as the stack and take part of its CPU.
"""
import argparse
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import docker_v1                        # noqa: E402
from local_stack import LocalStack      # noqa: E402

ADMIN = ("benchadmin", "bench-password")
PING_ROUNDS = 500


def keep_alive_connection(stack) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)


def get(connection, path: str, headers: dict) -> None:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status}")


def ping_round_trip(stack) -> float:
    """Median milliseconds of GET /v1/_ping, one request after the other on one connection."""
    connection, samples = keep_alive_connection(stack), []
    get(connection, "/v1/_ping", {})
    for _ in range(PING_ROUNDS):
        start = time.perf_counter()
        get(connection, "/v1/_ping", {})
        samples.append((time.perf_counter() - start) * 1000)
    connection.close()
    return statistics.median(samples)


def throughput(stack, path: str, headers: dict, clients: int, seconds: float) -> dict:
    """`clients` threads, each on its own keep-alive connection, for `seconds`."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    deadline = time.perf_counter() + seconds

    def client(samples: list[float]) -> None:
        connection = keep_alive_connection(stack)
        while (start := time.perf_counter()) < deadline:
            get(connection, path, headers)
            samples.append((time.perf_counter() - start) * 1000)
        connection.close()
    threads = [threading.Thread(target=client, args=(samples,)) for samples in latencies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = sorted(sample for samples in latencies for sample in samples)
    return {"rps": len(every) / seconds, "median": statistics.median(every),
            "p99": every[int(len(every) * 0.99)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        stack = LocalStack(data_dir, env={"REGISTRY_BCRYPT_ROUNDS": "4"}).start()
        try:
            stack.create_admin(*ADMIN)
            images = docker_v1.chain([os.urandom(1024) for _ in range(5)])
            docker_v1.push(stack.url, "bench/meta", images, auth=ADMIN)
            token = docker_v1.pull(stack.url, "bench/meta", auth=ADMIN).token
            headers = {"Authorization": f"Token {token}"}
            top = images[-1].id
            results = {"_ping round trip (ms)": ping_round_trip(stack)}
            for name, path in [("GET json", f"/v1/images/{top}/json"),
                               ("GET ancestry", f"/v1/images/{top}/ancestry"),
                               ("GET tag", "/v1/repositories/bench/meta/tags/latest")]:
                results[name] = throughput(stack, path, headers, args.clients, args.seconds)
        finally:
            stack.stop()
    print(f"keep-alive, {args.clients} clients, {args.seconds:g} s per endpoint")
    print(f"  _ping round trip      median {results.pop('_ping round trip (ms)'):6.2f} ms "
          f"({PING_ROUNDS} requests on one connection)")
    for name, figures in results.items():
        print(f"  {name:20s} {figures['rps']:7.0f} req/s   median {figures['median']:6.2f} ms"
              f"   p99 {figures['p99']:6.2f} ms")


if __name__ == "__main__":
    main()
