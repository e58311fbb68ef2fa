"""Cold start of the Lambda handler: a fresh interpreter imports app.py and answers
`GET /v1/_ping` (no AWS call), as the first request of a new Lambda container would.

    .venv/bin/python bench/cold_start.py [runs]

Prints the median over the runs; `python -X importtime -c "import app"` breaks the import down.
"""
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FIRST_REQUEST = r"""
import json, time
start = time.perf_counter()
from app import app
imported = time.perf_counter()
event = {"resource": "/v1/_ping", "path": "/v1/_ping", "httpMethod": "GET",
         "headers": {"Host": "registry.example.com"}, "multiValueHeaders": {},
         "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/v1/_ping", "httpMethod": "GET", "path": "/api/v1/_ping",
                            "stage": "api", "identity": {"sourceIp": "203.0.113.1"}}}
response = app(event, None)
assert response["statusCode"] == 200, response
print(json.dumps({"import": imported - start, "first_request": time.perf_counter() - imported}))
"""


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "1"}
    samples = [json.loads(subprocess.run([sys.executable, "-c", FIRST_REQUEST], cwd=ROOT, env=env,
                                         capture_output=True, text=True, check=True).stdout)
               for _ in range(runs)]
    for key in ("import", "first_request"):
        print(f"{key}: median {statistics.median(s[key] for s in samples) * 1000:.0f} ms "
              f"over {runs} fresh interpreters")


if __name__ == "__main__":
    main()
