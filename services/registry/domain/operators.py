"""Operator accounts: which region scope fits which role."""

from __future__ import annotations

from services.registry.domain.enums import OperatorRole
from services.registry.domain.errors import InvalidOperator
from shared.regions import is_region_code

_SCOPE_LEVEL = {
    OperatorRole.NATIONAL_ADMIN: "national",
    OperatorRole.PROVINCE_OPERATOR: "province",
    OperatorRole.REGENCY_OPERATOR: "regency",
}


def check_role_scope(role: OperatorRole, scope: str) -> None:
    """National admins are national; province operators a province; regency operators a regency."""
    if scope != "national" and not is_region_code(scope):
        raise InvalidOperator("scope must be 'national' or a region code like 32 or 32.76")
    expected = _SCOPE_LEVEL.get(role)
    level = "national" if scope == "national" else ("province" if "." not in scope else "regency")
    if expected and expected != level:
        raise InvalidOperator(f"a {role} needs a {expected} scope")
