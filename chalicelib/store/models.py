"""PynamoDB models: one table each for images, ancestry, tags, repositories, repository
membership, users, login failures and what a repository serves over Registry v2. Table names, region and
endpoint come from config through bind(), called once per request by the app."""
from pynamodb.attributes import (BooleanAttribute, ListAttribute, NumberAttribute,
                                 UnicodeAttribute, UnicodeSetAttribute)
from pynamodb.connection import Connection
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
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


class Image(_Base):
    """An image of one namespace (the owner's user name, or `library`): its JSON verbatim and
    its upload state (spec §4.20; stages in registry/uploads.py). The same id in another
    namespace is another image."""
    class Meta(_Base.Meta):
        table_suffix = "namespaced-images"
    namespace = UnicodeAttribute(hash_key=True)
    image_id = UnicodeAttribute(range_key=True)
    json = UnicodeAttribute()
    parent = UnicodeAttribute(null=True)
    status = UnicodeAttribute()                         # UPLOADING | COMPLETE
    # While uploading: the client's upload in S3 (a fresh key each time, never served).
    upload_key = UnicodeAttribute(null=True)
    upload_version = UnicodeAttribute(null=True)        # the S3 version that was hashed
    multipart_upload_id = UnicodeAttribute(null=True)   # S3 multipart upload not completed yet
    layer_unverified = BooleanAttribute(null=True)      # stored through presigned URLs, not hashed yet
    expires_at = NumberAttribute(null=True)             # DynamoDB TTL: unfinished uploads expire
    # From the hashing pass (spec §4.13.1; v2-pull §6): known once the layer was hashed.
    payload_checksum = UnicodeAttribute(null=True)      # "sha256:<hex>" of json + "\n" + layer
    layer_size = NumberAttribute(null=True)
    blob_digest = UnicodeAttribute(null=True)           # "sha256:<hex>" of the layer bytes
    compression = UnicodeAttribute(null=True)           # gzip | bzip2 | xz | zstd | none
    diff_id = UnicodeAttribute(null=True)               # "sha256:<hex>" of the uncompressed tar
    # A bzip2/xz layer's gzip copy, which Registry v2 serves instead (images_v2/backfill.py).
    gzip_digest = UnicodeAttribute(null=True)
    gzip_size = NumberAttribute(null=True)

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
        return LAYER_INLINE if self.upload_key else JSON_ONLY


class Ancestry(_Base):
    """`[id, parent, ..., base]` of a complete image of a namespace (§4.15)."""
    class Meta(_Base.Meta):
        table_suffix = "namespaced-ancestry"
    namespace = UnicodeAttribute(hash_key=True)
    image_id = UnicodeAttribute(range_key=True)
    ancestry = ListAttribute(of=UnicodeAttribute)


class Tag(_Base):
    class Meta(_Base.Meta):
        table_suffix = "tags"
    repository = UnicodeAttribute(hash_key=True)        # "ns/repo"
    tag = UnicodeAttribute(range_key=True)
    image_id = UnicodeAttribute()
    metadata = UnicodeAttribute(null=True)              # JSON of §2.19
    # Registry v2 (chalicelib/images_v2): the image's manifests, built when the tag is set.
    manifest = UnicodeAttribute(null=True)              # Docker schema 2
    oci_manifest = UnicodeAttribute(null=True)          # OCI, the same config


# What search reads of a repository: whether the caller may see it (auth/permissions.py).
SEARCH_PROJECTION = IncludeProjection(["namespace", "private", "deleting"])


class RepositoriesByName(GlobalSecondaryIndex):
    """Search by a prefix of the name (index/search.py): one partition per first character,
    sorted by name, so a prefix is a `begins_with` range of one partition."""
    class Meta:
        index_name = "by-name"
        projection = SEARCH_PROJECTION
    name_initial = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)


class RepositoriesByPart(GlobalSecondaryIndex):
    """The same by a prefix of the repository part (`busybox` finds `library/busybox`)."""
    class Meta:
        index_name = "by-part"
        projection = SEARCH_PROJECTION
    part_initial = UnicodeAttribute(hash_key=True)
    part = UnicodeAttribute(range_key=True)


