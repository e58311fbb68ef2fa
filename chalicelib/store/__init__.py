"""Data: the PynamoDB models (one table each), the S3 objects, the membership records, and
the idioms every service uses to read and write them (`dynamo`).

Imports only `chalicelib.config` (and `errors` for nothing but types). Nothing here decides who
may do what: that is `chalicelib.auth`; nothing here speaks HTTP: that is the API packages.
"""
