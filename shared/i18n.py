"""Operators are answered in Bahasa Indonesia; English when the client asks for it.

A text shown to a caller (a problem's title and detail, a refused field's message, an import
row's reason, a report's column header) is written once, at the place that decides it, in
both languages:

    raise QuotaFull(t("Kuota {key} sudah penuh", "Quota {key} is full", key=key))

`Text` carries both; `str(text)` is the Indonesian (the platform's first language, and what
logs carry), `text.get("en")` the English. `language_of(request)` reads `Accept-Language`:
Indonesian unless the client prefers English over Indonesian (`en`, `en-US;q=0.9,id;q=0.5`).
A plain `str` passes through `localize` unchanged, so code not yet translated still answers.

Why no gettext catalogue: the texts are few, every one has exactly two languages, and a
catalogue keyed by the English would break silently whenever the English is edited; writing
both side by side keeps them in the same diff and lets mypy find a missing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Language = Literal["id", "en"]
DEFAULT: Language = "id"
SUPPORTED: tuple[Language, ...] = ("id", "en")


@dataclass(frozen=True, slots=True)
class Text:
    """One message in Indonesian and English (already formatted)."""

    id: str
    en: str

    def get(self, language: str) -> str:
        """The message in `language` (Indonesian for anything but "en")."""
        return self.en if language == "en" else self.id

    def __str__(self) -> str:
        return self.id


def t(id: str, en: str, /, **params: Any) -> Text:
    """A message in both languages, each template formatted with the same `params`."""
    if params:
        return Text(id.format(**params), en.format(**params))
    return Text(id, en)


def localize(value: Any, language: str) -> Any:
    """`value` in `language` when it is a `Text` (also inside lists and dicts), else as is."""
    if isinstance(value, Text):
        return value.get(language)
    if isinstance(value, list | tuple):
        return [localize(v, language) for v in value]
    if isinstance(value, Mapping):
        return {k: localize(v, language) for k, v in value.items()}
    return value


def negotiate(accept_language: str | None) -> Language:
    """The language to answer in for an `Accept-Language` header (RFC 9110 §12.5.4).

    Indonesian unless English has a higher weight than Indonesian (a header that names
    neither, or that cannot be read, gets Indonesian).
    """
    if not accept_language:
        return DEFAULT
    weights: dict[str, float] = {}
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in SUPPORTED and primary != "*":
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[primary] = max(q, weights.get(primary, 0.0))
    english = weights.get("en", 0.0)
    indonesian = weights.get("id", weights.get("*", 0.0))  # `*`: any language not named
    return "en" if english > 0 and english > indonesian else DEFAULT


def language_of(headers: Mapping[str, str]) -> Language:
    """The answer language of a request's headers."""
    return negotiate(headers.get("accept-language"))
