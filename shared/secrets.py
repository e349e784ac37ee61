"""What makes a secret unfit for production, and where secret files are read from.

`weakness(value)` answers with the reason a value must not protect production data (or
None): not set, shorter than 32 characters, a value written somewhere in this repository
(development defaults, documentation examples), or a low-entropy value a person typed
("a" * 32, a repeated pattern, a keyboard run). The reason never contains the value, so it
can go into an error message and a log line.
"""

from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path

#: The development key every service falls back to outside production (public: it is in
#: this repository). Registry's NIK keys default to it; production refuses it.
DEVELOPMENT_KEY = "dev-only-signing-key-change-me-in-production"

MIN_LENGTH = 32
MIN_DISTINCT = 12
#: A run of this many characters counting up or down ("abcdefgh", "98765432") is typed.
MAX_RUN = 8
#: A value repeating a block of at most this many characters is typed, not generated.
MAX_PERIOD = 16

#: Every default, development and documentation value in this repository that could end
#: up in a secret setting (compared case-insensitively). A test keeps it in step with
#: docker-compose.yml and the documentation.
KNOWN_VALUES = frozenset(
    value.lower()
    for value in (
        DEVELOPMENT_KEY,
        "dev-only-change-me",
        "change-me",
        "changeme",
        "change-me-in-production",
        "registry-dev",
        "training-dev",
        "notifications-dev",
        "secret",
        "password",
        "admin",
        "psm",
    )
)
#: Parts of a value that mark it as a placeholder whatever surrounds them.
KNOWN_MARKERS = ("change-me", "changeme", "dev-only", "placeholder", "example", "replace-me")

#: Where secret files are mounted (compose `secrets:`, Kubernetes secret volumes).
DEFAULT_SECRETS_DIR = Path("/run/secrets")


def weakness(value: str | None) -> str | None:
    """Why `value` is unfit to be a production secret, or None when it is fit.

    The answer is a phrase to follow the setting's name ("is not set", "is shorter than 32
    characters", …) and never quotes the value.
    """
    if not value:
        return "is not set"
    if value.lower() in KNOWN_VALUES or any(m in value.lower() for m in KNOWN_MARKERS):
        return "is a known development or example value"
    if len(value) < MIN_LENGTH:
        return f"is shorter than {MIN_LENGTH} characters"
    if len(set(value)) < MIN_DISTINCT:
        return f"has fewer than {MIN_DISTINCT} distinct characters (low entropy)"
    if _period(value) <= MAX_PERIOD:
        return "repeats a short pattern (low entropy)"
    if _longest_run(value) >= MAX_RUN:
        return f"contains a run of {MAX_RUN} or more consecutive characters (low entropy)"
    return None


def _period(value: str) -> int:
    """The length of the shortest block whose repetition (possibly cut) makes `value`."""
    for p in range(1, len(value)):
        if all(value[i] == value[i - p] for i in range(p, len(value))):
            return p
    return len(value)


def _longest_run(value: str) -> int:
    """The longest stretch of characters counting up, or down, by one code point."""
    longest = 1
    for step in (1, -1):
        run = 1
        for a, b in pairwise(value):
            run = run + 1 if ord(b) - ord(a) == step else 1
            longest = max(longest, run)
    return longest


def secrets_dir() -> Path | None:
    """The directory pydantic-settings reads secret files from: `PSM_SECRETS_DIR` when
    set, else /run/secrets when it exists (compose and Kubernetes mount secrets there),
    else None (development: environment variables only).

    A file there named like the variable (`registry_nik_encryption_key`, any case) gives
    that setting its value; an environment variable of the same name wins over it.
    """
    configured = os.environ.get("PSM_SECRETS_DIR")
    if configured:
        return Path(configured)
    return DEFAULT_SECRETS_DIR if DEFAULT_SECRETS_DIR.is_dir() else None
