"""Data: the PynamoDB models (one table each), the S3 objects, the membership records, and
the idioms every service uses to read and write them (`dynamo`).

- `models`: the tables of the registry and the Index, `bind()`, `ALL_MODELS`;
  `account_models`, `oauth_models`: the tables of the Accounts and OAuth APIs (in ALL_MODELS).
- `email_addresses`: which account holds which e-mail address; `user_ids`: stable numeric ids.

Imports only `chalicelib.config` (and `errors` for nothing but types). Nothing here decides who
may do what: that is `chalicelib.auth`; nothing here speaks HTTP: that is the API packages.
"""
# models.py adds the tables of account_models.py and oauth_models.py, which subclass its
# _Base, to ALL_MODELS: loading it first keeps that import cycle in one order.
from . import models  # noqa: F401
