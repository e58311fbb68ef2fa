"""Which failures of S3 and DynamoDB a retry may cure: throttling, their own 5xx, timeouts
and lost connections, after botocore's own retries gave up. The client hears 503 with
Retry-After (routing.py) instead of a 500; every other unexpected exception stays a 500."""
from botocore.exceptions import (ClientError, ConnectionError, HTTPClientError,
                                 IncompleteReadError)

from .errors import ApiError

RETRY_AFTER_SECONDS = 1
TRANSIENT_CODES = {
    "ThrottlingException", "Throttling", "ProvisionedThroughputExceededException",
    "RequestLimitExceeded", "TooManyRequestsException", "SlowDown", "RequestTimeout",
    "RequestTimeoutException", "InternalServerError", "InternalError", "ServiceUnavailable",
    "ServiceUnavailableException", "TransactionInProgressException",
    "TransactionConflictException"}
THROTTLED_TRANSACTION = "ThrottlingError"      # a cancellation reason of TransactWriteItems


def transient(error: BaseException) -> bool:
    """Whether the error, or one it wraps (PynamoDB's `cause`, a `raise ... from`), is AWS
    being busy or out of reach. An exception raised while handling one is not: that is a
    bug of its own."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (ConnectionError, HTTPClientError, IncompleteReadError)):
            return True
        if isinstance(error, ClientError):
            if _transient_answer(error.response):
                return True
            # PynamoDB re-raises a ClientError with its code only, the original as context.
            error = error.__cause__ or error.__context__
            continue
        error = getattr(error, "cause", None) or error.__cause__
    return False


def _transient_answer(response: dict) -> bool:
    code = response.get("Error", {}).get("Code", "")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    reasons = [reason.get("Code") for reason in response.get("CancellationReasons") or []
               if reason]
    return code in TRANSIENT_CODES or int(status) >= 500 or THROTTLED_TRANSACTION in reasons


def unavailable() -> ApiError:
    return ApiError(503, "Storage temporarily unavailable; retry",
                    {"Retry-After": str(RETRY_AFTER_SECONDS)})
