"""The account's e-mail addresses (spec oauth-accounts-api §4.4–§4.8, §7.14–§7.16): the
primary one (`User.email`, also the v1 API's) first, then the others. Addresses are unique
across accounts, compared case-insensitively; the primary one cannot be deleted. No address
is `verified`: this registry sends no mail."""
from ..errors import bad_request, conflict, not_found
from ..names import valid_email
from ..store import email_addresses
from ..store.models import User


def _email(address: str, primary: bool) -> dict:
    return {"email": address, "verified": False, "primary": primary}


def listing(user: User) -> list[dict]:
    return [_email(address, address == user.email) for address in email_addresses.all_of(user)]


def _address(value) -> str:
    if not isinstance(value, str) or not valid_email(value):
        raise bad_request("email must be an e-mail address")
    return value


def add(user: User, value) -> dict:
    """A new address, not primary (§4.6)."""
    address = _address(value)
    try:
        email_addresses.add(user, address)
    except email_addresses.AddressTaken as taken:
        raise bad_request(str(taken))
    except email_addresses.ConcurrentChange:
        raise conflict("The account changed meanwhile, retry")
    return _email(address, False)


def delete(user: User, value) -> None:
    held = email_addresses.stored(user, _address(value))
    if held is None:
        raise not_found("No such address on this account")
    if held == user.email:
        raise bad_request("The primary address cannot be deleted")
    try:
        email_addresses.remove(user, held)
    except email_addresses.ConcurrentChange:
        raise conflict("The account changed meanwhile, retry")
