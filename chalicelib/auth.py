"""Who is calling and what they may do: the one place permission is decided.

Every handler calls `authorize(...)` for each repository or image it touches.
This is the standalone mode of spec §4.9 (everything allowed); the Index issue
replaces the rules, not the calls.
"""
import secrets
from dataclasses import dataclass

READ, WRITE, DELETE = "read", "write", "delete"


@dataclass(frozen=True)
class Principal:
    username: str | None = None      # None: anonymous


def authorize(request, action: str, *, repository: str | None = None,
              image_id: str | None = None) -> Principal:
    """Return the caller if they may `action` the repository or image, else raise ApiError."""
    return Principal()


def issue_token(principal: Principal, repository: str, access: str) -> str:
    """The `X-Docker-Token` value (no `Token ` prefix, spec §4.2)."""
    return f'signature={secrets.token_hex(20)},repository="{repository}",access={access}'
