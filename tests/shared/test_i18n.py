"""shared/i18n.py: Indonesian unless the client prefers English; texts in both languages;
shared/problems.field_message: a refused field's message in both, never its value."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError, field_validator

from shared.i18n import Text, language_of, localize, negotiate, t
from shared.problems import field_message


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("en", "en"),
        ("en-US", "en"),
        ("EN-gb", "en"),
        ("en-US,en;q=0.9", "en"),
        ("en-US;q=0.9,id;q=0.5", "en"),
        ("id;q=0.5,en;q=0.8", "en"),
        ("fr, en;q=0.3", "en"),
        ("en, *;q=0.5", "en"),
    ],
)
def test_a_client_preferring_english_is_answered_in_english(header: str, language: str) -> None:
    assert negotiate(header) == language


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "id",
        "id-ID",
        "id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7",  # Chrome set to Indonesian
        "en;q=0.5,id",
        "en;q=0.5,id;q=0.5",  # a tie goes to Indonesian
        "*",
        "*;q=0.9,en;q=0.5",  # `*` stands for Indonesian here, preferred
        "fr-FR,de;q=0.8",  # neither language
        "en;q=0",  # English refused
        "en;q=abc",  # an unreadable weight counts as none
        ";;;,,,=q",
        "\u00e9\u00e9\u00e9",
        "en;q=0.4;q=x",
    ],
)
def test_anything_else_is_answered_in_indonesian(header: str | None) -> None:
    assert negotiate(header) == "id"


def test_the_language_of_a_request_comes_from_its_accept_language_header() -> None:
    assert language_of({"accept-language": "en-US"}) == "en"
    assert language_of({}) == "id"


def test_a_text_is_indonesian_as_a_string_and_formats_both_templates() -> None:
    text = t("kuota {key} sudah penuh", "quota {key} is full", key="32.76")
    assert str(text) == "kuota 32.76 sudah penuh"
    assert text.get("en") == "quota 32.76 is full"
    assert text.get("fr") == "kuota 32.76 sudah penuh"


def test_localize_answers_texts_inside_lists_and_dicts_and_leaves_the_rest() -> None:
    value = {"errors": [{"field": "nik", "message": Text("wajib diisi", "Field required")}]}
    assert localize(value, "en") == {"errors": [{"field": "nik", "message": "Field required"}]}
    assert localize(value, "id") == {"errors": [{"field": "nik", "message": "wajib diisi"}]}
    assert localize("plain", "en") == "plain"
    assert localize(3, "id") == 3


class Form(BaseModel):
    nik: str
    age: int
    code: str

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not value.isdigit():
            raise ValueError(t("kode harus angka", "the code must be digits"))
        return value


def _errors(**values: Any) -> dict[str, Any]:
    with pytest.raises(ValidationError) as exc:
        Form.model_validate({"nik": "3276011705900001", "age": 30, "code": "1", **values})
    return {".".join(map(str, e["loc"])): e for e in exc.value.errors()}


def test_a_validators_own_text_is_the_fields_message() -> None:
    err = _errors(code="x")["code"]
    assert field_message(err) == Text("kode harus angka", "the code must be digits")


def test_pydantics_refusals_are_translated_with_their_limits() -> None:
    errors = _errors(age="tiga puluh", nik=None)
    age = field_message(errors["age"])
    assert age.id == "harus berupa bilangan bulat"
    assert age.en.startswith("Input should be a valid integer")
    assert field_message(errors["nik"]).id == "harus berupa teks"
    missing = {"type": "missing", "loc": ("body", "nik"), "msg": "Field required"}
    assert field_message(missing) == Text("wajib diisi", "Field required")
    too_long = {
        "type": "string_too_long",
        "loc": ("body", "name"),
        "msg": "String should have at most 200 characters",
        "ctx": {"max_length": 200},
    }
    assert field_message(too_long).id == "terlalu panjang (maksimal 200 karakter)"


def test_a_refusal_whose_context_error_is_a_plain_string_is_still_translated() -> None:
    # pydantic puts the parser's reason as a string in ctx["error"] for a malformed UUID
    err = {
        "type": "uuid_parsing",
        "loc": ("body", "volunteer_ids", 0),
        "msg": "Input should be a valid UUID, invalid character: found `x` at 1",
        "ctx": {"error": "invalid character: found `x` at 1"},
    }
    assert field_message(err).id == "harus berupa UUID"


def test_an_untranslated_message_is_kept_in_both_languages() -> None:
    err = {"type": "value_error", "loc": ("x",), "msg": "Value error, the rule", "ctx": {}}
    assert field_message(err) == Text("the rule", "the rule")
    unknown = {"type": "a_new_pydantic_error", "loc": ("x",), "msg": "Something"}
    assert field_message(unknown) == Text("Something", "Something")
