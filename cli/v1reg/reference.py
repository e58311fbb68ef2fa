"""`REGISTRY/NAME[:TAG]` references and registry base URLs (spec §4.11, §4.12)."""
import ipaddress
import re
from dataclasses import dataclass

from .errors import CliError

COMPONENT = re.compile(r"[a-z0-9]+(?:[._-]+[a-z0-9]+)*")
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


@dataclass(frozen=True)
class Registry:
    host: str          # host[:port], the key of ~/.docker/config.json `auths`
    url: str           # scheme://host[:port]


@dataclass(frozen=True)
class Reference:
    registry: Registry
    name: str          # "ns/repo", or "repo" sent verbatim where docker does (§4.11)
    tag: str | None

    @property
    def library_name(self) -> str:
        """The name docker uses on tag reads: `library/` added to one component (§4.11)."""
        return self.name if "/" in self.name else "library/" + self.name

    def __str__(self) -> str:
        return f"{self.registry.host}/{self.name}" + (f":{self.tag}" if self.tag else "")


def registry(text: str) -> Registry:
    """`host[:port]`, optionally with `http://` or `https://`; loopback hosts default to
    plain HTTP (docker allows them insecure), every other host to HTTPS."""
    scheme, _, host = text.rpartition("://")
    host = host.rstrip("/").removesuffix("/v1")
    if not host or "/" in host or scheme not in ("", "http", "https"):
        raise CliError(f"invalid registry {text!r}: expected host[:port]")
    return Registry(host, f"{scheme or _default_scheme(host)}://{host}")


def _default_scheme(host: str) -> str:
    name = host[1:host.find("]")] if host.startswith("[") else host.split(":")[0]
    if name == "localhost":
        return "http"
    try:
        return "http" if ipaddress.ip_address(name).is_loopback else "https"
    except ValueError:
        return "https"


def parse(text: str) -> Reference:
    """`REGISTRY/NAME[:TAG]` where NAME is `repo` or `namespace/repo`."""
    scheme, sep, rest = text.rpartition("://")
    host, slash, path = rest.partition("/")
    if not slash or not path:
        raise CliError(f"invalid reference {text!r}: expected REGISTRY/NAME[:TAG]")
    name, colon, tag = path.partition(":")
    components = name.split("/")
    if len(components) > 2 or not all(COMPONENT.fullmatch(c) for c in components):
        raise CliError(f"invalid repository name {name!r}: one or two lower-case components")
    if colon and not TAG.fullmatch(tag):
        raise CliError(f"invalid tag {tag!r}")
    return Reference(registry(scheme + sep + host), name, tag if colon else None)
