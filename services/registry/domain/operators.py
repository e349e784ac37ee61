"""Operator accounts: which scope fits which role, who may manage whom, password rules, and
what each platform service may ask registry for.

Pure rules: no database, no clock, no hashing. Which scope fits which role is the one rule
of `shared.identity.check_role_scope` (the use-cases apply it; the token verifier applies it
too), not repeated here.
"""

from __future__ import annotations

from services.registry.domain.enums import OperatorRole
from services.registry.domain.errors import WeakPassword
from shared.i18n import t

#: The shortest password accepted (NIST SP 800-63B asks for at least 8; operators read
#: personal data of a whole region, so more).
MIN_PASSWORD_LENGTH = 12
#: Longer passwords are refused: Argon2 hashes any length, but a megabyte "password" is a
#: way to burn the server's CPU.
MAX_PASSWORD_LENGTH = 256

#: Passwords that appear at the top of every breach list (and their Indonesian favourites),
#: compared case-insensitively. Small on purpose: the length rule does most of the work.
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "123456123456",
        "qwertyuiop12",
        "qwertyuiopasdf",
        "password1234",
        "password12345",
        "password123456",
        "passwordpassword",
        "p@ssw0rd1234",
        "iloveyou1234",
        "admin1234567",
        "administrator",
        "administrator1",
        "letmein12345",
        "welcome12345",
        "changeme1234",
        "abcdefghijkl",
        "aaaaaaaaaaaa",
        "111111111111",
        "000000000000",
        "bismillah123",
        "bismillah1234",
        "indonesia123",
        "indonesia1234",
        "indonesia2024",
        "indonesia2025",
        "indonesia2026",
        "jakarta12345",
        "sayang123456",
        "kemensos1234",
        "kemensos2025",
        "kemensos2026",
        "dinsos123456",
        "dinassosial1",
        "merdeka12345",
        "garuda123456",
        "rahasia12345",
    }
)

#: What each platform service may ask registry for (client credentials at POST /auth/token):
#: the values of `shared.identity.Permission`.
SERVICE_GRANTS: dict[str, frozenset[str]] = {
    "notifications": frozenset({"contacts:read", "revocations:read", "sessions:read"}),
    "training": frozenset({"revocations:read"}),
}


def _regency_of_province(scope: str, province: str) -> bool:
    return scope.count(".") == 1 and scope.startswith(province + ".")


def may_manage(actor_role: str, actor_scope: str, role: OperatorRole, scope: str) -> bool:
    """Whether an operator with `actor_role`/`actor_scope` may manage an account that has (or
    is to get) `role` and `scope`: a national admin any account; a province operator the
    regency operators and viewers of the regencies of their province; nobody else."""
    if actor_role == OperatorRole.NATIONAL_ADMIN:
        return True
    if actor_role == OperatorRole.PROVINCE_OPERATOR:
        return role in (
            OperatorRole.REGENCY_OPERATOR,
            OperatorRole.VIEWER,
        ) and _regency_of_province(scope, actor_scope)
    return False


def check_new_password(password: str, *, email: str) -> None:
    """A new password is 12–256 characters, not a common one, and does not contain the
    local part of the account's email; `WeakPassword` (422, never echoing it) otherwise."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            t(
                "minimal {n} karakter",
                "must have at least {n} characters",
                n=MIN_PASSWORD_LENGTH,
            )
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            t(
                "maksimal {n} karakter",
                "must have at most {n} characters",
                n=MAX_PASSWORD_LENGTH,
            )
        )
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        raise WeakPassword(
            t(
                "termasuk kata sandi yang paling umum dipakai",
                "is one of the most common passwords",
            )
        )
    local = email.split("@", 1)[0].lower()
    if len(local) >= 3 and local in lowered:
        raise WeakPassword(
            t(
                "tidak boleh memuat bagian nama dari alamat email",
                "must not contain the email address's name part",
            )
        )
    if len(set(password)) < 4:
        raise WeakPassword(
            t(
                "terlalu sedikit karakter yang berbeda",
                "repeats too few distinct characters",
            )
        )
