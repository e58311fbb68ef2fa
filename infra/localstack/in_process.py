"""The app's AWS calls reach moto in process, without HTTP.

The app and moto share this process, and moto's server (werkzeug's) closes the connection
after every answer: a DynamoDB call over HTTP costs a new TCP connection and a new server
thread. botocore lets a `before-send` handler answer a request instead of sending it (moto's
own mock_aws works this way); this one hands requests for moto's endpoint to the same WSGI
app the loopback server runs, so they are journaled alike. Other processes
(`chalicelib.index.admin`) still use HTTP.
"""
import io
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS
from werkzeug.test import EnvironBuilder, run_wsgi_app


def _text(value) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


class Body(io.BytesIO):
    """An answer's bytes as botocore reads a urllib3 response."""

    def stream(self, amt: int = 65536, decode_content: bool = True):
        while chunk := self.read(amt):
            yield chunk


def route_to(app, endpoint: str) -> None:
    """From now on, every botocore session of this process sends moto's calls to `app`."""
    def answer(request, **_):
        if not request.url.startswith(endpoint + "/"):
            return None                                   # not moto's: botocore sends it
        url = urlsplit(request.url)
        body = request.body.read() if hasattr(request.body, "read") else request.body
        environ = EnvironBuilder(
            method=request.method, base_url=f"{url.scheme}://{url.netloc}", path=url.path,
            query_string=url.query, headers=[(name, _text(value)) for name, value
                                             in request.headers.items()],
            data=body or b"").get_environ()
        app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
        try:
            content = b"".join(app_iter)
        finally:
            getattr(app_iter, "close", lambda: None)()
        return AWSResponse(request.url, int(status.split()[0]), headers.to_wsgi_list(),
                           Body(content))
    BUILTIN_HANDLERS.append(("before-send", answer))
