"""Response shapes shared by the routes: JSON with [dr]'s headers, image cache headers (§1.2, §4.18)."""
import json
from email.utils import formatdate
import time

from chalice import Response

NO_CACHE = {"Cache-Control": "no-cache", "Pragma": "no-cache", "Expires": "-1"}
ONE_YEAR = 365 * 24 * 3600


def json_response(value, status: int = 200, headers: dict | None = None) -> Response:
    return raw_json(json.dumps(value), status, {**NO_CACHE, **(headers or {})})


def raw_json(text: str, status: int = 200, headers: dict | None = None) -> Response:
    return Response(body=text, status_code=status,
                    headers={"Content-Type": "application/json", **(headers or {})})


def empty(status: int, headers: dict | None = None) -> Response:
    return Response(body="", status_code=status, headers=headers or {})


def immutable() -> dict:
    """Headers for image resources, which never change once complete."""
    return {"Cache-Control": f"public, max-age={ONE_YEAR}",
            "Expires": formatdate(time.time() + ONE_YEAR, usegmt=True),
            "Last-Modified": "Thu, 01 Jan 1970 00:00:00 GMT"}


def not_modified() -> Response:
    return empty(304, immutable())
