"""Chalice's local request handler, with the few changes the registry needs (one class),
and the strict reading of request bodies it uses."""
import json

import h11
from chalice.local import (ChaliceRequestHandler, CustomLocalChalice, ForbiddenError,
                          LocalChalice, LocalDevServer, NotAuthorizedError)

from .servers import ConnectionPolicy, HTTPServer, with_timeout

READ_PIECE = 1024 * 1024       # never ask read() for a client-declared size at once
JSON = {"Content-Type": "application/json"}


class MalformedBody(ValueError):
    pass


def read_chunked(rfile) -> bytes:
    """The body of a `Transfer-Encoding: chunked` request, decoded by h11 (RFC 9112 §7.1:
    chunk extensions and trailers allowed, anything else malformed). Reads only up to the
    body's end, so a pipelined request after it stays in `rfile`."""
    decoder = h11.Connection(h11.SERVER)
    decoder.receive_data(b"PUT / HTTP/1.1\r\nHost: body\r\nTransfer-Encoding: chunked\r\n\r\n")
    decoder.next_event()                                     # the Request above
    body = bytearray()
    try:
        while True:
            data = rfile.peek(READ_PIECE)[:READ_PIECE]       # b"": the client closed
            decoder.receive_data(data)
            while (event := decoder.next_event()) is not h11.NEED_DATA:
                if isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    rfile.read(len(data) - len(decoder.trailing_data[0]))
                    return bytes(body)
            rfile.read(len(data))
    except h11.RemoteProtocolError as error:
        raise MalformedBody(f"Malformed chunked body: {error}") from None


def read_sized(rfile, length: int) -> bytes:
    body = bytearray()
    while len(body) < length:
        piece = rfile.read(min(length - len(body), READ_PIECE))
        if not piece:
            raise MalformedBody("Body shorter than its Content-Length")
        body += piece
    return bytes(body)


def read_body(headers, rfile) -> bytes:
    encodings = headers.get_all("Transfer-Encoding")
    if encodings is not None:
        if ",".join(encodings).strip().lower() != "chunked":
            raise MalformedBody("Unsupported Transfer-Encoding")
        return read_chunked(rfile)
    lengths = set(headers.get_all("Content-Length", []))
    if len(lengths) > 1 or not all(value.strip().isdigit() for value in lengths):
        raise MalformedBody("Invalid Content-Length")
    return read_sized(rfile, int(lengths.pop())) if lengths else b""


class RegistryRequestHandler(ConnectionPolicy, ChaliceRequestHandler):
    """Each override below answers something the way API Gateway + infra/ do on AWS, or
    reads what chalice local cannot; the rest is Chalice's own handler."""

    rbufsize = 256 * 1024         # what read_chunked peeks at once (8 KiB by default)

    def setup(self):
        super().setup()
        # API Gateway reports the client's address as sourceIp (login throttling counts
        # by it); chalice local reports 127.0.0.1 for everyone.
        self.local_gateway.event_converter.LOCAL_SOURCE_IP = self.client_address[0]

    def _parse_payload(self):
        # chalice local ignores Transfer-Encoding: chunked (docker streams layers that way)
        # and fails on a Content-Length that is not a number.
        body = read_body(self.headers, self.rfile)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("transfer-encoding", "accept", "x-forwarded-proto")}
        headers["Content-Length"] = str(len(body))
        # docker sends one Accept line per media type; API Gateway hands the app all of them
        # (multiValueHeaders), chalice local only the last: join them.
        accept = self.headers.get_all("Accept")
        if accept:
            headers["Accept"] = ", ".join(accept)
        headers["X-Forwarded-Proto"] = "http"        # API Gateway's says https
        return headers, body

    def _generic_handle(self):
        # A body that cannot be read gets an answer; the rest of the stream is not a request.
        try:
            super()._generic_handle()
        except MalformedBody as error:
            self._answer_and_close(400, str(error))
        except TimeoutError:
            self._answer_and_close(408, "Request body not received in time")

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = _generic_handle

    def do_OPTIONS(self):
        # No route allows CORS, so on AWS no path has an OPTIONS method: an unknown route
        # (infra/api.yaml); chalice local would answer its own preflight, 200 and no body.
        self._answer_and_close(404, "Not found")      # the body, if any, left unread

    def _send_error_response(self, error):
        # API Gateway's unknown-route answer is 403; registries answer 404
        # (infra/ maps it the same way on AWS with a Gateway Response).
        error_type = error.headers.get("x-amzn-ErrorType")
        if isinstance(error, ForbiddenError) and error_type == "UnauthorizedException":
            return self._send_json(404, "Not found")
        # The authorizer's answers, shaped as infra/ shapes them on AWS (§1.3, §4.3).
        if isinstance(error, NotAuthorizedError):
            return self._send_json(401, "Requires authorization", {
                "WWW-Authenticate": 'Basic realm="auth required",Token'})
        if error_type == "AccessDeniedException":
            return self._send_json(401, "Invalid credentials", {
                "WWW-Authenticate": 'Basic realm="auth required",Token'})
        return super()._send_error_response(error)

    def _send_http_response(self, code, headers, body):
        # A known path with another method never reaches Lambda on AWS, where infra/
        # answers it like an unknown route; locally the app would send Chalice's own
        # 405 {"Code": "MethodNotAllowedError", ...} body (a 405 of the app's own passes).
        if code == 405 and "MethodNotAllowedError" in str(body):
            code, headers, body = 404, dict(JSON), json.dumps({"error": "Not found"})
        return super()._send_http_response(code, headers, body)

    def _send_http_response_with_body(self, code, headers, body):
        # chalice local would write the body after HEAD's headers.
        if self.command != "HEAD":
            return super()._send_http_response_with_body(code, headers, body)
        # The headers GET would have, Content-Length (in bytes) and Content-Type included.
        self.send_response(code)
        # The app may name the length of what GET would send (v2 blobs and manifests).
        length = headers.pop("Content-Length", None)
        self.send_header("Content-Length", length or str(len(
            body.encode() if isinstance(body, str) else body)))
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self._send_headers(headers)

    def _send_json(self, code, message, headers=None):
        super()._send_http_response(code, {**JSON, **(headers or {})},
                                    json.dumps({"error": message}))

    def _answer_and_close(self, code, message):
        self._send_json(code, message, {"Connection": "close"})


def registry_server(app, config, host: str, port: int, read_timeout: float) -> HTTPServer:
    """Chalice's local server for the app as `chalice local` builds it
    (chalice.local.create_local_server, which takes no handler or server class)."""
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)   # current_request per thread
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, server_cls=HTTPServer,
                          handler_cls=with_timeout(RegistryRequestHandler, read_timeout)).server
