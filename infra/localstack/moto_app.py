"""moto's S3 and DynamoDB as one WSGI app, and the places the local stack reaches into
moto's internals."""
from moto.server import create_backend_app


class MotoApp:
    """moto's S3 and DynamoDB apps, chosen per request. (moto's DomainDispatcherApplication
    serves every service: it infers one per request under a global lock, and with 8 clients
    spends more time waiting for that lock than serving.)"""

    def __init__(self):
        self.s3, self.dynamodb = create_backend_app("s3"), create_backend_app("dynamodb")

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
