"""The whole OAuth flow in a real browser, over real HTTP (spec oauth-accounts-api §1.5):
headless Chromium (tests/real_clients.py `browser`) signs in on the local stack's authorize
page, sees the consent screen, authorizes and lands on a small callback server of the test
with the code and the state. The application's side is Authlib's OAuth2Session (a standard
OAuth client library): it exchanges the code (PKCE S256, client_secret_basic), calls the
Accounts API with the token and refreshes it; the user revokes the application on the
applications page, and the token is refused from the next request on. Cancel →
access_denied. The application is registered with `make oauth-client`; the stack's log
holds none of the secrets, codes or tokens that went through it."""
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client import OAuthError
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "secret-pw"
SCOPE = "profile_read email_read"
WAIT = 20


class CallbackHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/callback"):        # not /favicon.ico
            self.server.received.append(self.path)
        body = b'<!doctype html><title>callback</title><p id="done">Back at the application</p>'
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):          # the application keeps no log of its callbacks
        pass


@pytest.fixture(scope="module")
def callback_server():
    """The application's redirect URI, `http://127.0.0.1:<port>/callback` (a loopback URI);
    `received` lists the paths (with their query) the browser brought to it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), CallbackHandler)
    server.received = []
    server.url = f"http://127.0.0.1:{server.server_port}/callback"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def application(stack, callback_server):
    """Registered as the README says: `make oauth-client NAME=... REDIRECT_URI="..."`; alice
    registered through the v1 API."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-s", "oauth-client", "NAME=Browser Test App",
         f"REDIRECT_URI={callback_server.url} https://app.example/callback",
         f"DATA={stack.data_dir}"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    credentials = dict(line.split("=", 1) for line in lines)
    assert set(credentials) == {"client_id", "client_secret"}, lines
    body = {"username": "alice", "password": PASSWORD, "email": "alice@example.com"}
    assert requests.post(f"{stack.url}/v1/users/", json=body).status_code == 201
    return credentials


def oauth_session(stack, application, callback_server) -> OAuth2Session:
    return OAuth2Session(application["client_id"], application["client_secret"], scope=SCOPE,
                         redirect_uri=callback_server.url, code_challenge_method="S256",
                         token_endpoint_auth_method="client_secret_basic")


def received(callback_server, count: int) -> dict:
    """The query of the browser's `count`-th visit to the callback."""
    assert len(callback_server.received) == count, callback_server.received
    return {key: values[0] for key, values in
            parse_qs(urlsplit(callback_server.received[-1]).query).items()}


def at_callback(browser, callback_server) -> None:
    WebDriverWait(browser, WAIT).until(lambda b: b.current_url.startswith(callback_server.url))
    assert browser.find_element(By.ID, "done").text == "Back at the application"


def sign_in(browser) -> None:
    assert browser.find_element(By.ID, "application-name").text == "Browser Test App"
    browser.find_element(By.ID, "username").send_keys("alice")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, WAIT).until(lambda b: b.find_elements(By.ID, "authorize"))


