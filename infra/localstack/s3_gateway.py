"""The S3 that clients reach: presigned object GET, HEAD and PUT (a multipart part's PUT
too), checked as S3 checks them, then handed to moto in process.

moto checks no signature, no expiry and no credentials, so it listens on loopback only
(for the app and `chalicelib.index.admin`). This gateway listens where the registry does and
serves a request only if it is a SigV4 query-signed URL made with this stack's own key
(random per data directory), not expired, for an object of the registry's bucket. Tables,
listings, deletes, multipart starts and completions, and anything unsigned or forged are
refused with S3's XML error shapes.
"""
import datetime
import hmac
from urllib.parse import parse_qsl

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH_PARAMS = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
               "X-Amz-SignedHeaders", "X-Amz-Signature"}
PART_PARAMS = {"partNumber", "uploadId"}            # an UploadPart PUT, all or nothing
MAX_EXPIRES = 7 * 24 * 3600                         # S3's limit for SigV4 presigned URLs
ONLY_PRESIGNED = "Only presigned object GET, HEAD and PUT are served here"


class Refused(Exception):
    def __init__(self, status: str, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class S3Gateway:
    def __init__(self, app, credentials: Credentials, region: str, bucket: str):
        self.app, self.credentials = app, credentials
        self.region, self.bucket = region, bucket

    def __call__(self, environ, start_response):
        try:
            self.check(environ)
        except Refused as refused:
            body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{refused.code}'
                    f"</Code><Message>{refused.message}</Message></Error>").encode()
            start_response(refused.status, [("Content-Type", "application/xml"),
                                            ("Content-Length", str(len(body)))])
            return [body]
        for name in [name for name in environ if name.startswith("HTTP_X_MOTO_")]:
            del environ[name]                       # moto's own switches (account id, ...)
        return self.app(environ, start_response)

    def check(self, environ) -> None:
        method = environ["REQUEST_METHOD"]
        if method not in ("GET", "HEAD", "PUT"):
            raise Refused("405 Method Not Allowed", "MethodNotAllowed", ONLY_PRESIGNED)
        if "HTTP_AUTHORIZATION" in environ or "HTTP_X_AMZ_TARGET" in environ:
            raise Refused("403 Forbidden", "AccessDenied", ONLY_PRESIGNED)
        path, _, query = environ["RAW_URI"].partition("?")
        bucket, _, key = path.lstrip("/").partition("/")
        pairs = parse_qsl(query, keep_blank_values=True)
        params = dict(pairs)
        operation_params = set(params) - AUTH_PARAMS
        allowed = [set(), PART_PARAMS] if method == "PUT" else [set()]
        if (bucket != self.bucket or not key or len(params) != len(pairs)
                or not AUTH_PARAMS <= set(params) or operation_params not in allowed):
            raise Refused("403 Forbidden", "AccessDenied", ONLY_PRESIGNED)
        self._check_signature(environ, method, path, query, params)
        signed = params["X-Amz-SignedHeaders"].split(";")
        if any(header_name(name).startswith("x-amz-") and header_name(name) not in signed
               for name in environ if name.startswith("HTTP_")):
            # as S3 does: unsigned x-amz-copy-source would copy another object in
            raise Refused("403 Forbidden", "AccessDenied",
                          "There were headers present in the request which were not signed")
        if method == "PUT" and not environ.get("CONTENT_LENGTH", "").isdigit():
            raise Refused("411 Length Required", "MissingContentLength",
                          "You must provide the Content-Length HTTP header.")

    def _check_signature(self, environ, method, path, query, params) -> None:
        try:
            signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
            expires = int(params["X-Amz-Expires"])
        except ValueError:
            raise Refused("403 Forbidden", "AuthorizationQueryParametersError",
                          "X-Amz-Date and X-Amz-Expires must be a date and a number") from None
        scope = f"{self.credentials.access_key}/{params['X-Amz-Date'][:8]}/{self.region}/s3/aws4_request"
        if params["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256" or params["X-Amz-Credential"] != scope \
                or not 0 < expires <= MAX_EXPIRES:
            raise Refused("403 Forbidden", "AccessDenied", "Not signed by this registry")
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        if now > signed_at + datetime.timedelta(seconds=expires):
            raise Refused("403 Forbidden", "AccessDenied", "Request has expired")
        signed_query = "&".join(pair for pair in query.split("&")
                                if not pair.startswith("X-Amz-Signature="))
        request = AWSRequest(
            method=method, url=f"{environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST', '')}"
                               f"{path}?{signed_query}",
            headers={name: header(environ, name)
                     for name in params["X-Amz-SignedHeaders"].split(";") if name != "host"})
        request.context["timestamp"] = params["X-Amz-Date"]
        signer = S3SigV4QueryAuth(self.credentials, "s3", self.region)
        expected = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request)
        if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
            raise Refused("403 Forbidden", "SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature "
                          "you provided.")


def header_name(environ_key: str) -> str:
    return environ_key.removeprefix("HTTP_").replace("_", "-").lower()


def header(environ, name: str) -> str:
    key = name.upper().replace("-", "_")
    if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        key = "HTTP_" + key
    return environ.get(key, "")
