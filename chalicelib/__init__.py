"""The registry's code, one package per API beside the shared ones (docs/architecture.md).

- `registry`: the Registry v1 API; `index`: the Index (Hub) v1 API; `oauth`: the OAuth 2.0
  API; `accounts`: the Accounts API — each a blueprint (`routes`) and its services.
- `auth`: who calls and what they may do; `store`: tables, S3 objects, membership records.
- `routing`: how the API blueprints declare routes.
- `config`, `errors`, `names`, `responses`, `bodies`, `origin`: small shared modules;
  `stages`: a stage's environment for command-line tools.

Imports run one way: routes → services → auth → store → config.
"""
