"""Courses: seeded once, then edited by national admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.training.db.tables import Course
from services.training.domain.errors import CourseExists, CourseNotFound, NationalAdminOnly
from services.training.domain.policy import SEED_COURSES
from shared.i18n import t
from shared.identity import Principal, Role


async def seed_courses(session: AsyncSession, *, now: datetime) -> int:
    """Insert the seeded courses that do not exist yet (never overwrites an admin's edits)."""
    existing = set((await session.execute(select(Course.code))).scalars())
    added = 0
    for spec in SEED_COURSES:
        if spec["code"] not in existing:
            session.add(Course(**spec, updated_at=now))
            added += 1
    return added


async def list_courses(session: AsyncSession) -> list[Course]:
    """Every course, by level then code."""
    rows = await session.execute(select(Course).order_by(col(Course.level), col(Course.code)))
    return list(rows.scalars())


async def get_course(session: AsyncSession, code: str) -> Course:
    """The course with that code, else CourseNotFound."""
    course = await session.get(Course, code)
    if course is None:
        raise CourseNotFound(t("Kursus {code} tidak ditemukan", "no course {code}", code=code))
    return course


def _require_national_admin(principal: Principal) -> None:
    if principal.role != Role.NATIONAL_ADMIN:
        raise NationalAdminOnly(
            t(
                "Hanya admin nasional yang boleh mengubah kursus",
                "only national admins may change courses",
            )
        )


async def create_course(
    session: AsyncSession, *, principal: Principal, data: dict[str, Any], now: datetime
) -> Course:
    """Add a course (e.g. a new topical khusus)."""
    _require_national_admin(principal)
    if await session.get(Course, data["code"]) is not None:
        raise CourseExists(
            t("Kursus {code} sudah ada", "course {code} exists already", code=data["code"])
        )
    course = Course(**data, updated_at=now)
    session.add(course)
    return course


async def update_course(
    session: AsyncSession,
    *,
    principal: Principal,
    code: str,
    changes: dict[str, Any],
    now: datetime,
) -> Course:
    """Change a course's rules (hours, modules, minimum attendance, pass mark, ...)."""
    _require_national_admin(principal)
    course = await get_course(session, code)
    for field, value in changes.items():
        setattr(course, field, value)
    course.updated_at = now
    return course
