"""Faults of S3 and DynamoDB injected in process, at botocore: the Nth call of one operation
raises what botocore raises when AWS throttles, fails or cannot be reached (after its own
retries), before the call reaches moto or, for a timeout, after it did (the write happened,
its answer was lost). PynamoDB wraps them in its own exceptions, as on AWS."""
from dataclasses import dataclass, field

import botocore.client
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

ENDPOINT = "https://aws.example"


@dataclass(frozen=True)
class Fault:
    name: str
    raise_it: object            # operation name -> exception
    after_the_call: bool = False


def _client_error(code: str, status: int, reasons=None):
    def make(operation: str) -> ClientError:
        response = {"Error": {"Code": code, "Message": f"injected {code}"},
                    "ResponseMetadata": {"HTTPStatusCode": status}}
        if reasons is not None:
            response["CancellationReasons"] = reasons
        return ClientError(response, operation)
    return make


READ_TIMEOUT = Fault("read timeout, after the call",
                     lambda _op: ReadTimeoutError(endpoint_url=ENDPOINT), after_the_call=True)
NO_CONNECTION = Fault("no connection", lambda _op: EndpointConnectionError(endpoint_url=ENDPOINT))
DYNAMODB = [Fault("ThrottlingException", _client_error("ThrottlingException", 400)),
            Fault("ProvisionedThroughputExceeded",
                  _client_error("ProvisionedThroughputExceededException", 400)),
            Fault("InternalServerError 500", _client_error("InternalServerError", 500)),
            READ_TIMEOUT, NO_CONNECTION]
# TransactWriteItems also fails this way when DynamoDB throttles one of its items.
THROTTLED_TRANSACTION = Fault("transaction cancelled: ThrottlingError", _client_error(
    "TransactionCanceledException", 400, [{"Code": "ThrottlingError", "Message": "throttled"}]))
S3 = [Fault("SlowDown 503", _client_error("SlowDown", 503)),
      Fault("InternalError 500", _client_error("InternalError", 500)),
      READ_TIMEOUT, NO_CONNECTION]


def faults_for(service: str, operation: str) -> list[Fault]:
    if service == "s3":
        return S3
    return DYNAMODB + ([THROTTLED_TRANSACTION] if operation == "TransactWriteItems" else [])


@dataclass
class Injector:
    """Records the (service, operation) of every botocore call since `reset`; once armed,
    the `nth` call of `operation` fails with `fault` (once)."""
    calls: list = field(default_factory=list)
    armed: tuple | None = None
    fired: bool = False

    def install(self, monkeypatch) -> "Injector":
        real = botocore.client.BaseClient._make_api_call
        injector = self

        def call(client, operation, params):
            key = (client.meta.service_model.service_name, operation)
            injector.calls.append(key)
            armed = injector.armed
            if armed is None or armed[0] != key or injector.calls.count(key) != armed[1]:
                return real(client, operation, params)
            injector.armed, injector.fired = None, True
            fault = armed[2]
            if fault.after_the_call:         # the call happened; its answer is lost
                try:
                    real(client, operation, params)
                except Exception:           # noqa: BLE001 — lost with the answer
                    pass
            raise fault.raise_it(operation)
        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
        return self

    def reset(self) -> None:
        self.calls, self.armed, self.fired = [], None, False

    def arm(self, service: str, operation: str, nth: int, fault: Fault) -> None:
        self.reset()
        self.armed = ((service, operation), nth, fault)

    def occurrences(self) -> list[tuple[str, str, int]]:
        """(service, operation, nth) of every call recorded since `reset`."""
        seen = []
        for position, key in enumerate(self.calls):
            seen.append((*key, self.calls[:position + 1].count(key)))
        return seen
