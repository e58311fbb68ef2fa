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


def failed_conditions(error: TransactWriteError) -> list[int]:
    """The positions of a cancelled transaction's items whose condition was false (at least
    one of them: moto names only the first it meets)."""
    return [position for position, reason in enumerate(error.cancellation_reasons or [])
            if reason is not None and reason.code == "ConditionalCheckFailed"]

