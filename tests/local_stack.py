"""Runs infra/local_stack.py (the `make run` server) as a subprocess for end-to-end tests."""
import os
import signal
import socket
import subprocess
import sys
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStack:
    """The real server over real HTTP; `restart()` keeps the data directory.
    `host` is what it binds to; `args` are more command-line options."""

    def __init__(self, data_dir: str, env: dict | None = None, host: str = "127.0.0.1",
                 args: tuple = ()):
        self.data_dir = data_dir
        self.port = free_port()
        self.host, self.args = host, tuple(args)
        reachable = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.url = f"http://{reachable}:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.process = None
        self.log_path = os.path.join(data_dir, "server.log")

    def start(self, timeout: float = 30.0, **popen) -> "LocalStack":
        os.makedirs(self.data_dir, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "infra", "local_stack.py"), "--host", self.host,
             "--port", str(self.port), "--data-dir", self.data_dir, *self.args],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, **popen)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"local stack exited:\n{self.log()}")
            try:
                requests.get(self.url + "/v1/_ping", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"local stack did not listen in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """A crash: SIGKILL, nothing gets to run."""
        self.process.kill()
        self.process.wait()
        self.process = None

    def create_admin(self, username: str, password: str) -> None:
        """`python -m chalicelib.index.admin` against this stack (it reads <data-dir>/moto-endpoint)."""
        subprocess.run([sys.executable, "-m", "chalicelib.index.admin", username, "--data-dir",
                        self.data_dir], input=password + "\n", text=True, cwd=ROOT, check=True,
                       capture_output=True)
        self.admin = (username, password)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def moto_endpoint(self) -> str:
        """moto's own endpoint (loopback, no credentials checked), for reading state back."""
        with open(os.path.join(self.data_dir, "moto-endpoint")) as file:
            return file.read().strip()

    def log(self) -> str:
        with open(self.log_path, "rb") as log:
            return log.read().decode(errors="replace")[-5000:]
