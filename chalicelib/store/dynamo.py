"""The DynamoDB idioms: a read that may miss, a conditional write that may lose a race."""
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError


def get_or_none(model, *keys, **options):
    """The item, or None when there is none (instead of DoesNotExist)."""
    try:
        return model.get(*keys, **options)
    except DoesNotExist:
        return None


def condition_failed(error: PynamoDBException) -> bool:
    """A single-item write (PutError, UpdateError, DeleteError) whose condition was false."""
    return error.cause_response_code == "ConditionalCheckFailedException"


def cancelled(error: TransactWriteError) -> bool:
    """A transaction DynamoDB cancelled: a condition was false or a racing transaction
    touched the same item (TransactionConflict)."""
    return error.cause_response_code == "TransactionCanceledException"


def cancelled_by_condition(error: TransactWriteError, position: int) -> bool:
    """The transaction was cancelled because the condition of its item `position` was false.
    Positions follow the order PynamoDB sends, not the calls': condition checks, deletes,
    puts, then updates."""
    reasons = error.cancellation_reasons or []
    return (position < len(reasons) and reasons[position] is not None
            and reasons[position].code == "ConditionalCheckFailed")
