"""`make run` / `make test` name exactly what is missing to run Apache Kafka."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tools.kafka_jars import MissingPrerequisiteError, check_prerequisites, java_version


def fake_java(bin_dir: Path, version_line: str) -> None:
    java = bin_dir / "java"
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def bare_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH with nothing on it but what the test puts there."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def test_no_java_and_no_maven_are_both_named(bare_path: Path) -> None:
    with pytest.raises(MissingPrerequisiteError) as error:
        check_prerequisites(need_maven=True)
    assert "`java` (JDK 17 or newer) is not on PATH" in str(error.value)
    assert "`mvn` (Apache Maven) is not on PATH" in str(error.value)


def test_a_java_older_than_17_is_refused_with_its_version(bare_path: Path) -> None:
    fake_java(bare_path, 'openjdk version "11.0.22" 2024-01-16')
    with pytest.raises(MissingPrerequisiteError, match="`java` is version 11"):
        check_prerequisites(need_maven=False)


def test_java_8_style_version_strings_are_read_as_8(bare_path: Path) -> None:
    fake_java(bare_path, 'java version "1.8.0_402"')
    assert java_version() == 8


def test_with_java_17_only_maven_is_named_and_only_until_the_jars_are_cached(
    bare_path: Path,
) -> None:
    fake_java(bare_path, 'openjdk version "17.0.15" 2025-04-15')
    with pytest.raises(MissingPrerequisiteError) as error:
        check_prerequisites(need_maven=True)
    assert "mvn" in str(error.value) and "java" not in str(error.value).split(":", 1)[1]
    check_prerequisites(need_maven=False)  # cached jars: java alone is enough
