"""Cold start of the Lambda handler: a fresh interpreter imports app.py and answers
`GET /v1/images/<id>/json` for an unknown image (DynamoDB reads, moto in process), as the first
request of a new Lambda container would (it builds its botocore client then).

    .venv/bin/python bench/cold_start.py [--runs 5] [--package out/deployment.zip]

With `--package` (from `chalice package`), app.py is imported from the unzipped package
instead of the checkout: first as Lambda does (no .pyc in the zip, and /var/task is read-only,
so every module is compiled at each cold start), then with .pyc compiled in. Prints medians;
`python -X importtime -c "import app"` breaks the import down.
"""
import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FIRST_REQUEST = r"""
import json, os, time
start = time.perf_counter()
from app import app
imported = time.perf_counter()
from moto import mock_aws                       # after the timed import: moto imports boto3 too
from chalicelib import config
from chalicelib.store import models
image_id = "0" * 64
event = {"resource": "/v1/images/{image_id}/json", "path": f"/v1/images/{image_id}/json",
         "httpMethod": "GET", "headers": {"Host": "registry.example.com"}, "multiValueHeaders": {},
         "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": {"image_id": image_id}, "stageVariables": None, "body": None,
         "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/v1/images/{image_id}/json", "httpMethod": "GET",
                            "path": f"/api/v1/images/{image_id}/json", "stage": "api",
                            "identity": {"sourceIp": "203.0.113.1"}}}
with mock_aws():
    models.bind(config.settings())
    models.create_tables()
    models._bound = None                        # the first request builds its own clients
    for model in models.ALL_MODELS:
        model._connection = None
    before = time.perf_counter()
    response = app(event, None)
    first = time.perf_counter() - before
assert response["statusCode"] in (401, 404), response      # unknown image, anonymous
print(json.dumps({"import": imported - start, "first_request": first}))
"""


def measure(label: str, runs: int, code_dir: str, write_bytecode: bool) -> None:
    # The package's own modules come first, as in Lambda (/var/task before the runtime's boto3).
    path = os.pathsep.join([code_dir, *sys.path[1:]])
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": path,
           "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
           "REGISTRY_TABLE_PREFIX": "bench", "REGISTRY_BUCKET": "bench-layers"}
    if not write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    samples = [json.loads(subprocess.run([sys.executable, "-c", FIRST_REQUEST], cwd=code_dir,
                                         env=env, capture_output=True, text=True,
                                         check=True).stdout) for _ in range(runs)]
    print(label + ": " + ", ".join(
        f"{key} median {statistics.median(s[key] for s in samples) * 1000:.0f} ms"
        for key in ("import", "first_request")) + f" ({runs} fresh interpreters)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--package", help="deployment.zip from `chalice package`")
    args = parser.parse_args()
    if not args.package:
        measure("checkout", args.runs, ROOT, write_bytecode=True)
        return
    print(f"deployment.zip: {os.path.getsize(args.package) / 2**20:.1f} MiB")
    with tempfile.TemporaryDirectory() as task:
        with zipfile.ZipFile(args.package) as archive:
            archive.extractall(task)
        measure("package as on Lambda (no .pyc)", args.runs, task, write_bytecode=False)
        compileall.compile_dir(task, quiet=1)
        measure("package with .pyc compiled in", args.runs, task, write_bytecode=False)


if __name__ == "__main__":
    main()
