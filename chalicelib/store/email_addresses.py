"""Which account holds which e-mail address: an EmailAddress item per address (lower-cased),
written in one transaction with the User item, so no two accounts hold an address in any
case (spec oauth-accounts-api §7.14) and the v1 `PUT /v1/users/<name>/` (primary `email`) and
the Accounts API (`other_emails` too) always agree.

Addresses keep the case they were given in."""
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from . import models
from .account_models import EmailAddress
from .dynamo import cancelled, get_or_none
from .models import User


class AddressTaken(ValueError):
    """The address is on file already: this account's or another's (the same words for both)."""

    def __init__(self):
        super().__init__("E-mail address already in use")


class ConcurrentChange(RuntimeError):
    """The account's addresses changed while this change was being made; nothing was written."""


def key(address: str) -> str:
    return address.lower()


def stored(user: User, address: str) -> str | None:
    """The spelling on file of one of the account's addresses, whatever the case asked."""
    return next((held for held in all_of(user) if key(held) == key(address)), None)


def all_of(user: User) -> list[str]:
    """The primary address first (if any), then the others in order."""
    return ([user.email] if user.email else []) + sorted(user.other_emails or (), key=key)


def create(user: User) -> None:
    """Save a new account, its primary address (if any) claimed in the same transaction;
    ConcurrentChange if the user name exists, AddressTaken if the address is another's."""
    def write(transaction):
        transaction.save(user, condition=User.username.does_not_exist())
        if user.email:
            transaction.save(EmailAddress(key(user.email), username=user.username),
                             condition=EmailAddress.address.does_not_exist())
    _write(user, write, claiming=user.email)


def add(user: User, address: str) -> None:
    """Add a non-primary address to the account."""
    if stored(user, address) is not None:
        raise AddressTaken()
    _write(user, lambda transaction: (
        transaction.update(user, actions=[User.other_emails.add({address})],
                           condition=User.username.exists()),
        transaction.save(EmailAddress(key(address), username=user.username),
                         condition=EmailAddress.address.does_not_exist())), claiming=address)


def remove(user: User, address: str) -> None:
    """Remove one of the account's non-primary addresses (as spelt on file)."""
    _write(user, lambda transaction: (
        transaction.update(user, actions=[User.other_emails.delete({address})],
                           condition=User.other_emails.contains(address)),
        transaction.delete(EmailAddress(key(address)),
                           condition=EmailAddress.username == user.username)))


def set_primary(user: User, address: str | None, actions: list) -> None:
    """Make `address` the primary address (None: none), with the other User `actions`, in one
    transaction: the new address claimed (taken from the other addresses if it is one of
    them), the old one released if this account holds it."""
    old = user.email
    user_actions = [*actions, User.email.set(address) if address else User.email.remove()]
    promoted = stored(user, address) if address else None
    if promoted is not None and promoted != old:
        user_actions.append(User.other_emails.delete({promoted}))
    old_claim = get_or_none(EmailAddress, key(old), consistent_read=True) if old else None
    release = (old_claim is not None and old_claim.username == user.username
               and (address is None or key(address) != key(old)))

    def write(transaction):
        transaction.update(user, actions=user_actions, condition=User.username.exists() & (
            User.email == old if old else User.email.does_not_exist()))
        if address:
            transaction.save(EmailAddress(key(address), username=user.username),
                             condition=EmailAddress.address.does_not_exist()
                             | (EmailAddress.username == user.username))
        if release:
            transaction.delete(old_claim, condition=EmailAddress.username == user.username)
    _write(user, write, claiming=address)


def _write(user: User, operations, claiming: str | None = None) -> None:
    """Run `operations(transaction)`. Cancelled: AddressTaken if the address being claimed
    is another account's (read back: PynamoDB reorders a transaction's items, so the
    cancellation reasons' positions are not the calls'), else ConcurrentChange."""
    try:
        with TransactWrite(connection=models.connection()) as transaction:
            operations(transaction)
    except TransactWriteError as error:
        if not cancelled(error):
            raise
        holder = (get_or_none(EmailAddress, key(claiming), consistent_read=True)
                  if claiming else None)
        if holder is not None and holder.username != user.username:
            raise AddressTaken() from None
        raise ConcurrentChange() from None