class Repository(_Base):
    class Meta(_Base.Meta):
        table_suffix = "repositories"
    name = UnicodeAttribute(hash_key=True)              # "ns/repo"
    # The search indexes' keys, written with the record (store/membership.py create).
    name_initial = UnicodeAttribute(null=True)          # name[0]
    part = UnicodeAttribute(null=True)                  # "repo"
    part_initial = UnicodeAttribute(null=True)          # part[0]
    by_name = RepositoriesByName()
    by_part = RepositoriesByPart()
    namespace = UnicodeAttribute()
    created_at = NumberAttribute()
    metadata = UnicodeAttribute(null=True)              # JSON of §2.18 (last `latest` push)
    private = BooleanAttribute(null=True)               # None on old records: public
    deleting = BooleanAttribute(null=True)              # DELETE under way: no new writes

    @property
    def live(self) -> bool:
        return not self.deleting


class RepositoryImage(_Base):
    """An image id of the repository's namespace announced for it (spec §3.4, §3.7);
    `readable` once it was uploaded through the repository or is in the ancestry of one of
    its tags: then a token for the repository reads it."""
    class Meta(_Base.Meta):
        table_suffix = "repository-images"
    repository = UnicodeAttribute(hash_key=True)
    image_id = UnicodeAttribute(range_key=True)
    checksum = UnicodeAttribute(null=True)
    readable = BooleanAttribute(null=True)


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
    # Tokens carry it; a password change or deactivation bumps it, ending them.
    token_generation = NumberAttribute(default=0)
    trusted_sources = UnicodeAttribute(null=True)       # JSON {source: last login}, auth/throttle
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
    """Counted events in the current window (auth/throttle.py): failed logins per user and
    source, per source, per user; registrations per source."""
    class Meta(_Base.Meta):
        table_suffix = "login-failures"
    key = UnicodeAttribute(hash_key=True)              # "<kind>:<user and/or source>"
    window_start = NumberAttribute()
    failures = NumberAttribute()
    expires_at = NumberAttribute()                      # DynamoDB TTL attribute


class Content(_Base):
    """What a repository serves over Registry v2 by digest (v2-pull §6): the manifests of
    its tags (their bytes) and the blobs they name (image configs and layers, in S3 under
    blobs/sha256/). Written when a tag gets its manifests, deleted with the repository."""
    class Meta(_Base.Meta):
        table_suffix = "repository-content"
    repository = UnicodeAttribute(hash_key=True)
    digest = UnicodeAttribute(range_key=True)           # "sha256:<hex>"
    size = NumberAttribute()
    media_type = UnicodeAttribute()
    manifest = UnicodeAttribute(null=True)              # a manifest's bytes; None: a blob in S3


ALL_MODELS = (Image, Ancestry, Tag, Repository, RepositoryImage, User, LoginFailure, Content)
_bound: Settings | None = None
_transactions: Connection | None = None


def table_name(model, settings: Settings) -> str:
    return f"{settings.table_prefix}-{model.Meta.table_suffix}"


def bind(settings: Settings) -> None:
    """Point every model at the configured tables (cheap when unchanged)."""
    global _bound, _transactions
    if settings == _bound:
        return
    for model in ALL_MODELS:
        model.Meta.table_name = table_name(model, settings)
        model.Meta.region = settings.region
        model.Meta.host = settings.aws_endpoint
        model._connection = None          # PynamoDB caches the connection per model
    _bound, _transactions = settings, None


def connection() -> Connection:
    """The connection for transactions, on the bound region and endpoint; one per container,
    as the models keep theirs: a new Connection builds a new botocore session and client,
    which costs more than the transaction (about 180 ms each, bench/write_cost.py)."""
    global _transactions
    if _transactions is None:
        _transactions = Connection(region=_bound.region, host=_bound.aws_endpoint)
    return _transactions


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
