"""Credentials where docker keeps them: `auths` of ~/.docker/config.json (or $DOCKER_CONFIG),
so an existing `docker login` is reused; docker credential helpers are read too."""
import base64
import json
import os
import subprocess

from .errors import CliError


def config_path() -> str:
    directory = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.join(directory, "config.json")


def _load() -> dict:
    try:
        with open(config_path()) as config:
            return json.load(config)
    except FileNotFoundError:
        return {}
    except ValueError:
        raise CliError(f"{config_path()} is not valid JSON")


def _host_of(key: str) -> str:
    """docker writes keys as `host[:port]`, older versions as `https://host/v1/`."""
    return key.split("://", 1)[-1].split("/", 1)[0]


def get(host: str) -> tuple[str, str] | None:
    """(username, password) saved for the registry, or None."""
    config = _load()
    for key, entry in config.get("auths", {}).items():
        if _host_of(key) == host and entry.get("auth"):
            username, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            return username, password
    helper = config.get("credHelpers", {}).get(host) or config.get("credsStore")
    return _from_helper(helper, host) if helper else None


def _from_helper(helper: str, host: str) -> tuple[str, str] | None:
    try:
        result = subprocess.run([f"docker-credential-{helper}", "get"], input=host.encode(),
                                capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    found = json.loads(result.stdout)
    return found["Username"], found["Secret"]


def save(host: str, username: str, password: str) -> None:
    config = _load()
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    config.setdefault("auths", {})[host] = {"auth": auth}
    _write(config)


def remove(host: str) -> bool:
    config = _load()
    auths = config.get("auths", {})
    keys = [key for key in auths if _host_of(key) == host]
    for key in keys:
        del auths[key]
    if keys:
        _write(config)
    return bool(keys)


def _write(config: dict) -> None:
    path = config_path()
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = path + ".v1reg-tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(config, out, indent="\t")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
