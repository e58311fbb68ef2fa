"""Cold start of the Lambda handler: a fresh interpreter imports app.py and answers
`GET /v1/images/<id>/json` for an unknown image (DynamoDB reads, moto in process), as the first
request of a new Lambda container would (it builds its botocore client then).

    .venv/bin/python bench/cold_start.py [--runs 5] [--package out/deployment.zip ...]

With `--package` (from `make package`), app.py is imported from the unzipped package instead
of the checkout, the package first on sys.path as in Lambda (/var/task). It prints the zip's
size, the unzipped function code and which of the Lambda runtime's own packages (boto3,
botocore, ...) the zip holds, then times the package without any .pyc (/var/task is read-only,
so Lambda compiles every module at each cold start) and with .pyc (the zip's own, or compiled
here if it has none). What the package lacks comes from this venv, standing in for the
runtime's boto3/botocore (precompiled here; assumed so there). Prints medians of wall-clock and CPU time (CPU time moves
less on a shared machine). Several `--package` are measured in alternation, so a busy machine
slows them alike. `python -X importtime -c "import app"` breaks the import down.
"""
import argparse
import compileall
import json
import os
import py_compile
import statistics
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What the Lambda Python runtime provides: boto3 and the packages it depends on.
RUNTIME_PACKAGES = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"}

FIRST_REQUEST = r"""
import json, os, time
start, start_cpu = time.perf_counter(), time.process_time()
from app import app
imported, imported_cpu = time.perf_counter(), time.process_time()
import botocore
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
    before, before_cpu = time.perf_counter(), time.process_time()
    response = app(event, None)
    first, first_cpu = time.perf_counter() - before, time.process_time() - before_cpu
assert response["statusCode"] in (401, 404), response      # unknown image, anonymous
print(json.dumps({"import": [imported - start, imported_cpu - start_cpu],
                  "first_request": [first, first_cpu], "botocore": botocore.__file__}))
"""


def sample(code_dir: str, write_bytecode: bool) -> dict:
    """One fresh interpreter: import and first request, wall-clock and CPU seconds."""
    # The package's own modules come first, as in Lambda (/var/task before the runtime's boto3).
    path = os.pathsep.join([code_dir, *sys.path[1:]])
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": path,
           "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
           "REGISTRY_TABLE_PREFIX": "bench", "REGISTRY_BUCKET": "bench-layers"}
    if not write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return json.loads(subprocess.run([sys.executable, "-c", FIRST_REQUEST], cwd=code_dir, env=env,
                                     capture_output=True, text=True, check=True).stdout)


def report(label: str, samples: list[dict], code_dir: str) -> None:
    top_level = os.path.dirname(os.path.dirname(samples[0]["botocore"])) == code_dir
    botocore_from = "the package" if top_level else "this venv"
    # CPU time too: on a shared machine it moves much less than the wall clock.
    print(label + ": " + ", ".join(
        f"{key} median {statistics.median(s[key][0] for s in samples) * 1000:.0f} ms "
        f"(CPU {statistics.median(s[key][1] for s in samples) * 1000:.0f} ms)"
        for key in ("import", "first_request"))
        + f"; {len(samples)} fresh interpreters, botocore from {botocore_from}")


def describe(package: str) -> None:
    with zipfile.ZipFile(package) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
        top = {name.split("/")[0] for name in archive.namelist()}
    runtime = sorted(top & RUNTIME_PACKAGES)
    print(f"{package}: {os.path.getsize(package) / 1e6:.2f} MB, function code "
          f"{unzipped / 1e6:.2f} MB unzipped; of the Lambda runtime's packages it holds "
          + (", ".join(runtime) or "none"))


def unzip(package: str, task: str, with_pyc: bool) -> str:
    """Extracts the package; with_pyc: its .pyc, or compiled here (as make package does) if
    it has none. Returns the label of the measurement."""
    with zipfile.ZipFile(package) as archive:
        pyc = [name for name in archive.namelist() if name.endswith(".pyc")]
        archive.extractall(task, [name for name in archive.namelist()
                                  if with_pyc or not name.endswith(".pyc")])
    if not with_pyc:
        return "without .pyc (as Lambda runs a zip without them)"
    if pyc:
        return "with its .pyc"
    compileall.compile_dir(task, quiet=1,
                           invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    return "with .pyc compiled here"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--package", action="append",
                        help="deployment.zip from `make package`; give several to compare them "
                             "(their runs alternate, so a busy machine slows all alike)")
    args = parser.parse_args()
    if not args.package:
        report("checkout", [sample(ROOT, write_bytecode=True) for _ in range(args.runs)], ROOT)
        return
    with tempfile.TemporaryDirectory() as tmp:
        setups = []         # (label, unzipped package)
        for number, package in enumerate(args.package):
            describe(package)
            for with_pyc in (False, True):
                task = os.path.join(tmp, f"{number}-{with_pyc}")
                setups.append((f"{package} {unzip(package, task, with_pyc)}", task))
        samples = {task: [] for _, task in setups}
        for _ in range(args.runs):
            for _, task in setups:
                samples[task].append(sample(task, write_bytecode=False))
        for label, task in setups:
            report(label, samples[task], task)


if __name__ == "__main__":
    main()
