"""Helpers of the operations tests: YAML loading, missing tools, the settings classes."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from tools.services import PROCESS_NAMES

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(message: str) -> None:
    """A missing tool skips the test on a developer's machine and fails it in CI."""
    if IN_CI:
        pytest.fail(message + " — required when CI=true")
    pytest.skip(message)


def load_yaml_documents(path: Path) -> list[Any]:
    """Every document of a YAML file (PyYAML is a runtime dependency)."""
    with path.open() as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def load_yaml(path: Path) -> Any:
    docs = load_yaml_documents(path)
    assert len(docs) == 1, f"{path} should hold one YAML document, has {len(docs)}"
    return docs[0]


def settings_class(service: str) -> Any:
    return importlib.import_module(f"services.{service}.config").Settings


def env_names(service: str) -> set[str]:
    """Environment variables the service's settings class reads (prefix + field name)."""
    cls = settings_class(service)
    prefix = str(cls.model_config.get("env_prefix", ""))
    return {(prefix + name).upper() for name in cls.model_fields}


def env_prefixes() -> dict[str, str]:
    return {
        str(settings_class(s).model_config.get("env_prefix", "")).upper(): s for s in PROCESS_NAMES
    }