def test_the_whole_flow_in_a_browser_with_a_standard_client(stack, application, callback_server,
                                                             browser):
    authorize, token_url = f"{stack.url}/api/v1.1/o/authorize/", f"{stack.url}/api/v1.1/o/token/"
    user_url = f"{stack.url}/api/v1.1/users/alice/"
    client = oauth_session(stack, application, callback_server)
    verifier = generate_token(64)
    url, state = client.create_authorization_url(authorize, code_verifier=verifier)
    visits = len(callback_server.received)

    browser.get(url)
    sign_in(browser)
    assert browser.find_element(By.ID, "application-name").text == "Browser Test App"
    assert browser.find_element(By.ID, "redirect-host").text == urlsplit(callback_server.url).netloc
    assert [line.text for line in browser.find_elements(By.CSS_SELECTOR, "li.scope")] == [
        "See your profile info, primary email, and Gravatar email.", "See your email addresses."]
    browser.find_element(By.ID, "authorize").click()
    at_callback(browser, callback_server)
    answer = received(callback_server, visits + 1)
    assert answer["state"] == state and answer["code"]

    token = client.fetch_token(token_url, authorization_response=browser.current_url,
                               code_verifier=verifier)
    assert (token["token_type"], token["scope"], token["username"]) == ("Bearer", SCOPE, "alice")
    profile = client.get(user_url)
    assert profile.status_code == 200
    assert (profile.json()["username"], profile.json()["id"]) == ("alice", token["user_id"])
    assert client.get(user_url + "emails/").json() == [
        {"email": "alice@example.com", "verified": False, "primary": True}]

    renewed = client.refresh_token(token_url)
    assert renewed["refresh_token"] != token["refresh_token"]
    assert renewed["access_token"] != token["access_token"]
    assert client.get(user_url).status_code == 200            # with the renewed token

    browser.get(f"{stack.url}/api/v1.1/o/applications/")       # still signed in
    (listed,) = browser.find_elements(By.CSS_SELECTOR, "li.application")
    assert "Browser Test App" in listed.text
    listed.find_element(By.CSS_SELECTOR, "button.revoke").click()
    WebDriverWait(browser, WAIT).until(lambda b: b.find_elements(By.ID, "flash"))
    assert browser.find_element(By.ID, "flash").text == "Access of Browser Test App revoked."
    assert browser.find_elements(By.CSS_SELECTOR, "li.application") == []

    refused = client.get(user_url)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    with pytest.raises(OAuthError, match="invalid_grant"):
        client.refresh_token(token_url)

    secrets = {"client secret": application["client_secret"], "code": answer["code"],
               "verifier": verifier, "password": PASSWORD,
               "session cookie": browser.get_cookie("oauth_session")["value"]}
    for name in ("access_token", "refresh_token"):
        secrets[f"first {name}"], secrets[f"renewed {name}"] = token[name], renewed[name]
    with open(stack.log_path, errors="replace") as log:
        logged = log.read()
    assert "/api/v1.1/o/token/" in logged                     # the log does show the requests
    assert [name for name, value in secrets.items() if value in logged] == []


def test_cancel_in_a_browser_is_access_denied(stack, application, callback_server, browser):
    client = oauth_session(stack, application, callback_server)
    url, state = client.create_authorization_url(f"{stack.url}/api/v1.1/o/authorize/",
                                                 code_verifier=generate_token(64))
    visits = len(callback_server.received)
    browser.get(url)
    sign_in(browser)
    browser.find_element(By.ID, "cancel").click()
    at_callback(browser, callback_server)
    answer = received(callback_server, visits + 1)
    assert (answer["error"], answer["state"]) == ("access_denied", state)
    assert "code" not in answer


def test_a_frame_of_the_authorize_page_is_refused_by_the_browser(stack, application,
                                                               callback_server, browser):
    """X-Frame-Options / frame-ancestors as Chromium enforces them: a page on another origin
    framing the sign-in page gets an empty frame, not the form."""
    client = oauth_session(stack, application, callback_server)
    url, _ = client.create_authorization_url(f"{stack.url}/api/v1.1/o/authorize/",
                                             code_verifier=generate_token(64))
    framing = f"data:text/html,<iframe id=f src='{url}' width=600 height=400></iframe>"
    browser.get(framing)
    frame = WebDriverWait(browser, WAIT).until(lambda b: b.find_elements(By.ID, "f"))[0]
    browser.switch_to.frame(frame)
    assert browser.find_elements(By.ID, "sign-in") == []
    browser.switch_to.default_content()
    direct = requests.get(url)
    assert direct.headers["X-Frame-Options"] == "DENY"
    assert json.dumps(direct.headers.get("Content-Security-Policy")).count("frame-ancestors") == 1
