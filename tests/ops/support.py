"""Helpers of the operations tests: YAML loading, external tools, the settings classes."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tools.services import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"

_LOAD_ALL = (
    "import json, sys, yaml; "
    "json.dump([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None], sys.stdout)"
)


def skip_or_fail(message: str) -> None:
    """A missing tool skips the test on a developer's machine and fails it in CI."""
    if IN_CI:
        pytest.fail(message + " — required when CI=true")
    pytest.skip(message)


def load_yaml_documents(path: Path) -> list[Any]:
    """Every document of a YAML file.

    PyYAML is not in requirements.lock; until it is, the documents are parsed by the first
    interpreter on this machine that has it (the system Python usually does).
    """
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        return _load_with_other_python(path)
    with path.open() as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def load_yaml(path: Path) -> Any:
    docs = load_yaml_documents(path)
    assert len(docs) == 1, f"{path} should hold one YAML document, has {len(docs)}"
    return docs[0]


def _load_with_other_python(path: Path) -> list[Any]:
    for candidate in ("python3", "/usr/bin/python3", "python"):
        exe = shutil.which(candidate)
        if not exe:
            continue
        probe = subprocess.run([exe, "-c", "import yaml"], capture_output=True, check=False)
        if probe.returncode == 0:
            out = subprocess.run(
                [exe, "-c", _LOAD_ALL, str(path)], capture_output=True, text=True, check=False
            )
            assert out.returncode == 0, f"{path} is not valid YAML:\n{out.stderr}"
            return list(json.loads(out.stdout))
    skip_or_fail("PyYAML is not importable here (add PyYAML to requirements.lock)")
    raise AssertionError("unreachable")


def settings_class(service: str) -> Any:
    return importlib.import_module(f"services.{service}.config").Settings


def env_names(service: str) -> set[str]:
    """Environment variables the service's settings class reads (prefix + field name)."""
    cls = settings_class(service)
    prefix = str(cls.model_config.get("env_prefix", ""))
    return {(prefix + name).upper() for name in cls.model_fields}


def env_prefixes() -> dict[str, str]:
    return {
        str(settings_class(s).model_config.get("env_prefix", "")).upper(): s for s in SERVICE_NAMES
    }
