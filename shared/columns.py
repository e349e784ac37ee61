"""Column helpers for closed lists, the same in every service's tables.

A closed list is a `StrEnum` in the service's domain. Its column stores the member's value
as plain VARCHAR (`EnumText`), so the stored strings stay what they always were and a
migration needs no enum type; `one_of` adds the CHECK constraint with which the database
itself refuses a value outside the list. Migrations write their lists out literally and do
not import these helpers: a migration must keep meaning what it meant when it was written,
whatever the enum becomes later.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from sqlalchemy import CheckConstraint, Dialect, String
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


class EnumText(TypeDecorator[Any]):
    """A StrEnum stored as its value in a VARCHAR (the strings stay what they always were)."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[enum.StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Refuse a value outside the list before it reaches the database."""
        return None if value is None else str(self.enum_class(value).value)

    def process_result_value(self, value: Any, dialect: Dialect) -> enum.StrEnum | None:
        """The stored string as its enum member."""
        return None if value is None else self.enum_class(value)


def enum_field(enum_class: type[enum.StrEnum], length: int, **kw: Any) -> Any:
    """A SQLModel field whose column is `EnumText(enum_class, length)`; `kw` go to `Field`."""
    return Field(sa_type=EnumText(enum_class, length), **kw)


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """The database's own guard of a closed list (NULL passes: nullability is separate).

    `values` is usually the enum class itself; a list such as `["", *Channel]` admits
    extra values. The constraint is named after the column, so with the metadata's naming
    convention it becomes `ck_<table>_<column>`, as the migrations that add it name it.
    """
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)
