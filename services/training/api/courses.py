"""Courses (curricula and their policy); national admins edit them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, BeforeValidator, Field, StrictBool

from services.training.api.deps import State
from services.training.domain.enums import Level, OrganiserLevel, VolunteerStatus
from services.training.domain.errors import CourseExists, CourseNotFound, NationalAdminOnly
from services.training.service import courses
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session
from shared.fields import Integer, left_out, number_only
from shared.problems import raises

router = APIRouter(prefix="/courses", tags=["courses"])
CODE_PATTERN = r"^[A-Z0-9-]{3,50}$"
Months = Annotated[int, Field(gt=0, le=1200), BeforeValidator(number_only)]
CourseCode = Path(pattern=CODE_PATTERN, examples=["BIMTEK-DASAR"])


class CourseRules(BaseModel):
    """A course's rules: hours, modules, attendance and pass mark, who may organise and enrol."""

    title: str = Field(min_length=1, max_length=200)
    topic: str | None = Field(default=None, max_length=100)
    hours: Integer = Field(gt=0, le=500)
    modules: list[str] = Field(default=[], max_length=100)
    min_attendance_pct: Integer = Field(ge=0, le=100)
    pass_mark: Integer = Field(ge=0, le=100)
    validity_months: Months | None = None
    prerequisite_level: Level | None = None
    organiser_levels: list[OrganiserLevel]
    allowed_statuses: list[VolunteerStatus]
    active: StrictBool = True


class CourseCreate(CourseRules):
    """A new course: its code, level and rules."""

    code: str = Field(pattern=CODE_PATTERN)
    level: Level


class CourseUpdate(BaseModel):
    """Changes to a course's rules; a field left out stays, `null` only where allowed."""

    # Why no `| None` on most fields: their columns hold a value, so an explicit null is
    # refused (422) instead of being written; leaving a field out keeps it.
    title: str = Field(default_factory=left_out, min_length=1, max_length=200)
    topic: str | None = Field(default=None, max_length=100)
    hours: Integer = Field(default_factory=left_out, gt=0, le=500)
    modules: list[str] = Field(default_factory=left_out, max_length=100)
    min_attendance_pct: Integer = Field(default_factory=left_out, ge=0, le=100)
    pass_mark: Integer = Field(default_factory=left_out, ge=0, le=100)
    validity_months: Months | None = None
    prerequisite_level: Level | None = None
    organiser_levels: list[OrganiserLevel] = Field(default_factory=left_out)
    allowed_statuses: list[VolunteerStatus] = Field(default_factory=left_out)
    active: StrictBool = Field(default_factory=left_out)


class CoursePublic(CourseCreate):
    """A course as stored."""

    updated_at: datetime


@router.get("", response_model=list[CoursePublic], summary="All courses")
async def list_all(principal: CurrentPrincipal, session: ReadSession) -> list[CoursePublic]:
    """Every course with its rules, by level."""
    return [
        CoursePublic.model_validate(c, from_attributes=True)
        for c in await courses.list_courses(session)
    ]


@router.get("/{code}", response_model=CoursePublic, summary="One course and its rules")
@raises(CourseNotFound)
async def get_one(
    principal: CurrentPrincipal, session: ReadSession, code: str = CourseCode
) -> CoursePublic:
    """The course with that code."""
    return CoursePublic.model_validate(
        await courses.get_course(session, code), from_attributes=True
    )


@router.post(
    "",
    status_code=201,
    response_model=CoursePublic,
    summary="Add a course (national admin)",
)
@raises(NationalAdminOnly, CourseExists)
async def create(
    body: CourseCreate, principal: Writer, session: Session, state: State
) -> CoursePublic:
    """Add a course (e.g. a new topical khusus)."""
    async with session.begin():
        course = await courses.create_course(
            session,
            principal=principal,
            data=body.model_dump(mode="json"),
            now=state.clock.now(),
        )
    return CoursePublic.model_validate(course, from_attributes=True)


@router.patch(
    "/{code}",
    response_model=CoursePublic,
    summary="Change a course's rules (national admin)",
)
@raises(NationalAdminOnly, CourseNotFound)
async def update(
    body: CourseUpdate,
    principal: Writer,
    session: Session,
    state: State,
    code: str = CourseCode,
) -> CoursePublic:
    """Change a course's rules (hours, modules, minimum attendance, pass mark, ...)."""
    async with session.begin():
        course = await courses.update_course(
            session,
            principal=principal,
            code=code,
            changes=body.model_dump(mode="json", exclude_unset=True),
            now=state.clock.now(),
        )
    return CoursePublic.model_validate(course, from_attributes=True)
