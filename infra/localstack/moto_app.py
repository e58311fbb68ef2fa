"""moto's S3 and DynamoDB as one WSGI app, and the places the local stack reaches into
moto's internals."""
import copy
import threading

from moto.server import create_backend_app


class MotoApp:
    """moto's S3 and DynamoDB apps, chosen per request. (moto's DomainDispatcherApplication
    serves every service: it infers one per request under a global lock, and with 8 clients
    spends more time waiting for that lock than serving.)"""

    def __init__(self):
        self.s3, self.dynamodb = create_backend_app("s3"), create_backend_app("dynamodb")
        transactions_back_up_items_not_tables()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        app = self.dynamodb if target.startswith("DynamoDB_") else self.s3
        return app(environ, start_response)


class MotoInternals:
    """Where the local stack reaches into moto's models, for want of an API.

    - moto has no persistence: its S3 and DynamoDB backends are pickled whole.
    - moto has no way to choose the ids it generates: after a replayed request, the id it
      made up this time is renamed to the one it made up originally, which clients,
      presigned URLs and table items (an image's multipart upload id) already hold.
    """

    @staticmethod
    def _backends() -> dict:
        from moto.dynamodb.models import dynamodb_backends
        from moto.s3.models import s3_backends
        return {"s3": s3_backends, "dynamodb": dynamodb_backends}

    @classmethod
    def state(cls) -> dict:
        return {name: dict(backends) for name, backends in cls._backends().items()}

    @classmethod
    def load(cls, state: dict) -> None:
        for name, backends in cls._backends().items():
            backends.update(state[name])

    @classmethod
    def adopt_ids(cls, record: dict, replayed: dict) -> None:
        original = record.get("ids", {})
        bucket_name = record["environ"]["PATH_INFO"].lstrip("/").partition("/")[0]
        if original.get("upload") and replayed.get("upload") != original["upload"]:
            uploads = cls._bucket(bucket_name).multiparts
            upload = uploads.pop(replayed["upload"])
            upload.id = original["upload"]
            uploads[upload.id] = upload
        if original.get("version") and replayed.get("version") != original["version"]:
            for _key, versions in cls._bucket(bucket_name).keys.lists():
                for version in versions:
                    if version.version_id == replayed["version"]:
                        version._version_id = original["version"]

    @classmethod
    def _bucket(cls, name: str):
        for account in cls._backends()["s3"].values():
            for backend in account.values():
                if name in backend.buckets:
                    return backend.buckets[name]
        raise KeyError(f"bucket {name} not in moto's state")


_copying_tables = threading.local()


def transactions_back_up_items_not_tables() -> None:
    """moto's TransactWriteItems deep-copies every table it touches to roll back a cancelled
    transaction, so a PUT checksum costs more the more images are stored (issue 13). Here the
    items the transaction names are backed up instead: the tables' copies become the tables
    themselves (Table.__deepcopy__, only during a transaction), and a cancelled transaction
    puts those items back. DynamoDB's own cost does not grow with the table either."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    def deepcopy_table(table, memo):
        if getattr(_copying_tables, "off", False):
            return table
        return _copy_table(table, memo)

    _copy_table = Table.__deepcopy__ if hasattr(Table, "__deepcopy__") else _default_deepcopy
    Table.__deepcopy__ = deepcopy_table
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(backend, transact_items):
        backup = [_item_backup(backend, operation) for item in transact_items
                  for operation in item.values()]
        _copying_tables.off = True
        try:
            return original(backend, transact_items)
        except Exception:
            for table_name, key, old in backup:
                _restore(backend, table_name, key, old)
            raise
        finally:
            _copying_tables.off = False

    DynamoDBBackend.transact_write_items = transact_write_items


def _default_deepcopy(table, memo):
    clone = table.__class__.__new__(table.__class__)
    memo[id(table)] = clone
    for name, value in table.__dict__.items():
        setattr(clone, name, copy.deepcopy(value, memo))
    return clone


def _item_backup(backend, operation: dict):
    table = backend.get_table(operation["TableName"])
    if "Key" in operation:
        key = operation["Key"]
    else:
        attributes = operation["Item"]
        key = {name: attributes[name] for name in (table.hash_key_attr, table.range_key_attr)
               if name is not None}
    current = backend.get_item(operation["TableName"], key)
    return operation["TableName"], key, copy.deepcopy(current)


def _restore(backend, table_name: str, key: dict, old) -> None:
    if old is not None:
        backend.get_table(table_name).put_item(old.to_json()["Attributes"])
    elif backend.get_item(table_name, key) is not None:
        backend.delete_item(table_name, key)
