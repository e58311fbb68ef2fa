"""The OAuth flow as a browser and a client app walk it, through chalice.test.Client's `http`
(spec oauth-accounts-api §1.5): the authorize page's forms as a browser submits them (hidden
fields, the session cookie), and the token endpoint as an OAuth client calls it."""
import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from conftest import basic
from helpers import JSON_HEADERS

AUTHORIZE = "/api/v1.1/o/authorize/"
TOKEN = "/api/v1.1/o/token/"
APPLICATIONS = "/api/v1.1/o/applications/"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REDIRECT = "https://client.example/callback"
PASSWORD = "secret-pw"


@dataclass
class RegisteredClient:
    client_id: str
    client_secret: str | None
    redirect_uris: list[str]


def register_user(http, username: str, email: str | None = None) -> None:
    body = {"username": username, "password": PASSWORD, "email": email or ""}
    response = http.post("/v1/users/", body=json.dumps(body).encode(), headers=JSON_HEADERS)
    assert response.status_code == 201, response.body


def register_client(settings, name="Some Cool Docker Service", redirect_uris=(REDIRECT,),
                    public=False) -> RegisteredClient:
    from chalicelib.oauth import clients
    client, secret = clients.register(name, list(redirect_uris), public)
    return RegisteredClient(client.client_id, secret, list(client.redirect_uris))


class Forms(HTMLParser):
    """The hidden fields of every form of a page, and the ids of its elements' text."""

    def __init__(self, page: bytes):
        super().__init__()
        self.forms: list[dict] = []
        self.actions: list[str] = []
        self.ids: dict[str, str] = {}
        self._open_id = None
        self.feed(page.decode())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({})
            self.actions.append(attrs["action"])
        if tag == "input" and attrs.get("type") == "hidden":
            self.forms[-1][attrs["name"]] = attrs["value"]
        if "id" in attrs:
            self._open_id = attrs["id"]
            self.ids.setdefault(attrs["id"], "")

    def handle_data(self, data):
        if self._open_id:
            self.ids[self._open_id] += data

    def handle_endtag(self, tag):
        self._open_id = None


def cookie_of(response, previous: str | None = None) -> str | None:
    """The session cookie a response sets (name=value), else the previous one."""
    header = response.headers.get("Set-Cookie") or response.headers.get("set-cookie")
    return header.split(";")[0] if header else previous


def authorize_query(client: RegisteredClient, **params) -> str:
    query = {"client_id": client.client_id, "response_type": "code", "state": "abc123", **params}
    return f"{AUTHORIZE}?{urlencode({k: v for k, v in query.items() if v is not None})}"


class Browser:
    """A browser's view of the authorize pages: its session cookie and the last page."""

    def __init__(self, http):
        self.http = http
        self.cookie = None
        self.page = None

    def get(self, url: str):
        self.page = self.http.get(url, headers={"Cookie": self.cookie} if self.cookie else {})
        self.cookie = cookie_of(self.page, self.cookie)
        return self.page

    def submit(self, extra: dict, form: int = 0, fields: dict | None = None):
        """POST the page's form (its hidden fields, or `fields`, + `extra`) to its action."""
        page = Forms(self.page.body)
        hidden = fields if fields is not None else page.forms[form]
        headers = {**FORM, **({"Cookie": self.cookie} if self.cookie else {})}
        response = self.http.post(page.actions[form], body=urlencode({**hidden, **extra}).encode(),
                                  headers=headers)
        self.cookie = cookie_of(response, self.cookie)
        return response

    def sign_in(self, url: str, username: str, password: str = PASSWORD):
        """GET `url`, sign in on its form; the page shown after the 303."""
        self.get(url)
        response = self.submit({"username": username, "password": password})
        assert response.status_code == 303, response.body
        return self.get(response.headers["Location"])

    def consent(self, url: str, username: str, decision: str = "authorize") -> str:
        """Sign in if needed, then press the decision button; the redirect's Location."""
        page = self.get(url)
        if b'id="sign-in"' in page.body:
            page = self.sign_in(url, username)
        assert b'id="authorize"' in page.body, page.body
        response = self.submit({"decision": decision})
        assert response.status_code == 303, response.body
        return response.headers["Location"]


def callback(location: str) -> dict:
    """The parameters the client's redirect URI receives."""
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def token_request(http, client: RegisteredClient | None, fields: dict,
                  auth: str = "basic", headers: dict | None = None):
    """POST /o/token/: the client's credentials by Basic (default), in the body ("body"), or
    none ("none")."""
    fields = dict(fields)
    headers = {**FORM, **(headers or {})}
    if client is not None and auth == "basic":
        headers["Authorization"] = basic(client.client_id, client.client_secret or "")
    elif client is not None and auth == "body":
        fields["client_id"] = client.client_id
        if client.client_secret:
            fields["client_secret"] = client.client_secret
    return http.post(TOKEN, body=urlencode(fields).encode(), headers=headers)


def exchange(http, client: RegisteredClient, code: str, redirect_uri: str | None = REDIRECT,
             **extra):
    fields = {"grant_type": "authorization_code", "code": code, **extra}
    if redirect_uri is not None:
        fields["redirect_uri"] = redirect_uri
    return token_request(http, client, fields)


def tokens_for(http, client: RegisteredClient, username: str, scope: str | None = None,
               browser: Browser | None = None) -> dict:
    """The whole flow for `username`: consent, then the token response's JSON."""
    browser = browser or Browser(http)
    answer = callback(browser.consent(authorize_query(client, redirect_uri=REDIRECT, scope=scope),
                                      username))
    response = exchange(http, client, answer["code"])
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(name="http")
def alice_http(anonymous_client, admin):
    """`http`: the test client, with alice registered (the OAuth tests' user)."""
    register_user(anonymous_client.http, "alice", "alice@example.com")
    return anonymous_client.http


@pytest.fixture(name="client")
def oauth_client(http, aws):
    """`client`: a registered OAuth application."""
    return register_client(aws)
