"""The parts of the local stack (`make run`, infra/local_stack.py): how its servers treat
connections (servers), Chalice's request handler for the registry (registry_handler), moto's
S3 and DynamoDB as one WSGI app (moto_app) that the app reaches in process (in_process),
moto's state across restarts and crashes (state, journal) and the S3 that clients reach
(s3_gateway). None of them imports chalicelib: infra/local_stack.py wires them to the app."""
