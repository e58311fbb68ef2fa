"""The one way to fail under /v2: raise V2Error, answered with the distribution error body
(spec v2-pull §1.9) `{"errors": [{"code", "message", "detail"?}]}` as
`application/json; charset=utf-8`. `from_api_error` maps the `{"error"}` ApiErrors of the
shared modules (names, auth) onto it."""
import json

from chalice import Response

from ..errors import ApiError

JSON = "application/json; charset=utf-8"
PUSH_WAYS = ("this registry is read-only over v2: push with docker 1.x (Registry v1) or "
             "with v1reg (docker save IMAGE | v1reg push - HOST/NAME:TAG)")
CODES = {400: "NAME_INVALID", 401: "UNAUTHORIZED", 403: "DENIED", 404: "NAME_UNKNOWN",
         405: "UNSUPPORTED", 429: "TOOMANYREQUESTS", 503: "UNAVAILABLE"}


class V2Error(ApiError):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None,
                 detail=None):
        super().__init__(status, message, headers)
        self.code, self.detail = code, detail

    def response(self) -> Response:
        error = {"code": self.code, "message": self.message}
        if self.detail is not None:
            error["detail"] = self.detail
        return Response(body=json.dumps({"errors": [error]}), status_code=self.status,
                        headers={"Content-Type": JSON, **self.headers})


def from_api_error(error: ApiError, challenge: str) -> V2Error:
    """A shared module's refusal in v2's words; a 401 carries `challenge`."""
    if isinstance(error, V2Error):
        return error
    headers = dict(error.headers)
    if error.status == 401:
        headers["WWW-Authenticate"] = challenge
    return V2Error(error.status, CODES.get(error.status, "UNKNOWN"), error.message,
                   headers)


def unsupported(method: str) -> V2Error:
    return V2Error(405, "UNSUPPORTED", f"{method} is not supported: {PUSH_WAYS}")


def name_unknown(name: str) -> V2Error:
    return V2Error(404, "NAME_UNKNOWN", "repository name not known to registry",
                   detail={"name": name})


def manifest_unknown(reference: str, why: str = "manifest unknown") -> V2Error:
    return V2Error(404, "MANIFEST_UNKNOWN", why, detail={"reference": reference})


def blob_unknown(digest: str) -> V2Error:
    return V2Error(404, "BLOB_UNKNOWN", "blob unknown to registry", detail={"digest": digest})


def internal_error() -> V2Error:
    return V2Error(500, "UNKNOWN", "internal server error")
