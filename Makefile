# `make run` serves the registry locally; `make test` runs every test.
# Both create .venv and install the pinned requirements on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
DATA   ?= .data

.PHONY: run test admin oauth-client deploy package clean

$(STAMP): requirements.txt requirements-vendor.txt requirements-dev.txt requirements-cli.txt \
          constraints.txt cli/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-cli.txt -c constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e ./cli
	touch $(STAMP)

run: $(STAMP)
	$(PY) infra/local_stack.py --host $(HOST) --port $(PORT) --data-dir $(DATA) \
		$(if $(PUBLIC_HOST),--public-host $(PUBLIC_HOST)) $(if $(S3_PORT),--s3-port $(S3_PORT))

test: $(STAMP)
	$(PY) -m pytest -q tests

# make admin USERNAME=alice [STAGE=prod]: create/promote an admin (prompts for the password)
admin: $(STAMP)
	$(PY) -m chalicelib.index.admin $(USERNAME) --stage $(or $(STAGE),local) --data-dir $(DATA)

# make oauth-client NAME="My app" REDIRECT_URI="https://my.app/cb [...]" [PUBLIC=1] [STAGE=prod]:
# register an OAuth application; prints client_id=... and client_secret=... (shown only now)
oauth-client: $(STAMP)
	$(PY) -m chalicelib.oauth.register '$(NAME)' $(foreach uri,$(REDIRECT_URI),'$(uri)') \
		$(if $(PUBLIC),--public) --stage $(or $(STAGE),local) --data-dir $(DATA)

# requirements-vendor.txt without its dependencies (botocore is the Lambda runtime's), for
# chalice to copy into the Lambda package.
vendor: $(STAMP) requirements-vendor.txt
	rm -rf vendor vendor.tmp
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-compile \
	    --target vendor.tmp -r requirements-vendor.txt -c constraints.txt
	mv vendor.tmp vendor

# chalice, with the Lambda package's modules compiled to .pyc (infra/lambda_package.py).
CHALICE := $(PY) infra/lambda_package.py

# make deploy STAGE=dev: the app to AWS (after the data stack, see README), then the
# Gateway Responses that `chalice deploy` overwrites each time (infra/api.yaml).
deploy: $(STAMP) vendor
	$(CHALICE) deploy --stage $(or $(STAGE),dev)
	$(PY) infra/gateway_responses.py "$$($(VENV)/bin/chalice url --stage $(or $(STAGE),dev))"

# make package [STAGE=dev] [OUT=out]: sam.yaml and deployment.zip for your own pipeline (README).
package: $(STAMP) vendor
	$(CHALICE) package --stage $(or $(STAGE),dev) --merge-template infra/api.yaml $(or $(OUT),out)

clean:
	rm -rf $(VENV) .pytest_cache vendor
