"""The Apache Kafka jars: the JDK and Maven checked, the pinned POM resolved into a cache.

The jars are resolved once from `tools/kafka/pom.xml` into a cache outside the repository
(`PSM_KAFKA_CACHE`, default `~/.cache/psm-platform/kafka`) and reused when present.

    python -m tools.kafka_jars check   # java >= 17 and mvn present? (exit 1 naming what is missing)
    python -m tools.kafka_jars fetch   # the check, then resolve the jars into the cache
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent / "kafka"
POM = HERE / "pom.xml"
LOG4J = HERE / "log4j.properties"
KAFKA_VERSION = re.search(
    r"<artifactId>kafka_2\.13</artifactId>\s*<version>([^<]+)</version>", POM.read_text()
).group(1)  # type: ignore[union-attr]
MIN_JAVA = 17


class MissingPrerequisiteError(RuntimeError):
    """The JDK or Maven is missing or too old; the message says exactly what to install."""


def cache_dir() -> Path:
    """Where the resolved jars of this POM are cached."""
    base = os.environ.get("PSM_KAFKA_CACHE") or str(Path.home() / ".cache/psm-platform/kafka")
    digest = hashlib.sha1(POM.read_bytes(), usedforsecurity=False).hexdigest()[:10]
    return Path(base) / f"{KAFKA_VERSION}-{digest}"


def java_version(java: str = "java") -> int | None:
    """The major version `java -version` reports, or None when there is no java."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def check_prerequisites(*, need_maven: bool) -> None:
    """Raise naming what is missing: java >= 17, and mvn when jars must be fetched."""
    problems = []
    version = java_version()
    if version is None:
        problems.append(
            f"`java` (JDK {MIN_JAVA} or newer) is not on PATH — install it, e.g. "
            f"`apt-get install openjdk-{MIN_JAVA}-jdk-headless`"
        )
    elif version < MIN_JAVA:
        problems.append(f"`java` is version {version}; Apache Kafka here needs {MIN_JAVA} or newer")
    if need_maven and shutil.which("mvn") is None:
        problems.append(
            "`mvn` (Apache Maven) is not on PATH — it fetches the Kafka jars from Maven Central; "
            "install it, e.g. `apt-get install maven`"
        )
    if problems:
        raise MissingPrerequisiteError("cannot run Apache Kafka: " + "; ".join(problems))


def libs_dir() -> Path:
    """The broker's jars, resolved from Maven Central on first use (then reused)."""
    libs = cache_dir() / "libs"
    if (libs / ".complete").exists():
        check_prerequisites(need_maven=False)
        return libs
    check_prerequisites(need_maven=True)
    libs.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="libs-", dir=libs.parent))
    print(f"fetching Apache Kafka {KAFKA_VERSION} from Maven Central into {libs} …", flush=True)
    result = subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(
            f"mvn could not resolve Apache Kafka {KAFKA_VERSION} from Maven Central:\n"
            + (result.stdout + result.stderr)[-3000:]
        )
    (staging / ".complete").touch()
    with contextlib.suppress(OSError):  # another process finished first: keep theirs
        staging.rename(libs)
    shutil.rmtree(staging, ignore_errors=True)
    return libs


def classpath() -> str:
    """The Java classpath of the cached jars (fetched first if missing)."""
    return str(libs_dir() / "*")


def main(argv: list[str]) -> int:
    """`check` or `fetch`; exit status 0 when the jars are ready."""
    try:
        if argv == ["check"]:
            check_prerequisites(need_maven=not (cache_dir() / "libs" / ".complete").exists())
            return 0
        if argv == ["fetch"]:
            print(f"Apache Kafka {KAFKA_VERSION}: {libs_dir()}")
            return 0
    except MissingPrerequisiteError as exc:
        print(exc, file=sys.stderr)
        return 1
    print("usage: python -m tools.kafka_jars check|fetch", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
