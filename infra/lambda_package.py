"""chalice's command line, with Python bytecode compiled into the Lambda package it builds.

    python infra/lambda_package.py deploy --stage dev
    python infra/lambda_package.py package --stage dev --merge-template infra/api.yaml out/

Lambda unzips the package into a read-only /var/task, so without .pyc files in the zip every
module is compiled again at each cold start. chalice has no hook for this, so this script wraps
the packager both commands use (it builds the zip, or reuses it from .chalice/deployments/) and
adds `__pycache__/<module>.cpython-3XY.pyc` next to every .py of the zip. This interpreter
compiles them, and chalice takes the Lambda runtime from this interpreter's version, so their
magic number is the runtime's. They are hash-based (PEP 552): the zip keeps file times as local
time at 2 s resolution, so timestamp-checked .pyc files could be taken as stale on Lambda.
"""
import os
import py_compile
import shutil
import stat
import sys
import tempfile
import zipfile

from chalice.cli import main
from chalice.deploy.packager import LambdaDeploymentPackager

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
PYC_MODE = py_compile.PycInvalidationMode.CHECKED_HASH


def compile_into(zip_path: str) -> None:
    """Rewrite the zip with a .pyc for each .py (the .pyc files it held are dropped)."""
    # In the zip's folder (os.replace cannot cross file systems), under a name of its own.
    handle, rewritten = tempfile.mkstemp(suffix=".zip", dir=os.path.dirname(zip_path))
    os.close(handle)
    with zipfile.ZipFile(zip_path) as source, tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                if "__pycache__/" in info.filename or info.filename.endswith(".pyc"):
                    continue
                data = source.read(info)
                target.writestr(info, data)
                if info.filename.endswith(".py"):
                    target.writestr(pyc_entry(info), compile_source(data, info.filename, tmp))
    shutil.copymode(zip_path, rewritten)        # mkstemp made it private
    os.replace(rewritten, zip_path)


def compile_source(data: bytes, name: str, tmp: str) -> bytes:
    source, compiled = os.path.join(tmp, "module.py"), os.path.join(tmp, "module.pyc")
    with open(source, "wb") as file:
        file.write(data)
    # dfile: the path recorded in the .pyc is where Lambda unzips the module, not this copy.
    py_compile.compile(source, compiled, dfile=f"/var/task/{name}", doraise=True,
                       invalidation_mode=PYC_MODE)
    with open(compiled, "rb") as file:
        return file.read()


def pyc_entry(py: zipfile.ZipInfo) -> zipfile.ZipInfo:
    folder, _, module = py.filename.rpartition("/")
    name = f"{module[:-3]}.{sys.implementation.cache_tag}.pyc"
    info = zipfile.ZipInfo(f"{folder}/__pycache__/{name}" if folder else f"__pycache__/{name}",
                           date_time=py.date_time)
    info.external_attr = (stat.S_IFREG | 0o644) << 16     # readable by Lambda's user
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def with_bytecode(build):
    """chalice's create_deployment_package, then compile_into the zip it returns."""
    def create_deployment_package(self, project_dir: str, python_version: str) -> str:
        if python_version != RUNTIME:
            sys.exit(f"chalice targets {python_version} but this is {RUNTIME}: its .pyc files "
                     f"would not load there; run this with a {python_version} interpreter")
        zip_path = build(self, project_dir, python_version)
        compile_into(zip_path)
        return zip_path
    return create_deployment_package


if __name__ == "__main__":
    LambdaDeploymentPackager.create_deployment_package = with_bytecode(
        LambdaDeploymentPackager.create_deployment_package)
    sys.exit(main())
