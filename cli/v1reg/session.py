"""One push, pull or query against a registry: Index calls with Basic credentials and
`X-Docker-Token: true`, registry calls with the token they returned (spec §4.1–4.4, §5.2)."""
import json

from .errors import CliError
from .reference import Registry
from .transport import Http


class Session:
    def __init__(self, http: Http, registry: Registry, credentials: tuple[str, str] | None):
        self.http, self.registry, self.credentials = http, registry, credentials
        self.token: str | None = None
        self.endpoints = [registry.url]

    def index(self, method: str, path: str, what: str, *, body=None, expect=(200,),
              not_found: str | None = None, **kwargs):
        """An Index call (§3): Basic credentials when logged in, and a token asked for."""
        headers = {"X-Docker-Token": "true", **kwargs.pop("headers", {})}
        if body is not None:
            headers["Content-Type"] = "application/json"
            kwargs["data"] = json.dumps(body).encode()
        response = self.http.request(method, self.registry.url + "/v1" + path, what=what,
                                     headers=headers, auth=self.credentials, **kwargs)
        self._remember(response)
        return self.check(response, expect, what, not_found)

    def call(self, method: str, path: str, what: str, *, base: str | None = None,
             expect=(200,), not_found: str | None = None, **kwargs):
        """A registry call (§2): the token if the Index gave one, else Basic (§4.9)."""
        headers = {**self.auth_headers(), **kwargs.pop("headers", {})}
        auth = None if self.token else self.credentials
        response = self.http.request(method, (base or self.endpoints[0]) + "/v1" + path,
                                     what=what, headers=headers, auth=auth, **kwargs)
        return self.check(response, expect, what, not_found)

    def auth_headers(self) -> dict:
        return {"Authorization": f"Token {self.token}"} if self.token else {}

    def _remember(self, response) -> None:
        if response.headers.get("X-Docker-Token"):
            self.token = response.headers["X-Docker-Token"]
        entries = [e.strip() for e in response.headers.get("X-Docker-Endpoints", "").split(",")]
        scheme = self.registry.url.split("://")[0]
        if any(entries):
            self.endpoints = [f"{scheme}://{entry}" for entry in entries if entry]

    def check(self, response, expect, what: str, not_found: str | None = None):
        status = response.status_code
        if status in expect:
            return response
        if status == 401:
            if self.credentials:
                raise CliError(f"{self.registry.host}: wrong username or password")
            raise CliError(f"{what}: authentication required "
                           f"(run: v1reg login {self.registry.host})")
        if status == 403:
            who = f"user {self.credentials[0]}" if self.credentials else "anonymous user"
            raise CliError(f"{what}: permission denied for {who}: {error_message(response)}")
        if status == 404 and not_found:
            raise CliError(not_found)
        raise CliError(f"{what}: HTTP {status}: {error_message(response)}")


def error_message(response) -> str:
    """The registry's `{"error": ...}` (§1.3), a Hub bare JSON string, or the text."""
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict) and "error" in body:
        body = body["error"]
    return " ".join(str(body).split())[:300] or "(empty body)"
