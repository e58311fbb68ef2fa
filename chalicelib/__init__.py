"""The registry's code, one package per API beside the shared ones (docs/architecture.md).

- `registry`: the Registry v1 API; `index`: the Index (Hub) v1 API — each a blueprint
  (`routes`) and its services.
- `auth`: who calls and what they may do; `store`: tables, S3 objects, membership records.
- `routing`: how the API blueprints declare routes.
- `config`, `errors`, `names`, `responses`, `bodies`: small shared modules.

Imports run one way: routes → services → auth → store → config.
"""
