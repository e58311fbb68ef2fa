"""The one way to fail: raise ApiError, and the app turns it into {"error": ...}."""
import json

from chalice import ChaliceUnhandledError, Response


class ApiError(ChaliceUnhandledError):
    """An error answered as `{"error": message}` with a 4xx status (spec §1.3)."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def response(self) -> Response:
        headers = {"Content-Type": "application/json", **self.headers}
        return Response(body=json.dumps({"error": self.message}),
                        status_code=self.status, headers=headers)


class BareStringError(ApiError):
    """An error whose body is a bare JSON string, as the Hub's `/v1/users/` answers
    (§3.1: docker ≤1.10 compares `"Username or email already exists"` byte for byte)."""

    def response(self) -> Response:
        headers = {"Content-Type": "application/json", **self.headers}
        return Response(body=json.dumps(self.message), status_code=self.status, headers=headers)


# Index 401s carry this challenge (§3, §4.3); the client never parses it.
CHALLENGE = {"WWW-Authenticate": 'Basic realm="auth required",Token'}


def unauthorized(message: str = "Requires authorization") -> ApiError:
    return ApiError(401, message, CHALLENGE)


def forbidden(message: str) -> ApiError:
    return ApiError(403, message)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def conflict(message: str) -> ApiError:
    return ApiError(409, message)


def internal_error() -> Response:
    return ApiError(500, "Internal server error").response()
