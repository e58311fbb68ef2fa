"""Auth cost per request: a token vs Basic (remembered and not), and bcrypt per login.

    .venv/bin/python bench/auth_cost.py [--repeat 200]

Runs the real chalicelib code against moto's DynamoDB in process, so the DynamoDB
part is moto's latency, not AWS's; the number of DynamoDB calls per credential is
printed too (each is a few ms on AWS).
"""
import argparse
import base64
import os
import statistics
import sys
import time

import bcrypt
from moto import mock_aws

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def timed(function, repeat: int) -> float:
    """Median milliseconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def count_dynamodb_calls(function) -> int:
    import botocore.client
    calls = []
    real = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):
        calls.append(operation)
        return real(self, operation, params)
    botocore.client.BaseClient._make_api_call = counting
    try:
        function()
    finally:
        botocore.client.BaseClient._make_api_call = real
    return len(calls)


def bcrypt_costs(repeat: int) -> None:
    for rounds in (4, 10, 12):
        hashed = bcrypt.hashpw(b"secret-password", bcrypt.gensalt(rounds))
        runs = max(3, repeat // (1 << max(0, rounds - 6)))
        ms = timed(lambda: bcrypt.checkpw(b"secret-password", hashed), runs)
        print(f"bcrypt checkpw, rounds {rounds:2}: {ms:8.2f} ms per login ({runs} runs)")


def request_costs(repeat: int, rounds: int) -> None:
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "REGISTRY_TABLE_PREFIX": "bench",
                       "REGISTRY_BCRYPT_ROUNDS": str(rounds),
                       "REGISTRY_TOKEN_SECRET": "bench-key-new,bench-key-old",
                       "REGISTRY_LOGIN_MAX_FAILURES": "1000000"})
    from chalicelib import config
    from chalicelib.auth import callers as auth, passwords, tokens
    from chalicelib.index import users
    from chalicelib.store import models
    with mock_aws():
        settings = config.settings()
        models.bind(settings)
        models.create_tables()
        users.create_admin(settings, "benchuser", "secret-password", None)
        token = tokens.issue(settings, "benchuser", "benchuser/app", "read")
        basic = "Basic " + base64.b64encode(b"benchuser:secret-password").decode()
        cases = {
            "token (HMAC, no DynamoDB)": lambda: auth.from_header(f"Token {token}", None),
            "Basic, remembered": lambda: auth.from_header(basic, None),
            "Basic, not remembered (bcrypt)": lambda: (passwords.remembered._until.clear(),
                                                       auth.from_header(basic, None)),
        }
        auth.from_header(basic, None)                    # warm connections and caches
        print(f"\nauth per request, bcrypt rounds {rounds} (moto DynamoDB in process):")
        for name, case in cases.items():
            runs = repeat if "bcrypt" not in name or rounds < 10 else max(5, repeat // 20)
            ms = timed(case, runs)
            calls = count_dynamodb_calls(case)
            print(f"  {name:34} {ms:8.3f} ms  {calls} DynamoDB call(s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    bcrypt_costs(args.repeat)
    for rounds in (12, 4):
        request_costs(args.repeat, rounds)


if __name__ == "__main__":
    main()
