"""A stage's environment for command-line tools that write to its tables (`make
oauth-client`, `index/admin.py`, `images_v2/backfill.py`): the stage's variables from
.chalice/config.json and, for `local`, the running local stack's moto endpoint
(<data-dir>/moto-endpoint, written by `make run`)."""
import json
import os

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA_DIR = os.path.join(PROJECT_DIR, ".data")


def configure(stage: str, data_dir: str = DEFAULT_DATA_DIR) -> None:
    """Set os.environ as the stage's Lambda sees it; SystemExit with a reason otherwise."""
    with open(os.path.join(PROJECT_DIR, ".chalice", "config.json")) as file:
        chalice_config = json.load(file)
    if stage not in chalice_config.get("stages", {}):
        raise SystemExit(f"unknown stage {stage!r}")
    os.environ.update({**chalice_config.get("environment_variables", {}),
                       **chalice_config["stages"][stage].get("environment_variables", {})})
    if stage != "local":
        return
    try:
        with open(os.path.join(data_dir, "moto-endpoint")) as file:
            os.environ["REGISTRY_AWS_ENDPOINT"] = file.read().strip()
    except FileNotFoundError:
        raise SystemExit(f"no local stack data in {data_dir}: start `make run` first")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
