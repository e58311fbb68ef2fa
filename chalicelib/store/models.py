"""PynamoDB models: one table each for images, image claims, ancestry, tags, repositories,
repository membership, users and login failures. Table names, region and
endpoint come from config through bind(), called once per request by the app."""
from pynamodb.attributes import (BooleanAttribute, ListAttribute, NumberAttribute,
                                 UnicodeAttribute, UnicodeSetAttribute)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ..config import Settings

UPLOADING = "uploading"
COMPLETE = "complete"

# Upload stages (registry/uploads.py has the transition table), derived from the attributes.
JSON_ONLY = "json_only"                 # JSON stored, no layer yet
LAYER_INLINE = "layer_inline"           # layer stored from the request body, checksum known
MULTIPART_OPEN = "multipart_open"       # S3 multipart upload not completed yet
LAYER_UNVERIFIED = "layer_unverified"   # layer stored through presigned URLs, not hashed yet


class _Base(Model):
    class Meta:
        billing_mode = "PAY_PER_REQUEST"
        # API Gateway cuts a request at 29 s: fail fast instead of retrying for minutes.
        connect_timeout_seconds = 2
        read_timeout_seconds = 5
        max_retry_attempts = 2


class Upload(_Base):
    """The upload state an image and a claim on it share (spec §4.20); no table of its own."""
    json = UnicodeAttribute()
    status = UnicodeAttribute()                         # UPLOADING | COMPLETE
    layer_key = UnicodeAttribute(null=True)             # S3 key, opaque here
    layer_size = NumberAttribute(null=True)
    payload_checksum = UnicodeAttribute(null=True)      # "sha256:<hex>" (§4.13.1)
    layer_unverified = BooleanAttribute(null=True)      # stored through a presigned PUT, not hashed yet
    multipart_upload_id = UnicodeAttribute(null=True)   # S3 multipart upload not completed yet

    @property
    def complete(self) -> bool:
        return self.status == COMPLETE

    @property
    def stage(self) -> str:
        if self.complete:
            return COMPLETE
        if self.multipart_upload_id:
            return MULTIPART_OPEN
        if self.layer_unverified:
            return LAYER_UNVERIFIED
        return LAYER_INLINE if self.layer_key else JSON_ONLY


class Image(Upload):
    """An image's JSON (verbatim) and upload state (spec §4.20)."""
    class Meta(_Base.Meta):
        table_suffix = "images"
    image_id = UnicodeAttribute(hash_key=True)
    parent = UnicodeAttribute(null=True)


class ImageClaim(Upload):
    """A re-upload of a complete image by a pusher who may write it through `repository`
    but not read it: proof of possession, accepted when its payload checksum equals the
    image's. Always `uploading`; deleted once accepted."""
    class Meta(_Base.Meta):
        table_suffix = "image-claims"
    image_id = UnicodeAttribute(hash_key=True)
    repository = UnicodeAttribute(range_key=True)


class Ancestry(_Base):
    """`[id, parent, ..., base]`, written when the image completes (§4.15)."""
    class Meta(_Base.Meta):
        table_suffix = "ancestry"
    image_id = UnicodeAttribute(hash_key=True)
    ancestry = ListAttribute(of=UnicodeAttribute)


class Tag(_Base):
    class Meta(_Base.Meta):
        table_suffix = "tags"
    repository = UnicodeAttribute(hash_key=True)        # "ns/repo"
    tag = UnicodeAttribute(range_key=True)
    image_id = UnicodeAttribute()
    metadata = UnicodeAttribute(null=True)              # JSON of §2.19


class Repository(_Base):
    class Meta(_Base.Meta):
        table_suffix = "repositories"
    name = UnicodeAttribute(hash_key=True)              # "ns/repo"
    namespace = UnicodeAttribute()
    created_at = NumberAttribute()
    metadata = UnicodeAttribute(null=True)              # JSON of §2.18 (last `latest` push)
    private = BooleanAttribute(null=True)               # None on old records: public


class ImageRepositories(GlobalSecondaryIndex):
    """RepositoryImage by image id: which repositories hold an image (§4.22)."""
    class Meta:
        index_name = "by-image"
        projection = AllProjection()
    image_id = UnicodeAttribute(hash_key=True)
    repository = UnicodeAttribute(range_key=True)


class RepositoryImage(_Base):
    """An image id announced for a repository (spec §3.4, §3.7); `readable` once it
    was uploaded through the repository or is in the ancestry of one of its tags."""
    class Meta(_Base.Meta):
        table_suffix = "repository-images"
    repository = UnicodeAttribute(hash_key=True)
    image_id = UnicodeAttribute(range_key=True)
    checksum = UnicodeAttribute(null=True)
    readable = BooleanAttribute(null=True)
    by_image = ImageRepositories()


class User(_Base):
    """An Index account; the username is also the namespace it owns (§3.1, §4.12)."""
    class Meta(_Base.Meta):
        table_suffix = "users"
    username = UnicodeAttribute(hash_key=True)
    password_hash = UnicodeAttribute()                  # bcrypt, "$2b$..."
    email = UnicodeAttribute(null=True)
    admin = BooleanAttribute(default=False)
    active = BooleanAttribute(default=True)
    created_at = NumberAttribute()
    # The Accounts API (chalicelib/accounts): a stable numeric id given on first use
    # (store/user_ids.py), the profile, and the addresses besides `email`, the primary one
    # (each address claimed in `email-addresses`, store/email_addresses.py).
    user_id = NumberAttribute(null=True)
    full_name = UnicodeAttribute(null=True)
    location = UnicodeAttribute(null=True)
    company = UnicodeAttribute(null=True)
    profile_url = UnicodeAttribute(null=True)
    gravatar_email = UnicodeAttribute(null=True)
    other_emails = UnicodeSetAttribute(null=True)


class LoginFailure(_Base):
    """Failed logins in the current window, per user name or per source address."""
    class Meta(_Base.Meta):
        table_suffix = "login-failures"
    key = UnicodeAttribute(hash_key=True)              # "user:<name>" | "source:<ip>"
    window_start = NumberAttribute()
    failures = NumberAttribute()
    expires_at = NumberAttribute()                      # DynamoDB TTL attribute


ALL_MODELS = (Image, ImageClaim, Ancestry, Tag, Repository, RepositoryImage, User, LoginFailure)
_bound: Settings | None = None


def table_name(model, settings: Settings) -> str:
    return f"{settings.table_prefix}-{model.Meta.table_suffix}"


def bind(settings: Settings) -> None:
    """Point every model at the configured tables (cheap when unchanged)."""
    global _bound
    if settings == _bound:
        return
    for model in ALL_MODELS:
        model.Meta.table_name = table_name(model, settings)
        model.Meta.region = settings.region
        model.Meta.host = settings.aws_endpoint
        model._connection = None          # PynamoDB caches the connection per model
    _bound = settings


def connection() -> Connection:
    """A connection for transactions, on the bound region and endpoint."""
    return Connection(region=_bound.region, host=_bound.aws_endpoint)


def create_tables() -> None:
    """Create any missing table (local stack and tests; AWS uses infra/)."""
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=True)


# The OAuth and Accounts APIs' tables, on the same _Base (store/__init__.py loads this module
# first, so those modules always find _Base defined here).
from .account_models import ACCOUNT_MODELS  # noqa: E402
from .oauth_models import OAUTH_MODELS  # noqa: E402

ALL_MODELS += ACCOUNT_MODELS + OAUTH_MODELS
