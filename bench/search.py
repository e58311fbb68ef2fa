"""`GET /v1/search` at N repositories (default 2,000, a quarter of them private) over the
local stack: median and p95 milliseconds per query — an exact name, prefixes of a name, of
a repository part and of a namespace, a term matching nothing, the empty term — for an
anonymous caller and the admin, on one keep-alive connection each. Not a test: run it and
read the figures.

    .venv/bin/python bench/search.py [--repositories 2000] [--rounds 30]
"""
import argparse
import base64
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from local_stack import LocalStack      # noqa: E402

ADMIN = ("benchadmin", "bench-password")
WORDS = ["api", "web", "worker", "db", "cache", "proxy", "base", "tools", "build", "agent"]
NAMESPACES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
              "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
              "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
              "acme", "build-bot", "ci", "data", "dev", "edge", "infra", "ml", "ops", "qa",
              "sec", "team", "web", "library"]          # user names start with any letter
FILLERS = 4


def repository(number: int) -> str:
    namespace = NAMESPACES[number % len(NAMESPACES)]
    return f"{namespace}/{WORDS[number % len(WORDS)]}-{number:04d}"


QUERIES = {"exact name": repository(47), "name prefix": repository(47).split("-")[0],
           "repository prefix": "tools-00", "namespace prefix": "de", "one letter": "w",
           "no match": "nothing-here", "empty term": ""}


def connection(stack) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)


def call(wire, method: str, path: str, headers: dict, body: bytes = b"") -> bytes:
    wire.request(method, path, body=body, headers=headers)
    response = wire.getresponse()
    answer = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {answer[:200]!r}")
    return answer


def fill(stack, count: int, admin: dict) -> None:
    """`count` repositories through the API (PUT /v1/repositories/<name>/), every fourth
    made private, by FILLERS clients at once."""
    def work(numbers):
        wire = connection(stack)
        for number in numbers:
            name = repository(number)
            call(wire, "PUT", f"/v1/repositories/{name}/", {**admin, "Content-Type":
                                                            "application/json"}, b"[]")
            if number % 4 == 0:
                call(wire, "PUT", f"/v1/repositories/{name}/properties",
                     {**admin, "Content-Type": "application/json"}, b'{"access": "private"}')
        wire.close()
    threads = [threading.Thread(target=work, args=(range(start, count, FILLERS),))
               for start in range(FILLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def measure(stack, headers: dict, term: str, rounds: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, num_results) of `rounds` searches for `term`."""
    wire, samples, found = connection(stack), [], 0
    path = "/v1/search?q=" + term
    call(wire, "GET", path, headers)                         # warm: the login, the connection
    for _ in range(rounds):
        start = time.perf_counter()
        found = json.loads(call(wire, "GET", path, headers))["num_results"]
        samples.append((time.perf_counter() - start) * 1000)
    wire.close()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repositories", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    admin = {"Authorization": "Basic " + base64.b64encode(":".join(ADMIN).encode()).decode()}
    with tempfile.TemporaryDirectory() as data_dir:
        stack = LocalStack(data_dir, env={"REGISTRY_BCRYPT_ROUNDS": "4"}).start()
        try:
            stack.create_admin(*ADMIN)
            started = time.perf_counter()
            fill(stack, args.repositories, admin)
            print(f"{args.repositories} repositories in {time.perf_counter() - started:.0f} s; "
                  f"median / p95 of {args.rounds} searches each")
            for label, term in QUERIES.items():
                for caller, headers in (("anonymous", {}), ("admin", admin)):
                    median, p95, found = measure(stack, headers, term, args.rounds)
                    print(f"  {label:18s} {term!r:18s} {caller:9s} {median:7.1f} ms  "
                          f"p95 {p95:7.1f} ms  ({found} results)")
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
