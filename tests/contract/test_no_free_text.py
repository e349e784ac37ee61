"""No free text in public events: every string an event carries is from a closed list, of a
fixed format or shape, or an identifier named (with its reason) in `ALLOWED` below.

Free text is where personal data leaks: an operator who types a phone number into a reason
publishes it to every agency that subscribes. The check walks the JSON Schema of every event
type of the catalogue, through nested models (`$ref`), unions, lists and map keys.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from shared.events.base import Event
from shared.events.catalog import EVENT_MODELS
from shared.events.training import RegionResult
from shared.events.vocabulary import RegencyCode

#: the formats whose values cannot hold a sentence
SAFE_FORMATS = frozenset({"uuid", "date", "date-time"})

#: `<event-type>.<path>` of strings that are neither a closed list nor a pattern, and why
ALLOWED: dict[str, str] = {
    # identifiers training generates (never typed by a person); their shapes vary by series
    "certificate-issued.certificate_number": "series/serial made by training, e.g. BIMTEK-DASAR/32.76/2022/000001",
    "certificate-issued.verification_code": "random code from training's unambiguous alphabet",
    # Nothing an operator types: a session's title, organiser and venue names stay in
    # training (GET /internal/sessions/{id}, sessions:read), the events carry codes.
}

# A pattern restricts when it is anchored at both ends and has no wildcard that admits any
# character (a `.` outside brackets, a negated class `[^…]`, `\S`, `\W`, `\D`, `\w`).
_WILDCARD_ESCAPES = frozenset("SWDw")


def _restrictive(pattern: str) -> bool:
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return False
    in_class, escaped = False, False
    for i, ch in enumerate(pattern):
        if escaped:
            if ch in _WILDCARD_ESCAPES:
                return False
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            if pattern[i + 1 : i + 2] == "^":
                return False
            in_class = True
        elif ch == ".":
            return False
    return True


def free_text_fields(schema: dict[str, Any], prefix: str = "") -> list[str]:
    """Paths of the string values in `schema` that may hold free text (allow-list not applied).

    A list's items are `path[]`, a map's values `path{}` and its keys `path{key}`.
    """
    return sorted(set(_walk(schema, schema.get("$defs", {}), prefix)))


def _walk(node: dict[str, Any], defs: dict[str, Any], path: str) -> list[str]:
    if "$ref" in node:
        return _walk(defs[node["$ref"].rsplit("/", 1)[-1]], defs, path)
    if "enum" in node or "const" in node:
        return []
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in node.get(key, []):
            found += _walk(branch, defs, path)
    if any(k in node for k in ("anyOf", "oneOf", "allOf")):
        return found
    kinds = node.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds}
    if None in kinds:  # no type at all: anything, a sentence included
        return [path]
    if "string" in kinds and not _string_is_closed(node):
        found.append(path)
    if "array" in kinds:
        found += _walk(node.get("items", {}), defs, f"{path}[]")
    if "object" in kinds:
        found += _walk_object(node, defs, path)
    return found


def _string_is_closed(node: dict[str, Any]) -> bool:
    return node.get("format") in SAFE_FORMATS or _restrictive(node.get("pattern", ""))


def _walk_object(node: dict[str, Any], defs: dict[str, Any], path: str) -> list[str]:
    dot = f"{path}." if path else ""
    found: list[str] = []
    for name, sub in node.get("properties", {}).items():
        found += _walk(sub, defs, f"{dot}{name}")
    for pattern, sub in node.get("patternProperties", {}).items():
        if not _restrictive(pattern):
            found.append(f"{path}{{key}}")
        found += _walk(sub, defs, f"{path}{{}}")
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):  # a map: its keys are strings too
        keys = node.get("propertyNames", {})
        if not ("enum" in keys or _restrictive(keys.get("pattern", ""))):
            found.append(f"{path}{{key}}")
        found += _walk(extra, defs, f"{path}{{}}")
    return found


def _offenders(model: type[Event]) -> list[str]:
    return [
        path
        for path in free_text_fields(model.model_json_schema())
        if f"{model.event_type}.{path}" not in ALLOWED
    ]


@pytest.mark.parametrize("model", EVENT_MODELS, ids=lambda m: m.event_type)
def test_no_public_event_carries_a_free_text_field(model):
    assert _offenders(model) == [], (
        f"{model.event_type} carries free text: use a closed list (shared/events/vocabulary.py), "
        "a format or a pattern; keep what people type in the owning service"
    )


def test_every_allowed_field_exists_in_the_catalogue():
    existing = {
        f"{m.event_type}.{path}"
        for m in EVENT_MODELS
        for path in free_text_fields(m.model_json_schema())
    }
    assert set(ALLOWED) <= existing, "remove allow-list entries the events no longer have"


# --- the checker itself: it must catch what it is there for ---------------------------------


class _OldSessionCancelled(Event):
    """`session-cancelled` as it was: the organiser's reason as typed."""

    event_type: ClassVar[str] = "session-cancelled"
    topic: ClassVar[str] = "training.sessions"
    key_field: ClassVar[str] = "session_id"

    session_id: uuid.UUID
    reason: str
    cancelled_at: datetime


class _Note(BaseModel):
    text: str
    region: RegionResult


class _Nested(Event):
    """Free text hidden in a nested model, a list, an optional, a map's keys and values."""

    event_type: ClassVar[str] = "nested"
    topic: ClassVar[str] = "t"
    key_field: ClassVar[str] = "id"

    id: uuid.UUID
    notes: list[_Note]
    tags: list[str]
    maybe: str | None = None
    by_name: dict[str, int]
    labels: dict[RegencyCode, str]
    anything: Any = None


def test_the_checker_reports_the_old_free_text_reason():
    assert free_text_fields(_OldSessionCancelled.model_json_schema()) == ["reason"]


def test_the_checker_walks_nested_models_lists_unions_and_maps():
    assert free_text_fields(_Nested.model_json_schema()) == [
        "anything",
        "by_name{key}",
        "labels{}",
        "maybe",
        "notes[].text",
        "tags[]",
    ]


@pytest.mark.parametrize(
    ("pattern", "restrictive"),
    [
        (r"^[0-9]{2}\.[0-9]{2}$", True),
        (r"^[a-z][a-z_]{0,59}$", True),
        (r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,59}$", True),
        (r"^(national|[0-9]{2}(\.[0-9]{2})?)$", True),
        (r"^.{1,200}$", False),
        (r"^\S+$", False),
        (r"^\w+$", False),
        (r"^[a-z]+\D$", False),
        (r"^[^@]+$", False),
        (r"[0-9]{2}", False),
        ("", False),
    ],
)
def test_only_anchored_patterns_without_wildcards_count_as_closed(pattern, restrictive):
    assert _restrictive(pattern) is restrictive
