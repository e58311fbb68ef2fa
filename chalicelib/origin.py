"""Where a request was sent, as the client saw it: API Gateway (behind TLS) sets
X-Forwarded-Proto and keeps Host; the local stack serves plain HTTP."""


def https(request) -> bool:
    return (request.headers.get("x-forwarded-proto") or "").lower() == "https"


def base_url(request) -> str:
    """`scheme://host`, for links back to this API."""
    host = request.headers.get("host") or "localhost"
    return f"{'https' if https(request) else 'http'}://{host}"
