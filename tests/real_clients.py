"""pytest plugin: real third-party clients from Debian's packages, as fixtures.

  browser     selenium's Chrome webdriver on chromium + chromedriver, headless, a fresh profile
  dockerd     the session's own dockerd; `.run(*args)`: the docker CLI against it
  containerd  the session's own containerd; `.run(*args)`: ctr against it
  skopeo      `.run(*args)`: skopeo with its own trust policy and auth file, TLS checks off

A fixture skips its test when a binary is missing (naming the Debian package; .ci/run installs
them all) or when its program cannot start here (with the last lines of its log). At the end
of the run, pytest_terminal_summary lists every skipped test, those for a package first.
"""
import contextlib
import ctypes
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException

# Where Debian installs binaries; PATH may find another build first (/usr/local/bin/docker).
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
MISSING = "missing Debian package "
CLIENT_TIMEOUT = 120      # seconds: a hung client fails its test, not the whole run
START_TIMEOUT = 60        # seconds for a daemon to answer (2 shared cores)
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    # The network is closed but for 127.0.0.1: calls to Google's services would stall it.
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
LIBC = ctypes.CDLL(None)  # loaded now: nothing may be loaded between fork and exec
PR_SET_PDEATHSIG = 1
# Registries on 127.0.0.1 speak plain HTTP; copy and sync name two registries.
SKOPEO_TLS_OFF = {
    **dict.fromkeys(("inspect", "login", "logout", "list-tags", "delete"), ["--tls-verify=false"]),
    **dict.fromkeys(("copy", "sync"), ["--src-tls-verify=false", "--dest-tls-verify=false"]),
}


def binary(name: str, package: str) -> str:
    """The path of Debian's `name`; skips the test if its package is not installed."""
    path = shutil.which(name, path=SYSTEM_PATH)
    if path is None:
        pytest.skip(f"{MISSING}{package} (apt-get install {package}; .ci/run installs it)")
    return path


@dataclass
class Client:
    """A command-line client: `run(*args)` calls `argv + args` with `env` added to the
    environment, and raises AssertionError (with its output) on a non-zero exit unless
    check=False. Output is text; `input` is text fed to stdin (e.g. --password-stdin)."""
    argv: list[str]
    env: dict[str, str]

    @property
    def path(self) -> str:
        return self.argv[0]

    def run(self, *args: str, input: str | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
        command = [*self.argv, *args]
        result = subprocess.run(command, input=input, capture_output=True, text=True,
                                env={**os.environ, **self.env}, timeout=CLIENT_TIMEOUT)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(command)} exited {result.returncode}\n"
                                 f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result


@dataclass
class DaemonClient(Client):
    """A client of a daemon started for the session; `directory` holds the daemon's socket,
    state and log (`<name>.log`)."""
    directory: str


class Skopeo(Client):
    def run(self, command: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return super().run(command, *SKOPEO_TLS_OFF.get(command, []), *args, **kwargs)


def log_tail(path: str, lines: int = 15) -> str:
    with open(path, errors="replace") as log:
        return "".join(log.readlines()[-lines:]).rstrip() or "(empty)"


def mounted(path: str) -> bool:
    """Whether `path` is a mount point (os.path.ismount misses a bind mount on itself)."""
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1] == path for line in mounts)


