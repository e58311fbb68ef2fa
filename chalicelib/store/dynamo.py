"""The DynamoDB idioms: a read that may miss, a conditional write that may lose a race."""
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError


def get_or_none(model, *keys, **options):
    """The item, or None when there is none (instead of DoesNotExist)."""
    try:
        return model.get(*keys, **options)
    except DoesNotExist:
        return None


def _code(error: PynamoDBException) -> str | None:
    """DynamoDB's error code. (PynamoDB's `cause_response_code` raises AttributeError for a
    timeout: botocore's ReadTimeoutError has a `response` attribute, None.)"""
    return ((getattr(error.cause, "response", None) or {}).get("Error") or {}).get("Code")


def condition_failed(error: PynamoDBException) -> bool:
    """A single-item write (PutError, UpdateError, DeleteError) whose condition was false."""
    return _code(error) == "ConditionalCheckFailedException"


def cancelled(error: TransactWriteError) -> bool:
    """A transaction DynamoDB cancelled: a condition was false or a racing transaction
    touched the same item (TransactionConflict). One cancelled because DynamoDB throttled
    an item is not: it is a fault like any throttling (chalicelib/faults.py)."""
    return (_code(error) == "TransactionCanceledException"
            and not any(reason is not None and reason.code == "ThrottlingError"
                        for reason in error.cancellation_reasons or []))


def failed_conditions(error: TransactWriteError) -> list[int]:
    """The positions of a cancelled transaction's items whose condition was false (at least
    one of them: moto names only the first it meets)."""
    return [position for position, reason in enumerate(error.cancellation_reasons or [])
            if reason is not None and reason.code == "ConditionalCheckFailed"]

