"""Stable numeric account ids (the Accounts API's `id`, the token response's `user_id`),
given on first use: accounts made by `POST /v1/users/` have none until then."""
from pynamodb.exceptions import UpdateError

from .account_models import Counter
from .dynamo import condition_failed
from .models import User

COUNTER = "user_id"


def user_id(user: User) -> int:
    """The account's id; the first call takes the next number (two racing calls agree: the
    loser's number is skipped)."""
    if user.user_id is None:
        counter = Counter(COUNTER)
        counter.update(actions=[Counter.value.add(1)])
        try:
            user.update(actions=[User.user_id.set(counter.value)],
                        condition=User.user_id.does_not_exist() & User.username.exists())
        except UpdateError as error:
            if not condition_failed(error):
                raise
            user.refresh(consistent_read=True)
    return int(user.user_id)