def stop_when_pytest_dies() -> None:
    """Run in a daemon's process before exec: SIGTERM (a clean stop) when pytest ends, even
    killed, so no daemon outlives an interrupted run."""
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running(name: str, argv: list[str], directory: str, client: Client, *ready_args: str):
    """Runs the daemon `argv` (log: directory/<name>.log) for the with block, from the moment
    `client.run(*ready_args)` succeeds; skips the test with the log's tail if the daemon exits
    or does not answer in time. Stopped on the way out, whatever happened."""
    log_path = os.path.join(directory, f"{name}.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   preexec_fn=stop_when_pytest_dies)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while client.run(*ready_args, check=False).returncode != 0:
            if process.poll() is not None or time.monotonic() > deadline:
                why = (f"exited with status {process.returncode}" if process.poll() is not None
                       else f"did not answer in {START_TIMEOUT}s")
                pytest.skip(f"{name} cannot start here ({why}); its log ends:\n"
                            f"{log_tail(log_path)}")
            time.sleep(0.2)
        yield
    finally:
        stop(process)


@pytest.fixture(scope="session")
def dockerd(tmp_path_factory):
    """dockerd with its own data, exec root, pid file, socket and (empty) daemon.json; vfs
    storage, no iptables, no bridge: made to pull and inspect images, not to run containers.
    The CLI gets its own DOCKER_CONFIG (logins); docker allows plain HTTP to registries on
    127.0.0.0/8. Example:
    `dockerd.run("pull", f"127.0.0.1:{port}/ns/repo:tag")`."""
    daemon, docker = binary("dockerd", "docker.io"), binary("docker", "docker.io")
    directory = str(tmp_path_factory.mktemp("dockerd"))
    socket, data = f"{directory}/docker.sock", f"{directory}/data"
    with open(f"{directory}/daemon.json", "w") as config:
        config.write("{}")
    client = DaemonClient([docker, "--host", f"unix://{socket}"],
                          {"DOCKER_CONFIG": f"{directory}/client-config"}, directory)
    argv = [daemon, "--config-file", f"{directory}/daemon.json", "--host", f"unix://{socket}",
            "--data-root", data, "--exec-root", f"{directory}/exec",
            "--pidfile", f"{directory}/dockerd.pid", "--log-level", "warn",
            "--storage-driver", "vfs", "--iptables=false", "--bridge=none"]
    try:
        with running("dockerd", argv, directory, client, "version"):
            yield client
    finally:
        # dockerd bind-mounts its data root on itself; it undoes that on a clean stop only.
        if mounted(data):
            subprocess.run(["umount", data], check=True)
        shutil.rmtree(data, ignore_errors=True)     # vfs: a full copy of every layer


@pytest.fixture(scope="session")
def containerd(tmp_path_factory):
    """containerd with its own root, state, socket and config (no CRI plugin). Example:
    `containerd.run("images", "pull", "--plain-http", f"127.0.0.1:{port}/ns/repo:tag")`."""
    daemon, ctr = binary("containerd", "containerd"), binary("ctr", "containerd")
    directory = str(tmp_path_factory.mktemp("containerd"))
    socket = f"{directory}/containerd.sock"
    with open(f"{directory}/config.toml", "w") as config:
        config.write(f"""version = 2
root = "{directory}/root"
state = "{directory}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{socket}"
[ttrpc]
  address = "{socket}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{directory}/opt"
""")
    client = DaemonClient([ctr, "--address", socket], {}, directory)
    argv = [daemon, "--config", f"{directory}/config.toml", "--log-level", "warn"]
    try:
        with running("containerd", argv, directory, client, "version"):
            yield client
    finally:
        shutil.rmtree(f"{directory}/root", ignore_errors=True)


@pytest.fixture
def skopeo(tmp_path_factory):
    """skopeo accepting any image (its own trust policy), logins kept in a fresh auth file,
    and TLS verification off for the commands that talk to a registry. Example:
    `skopeo.run("copy", f"docker://127.0.0.1:{port}/ns/repo:tag", f"oci:{path}:tag")`."""
    path = binary("skopeo", "skopeo")
    directory = tmp_path_factory.mktemp("skopeo")
    (directory / "policy.json").write_text('{"default": [{"type": "insecureAcceptAnything"}]}')
    return Skopeo([path, "--policy", str(directory / "policy.json")],
                  {"REGISTRY_AUTH_FILE": str(directory / "auth.json")})


@pytest.fixture
def browser(tmp_path_factory):
    """selenium's Chrome webdriver on Debian's chromium, headless, with a fresh profile (no
    cookies from other tests). Example: `browser.get(url); browser.find_element(By.ID, "x")`."""
    options = webdriver.ChromeOptions()
    options.binary_location = binary("chromium", "chromium")
    driver_path = binary("chromedriver", "chromium-driver")
    directory = tmp_path_factory.mktemp("chromium")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={directory}/profile"):
        options.add_argument(flag)
    log_path = f"{directory}/chromedriver.log"
    service = webdriver.ChromeService(driver_path, log_output=log_path)
    try:
        driver = webdriver.Chrome(options=options, service=service)
    except WebDriverException as error:
        pytest.skip(f"chromium cannot start here ({error.msg}); "
                    f"chromedriver's log ends:\n{log_tail(log_path)}")
    try:
        yield driver
    finally:
        driver.quit()


def skip_reason(report) -> str:
    """The reason a skipped test report gives (its longrepr is (path, line, "Skipped: ..."))."""
    message = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return message.removeprefix("Skipped: ")


def pytest_terminal_summary(terminalreporter):
    """Name every skipped test: for lack of a Debian package (test, package), then the rest
    grouped by reason."""
    for_package, other = [], {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = skip_reason(report)
        package = re.match(re.escape(MISSING) + r"(\S+)", reason)
        if package:
            for_package.append(f"  {report.nodeid}  [{package[1]}]")
        else:
            other.setdefault(reason, []).append(report.nodeid)
    if for_package:
        terminalreporter.write_line("Skipped for lack of a Debian package:")
        for line in for_package:
            terminalreporter.write_line(line)
    if other:
        terminalreporter.write_line("Skipped for other reasons:")
        for reason, nodeids in other.items():
            terminalreporter.write_line("  " + reason.replace("\n", "\n    "))
            for nodeid in nodeids:
                terminalreporter.write_line(f"    - {nodeid}")
