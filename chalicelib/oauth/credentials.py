"""New secrets (client secrets, authorization codes, refresh tokens: 256 random bits each)
and the only form in which they are stored: their SHA-256. A hash of 256 random bits
needs no salt or slow hash; nobody can guess the secret back from it."""
import hashlib
import hmac
import secrets


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_id() -> str:
    """An identifier that is not a secret (client ids, family ids): 128 random bits."""
    return secrets.token_urlsafe(16)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)
