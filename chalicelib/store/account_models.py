"""Tables of the Accounts API beside the User item: who holds an e-mail address, and the
counter that numbers accounts."""
from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from .models import _Base


class EmailAddress(_Base):
    """An e-mail address held by one account: the primary `User.email` or one of
    `User.other_emails` (spec oauth-accounts-api §7.14: unique across accounts, compared
    case-insensitively). Written in the same transaction as the User item."""
    class Meta(_Base.Meta):
        table_suffix = "email-addresses"
    address = UnicodeAttribute(hash_key=True)           # lower-cased
    username = UnicodeAttribute()


class Counter(_Base):
    """A number handed out once per increment (`user_id`: the Accounts API's `id`)."""
    class Meta(_Base.Meta):
        table_suffix = "counters"
    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)


ACCOUNT_MODELS = (EmailAddress, Counter)
