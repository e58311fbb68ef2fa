"""How the local stack's listeners treat connections: the registry (Chalice's local server)
and the WSGI servers over moto's app.

All of them: a listen backlog that takes a burst of connections, `TCP_NODELAY` on accepted
sockets (a response written in two pieces otherwise waits for the client's delayed ACK,
~40 ms per keep-alive request), a read timeout so a silent client does not hold a thread
forever, and `{"error": ...}` JSON for the errors http.server answers itself (malformed
request line, 414, 431, 501), which it would otherwise send as an HTML page.
"""
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler

from chalice.local import ThreadedHTTPServer
from moto.server import MotoRequestHandler
from werkzeug.serving import ThreadedWSGIServer

LISTEN_BACKLOG = 128


class ConnectionPolicy(BaseHTTPRequestHandler):
    """Mixed into each request handler class; `timeout` is the read timeout in seconds."""

    timeout = 30.0

    def setup(self) -> None:
        super().setup()              # applies `timeout` to the socket
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        message = message or self.responses.get(code, ("Error",))[0]
        self.log_error("code %d, message %s", code, message)
        body = json.dumps({"error": message}).encode()
        # A request line too broken to name its HTTP version would get no status line.
        self.request_version = self.protocol_version
        self.send_response(code)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def with_timeout(handler_class: type, seconds: float) -> type:
    return type(handler_class.__name__, (handler_class,), {"timeout": seconds})


class WSGIHandler(ConnectionPolicy, MotoRequestHandler):
    """moto's handler (it keeps S3 metadata headers with underscores) with the policy."""

    protocol_version = "HTTP/1.1"


class WSGIServer(ThreadedWSGIServer):
    request_queue_size = LISTEN_BACKLOG


class HTTPServer(ThreadedHTTPServer):
    """Chalice's local server class (a thread per connection)."""

    request_queue_size = LISTEN_BACKLOG


def serve_wsgi(host: str, port: int, app, read_timeout: float) -> WSGIServer:
    """A threaded WSGI server for `app`, bound now and serving in a daemon thread."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)   # a line per S3 call otherwise
    return serving(WSGIServer(host, port, app, handler=with_timeout(WSGIHandler, read_timeout)))


def serving(server):
    """`server`, now serving in a daemon thread."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
