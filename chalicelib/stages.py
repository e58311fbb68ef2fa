"""A stage's settings for the commands run outside Lambda (`index/admin.py`,
`images_v2/backfill.py`): its environment variables from .chalice/config.json, and for
`local` the running local stack's moto (`make run`, through <data-dir>/moto-endpoint)."""
import json
import os

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA_DIR = os.path.join(PROJECT_DIR, ".data")


def stage_environment(stage: str) -> dict:
    """The stage's environment variables from .chalice/config.json (stage wins)."""
    with open(os.path.join(PROJECT_DIR, ".chalice", "config.json")) as file:
        chalice_config = json.load(file)
    if stage not in chalice_config.get("stages", {}):
        raise SystemExit(f"unknown stage {stage!r}")
    return {**chalice_config.get("environment_variables", {}),
            **chalice_config["stages"][stage].get("environment_variables", {})}


def use(stage: str, data_dir: str) -> None:
    """Set this process's environment to the stage's; other stages than `local` use the
    caller's AWS credentials."""
    os.environ.update(stage_environment(stage))
    if stage == "local":
        try:
            with open(os.path.join(data_dir, "moto-endpoint")) as file:
                os.environ["REGISTRY_AWS_ENDPOINT"] = file.read().strip()
        except FileNotFoundError:
            raise SystemExit(f"no local stack data in {data_dir}: start `make run` first")
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
