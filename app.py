"""The app: Chalice, the middleware every request passes, and one blueprint per API.

Where things are: docs/architecture.md. Spec sections: ../shared/spec/v1-protocol.md.
"""
from chalice import Chalice

from chalicelib import config
from chalicelib.accounts.routes import blueprint as accounts_api
from chalicelib.auth import gateway
from chalicelib.errors import ApiError, internal_error
from chalicelib.index.routes import blueprint as index_api
from chalicelib.oauth.routes import blueprint as oauth_api
from chalicelib.registry.routes import blueprint as registry_api
from chalicelib.store import models
from chalicelib.v2.routes import blueprint as v2_api

app = Chalice(app_name="v1registry")


@app.middleware("http")
def bind_and_answer_errors(event, get_response):
    try:
        models.bind(config.settings())
        return get_response(event)
    except ApiError as error:           # routes raise it, unexpected errors included (routing.py)
        return error.response()
    except Exception:                   # noqa: BLE001 — the middleware's own failure
        app.log.exception("Internal error outside a route")
        return internal_error()


app.register_blueprint(gateway.blueprint)       # the authorizer of the guarded routes
app.register_blueprint(registry_api)
app.register_blueprint(index_api)
app.register_blueprint(oauth_api)
app.register_blueprint(accounts_api)
app.register_blueprint(v2_api)                  # read-only Registry v2 (spec v2-pull)
