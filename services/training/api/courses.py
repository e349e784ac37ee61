"""Courses (curricula and their policy); national admins edit them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.training.service import courses
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session

router = APIRouter(prefix="/courses", tags=["courses"])
LevelName = Literal["dasar", "lanjutan", "khusus"]
OrganiserLevel = Literal["national", "province", "regency"]


class CourseRules(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    topic: str | None = None
    hours: int = Field(gt=0, le=500)
    modules: list[str] = []
    min_attendance_pct: int = Field(ge=0, le=100)
    pass_mark: int = Field(ge=0, le=100)
    validity_months: int | None = Field(default=None, gt=0)
    prerequisite_level: LevelName | None = None
    organiser_levels: list[OrganiserLevel]
    allowed_statuses: list[str]
    active: bool = True


class CourseCreate(CourseRules):
    code: str = Field(pattern=r"^[A-Z0-9-]{3,50}$")
    level: LevelName


class CourseUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    topic: str | None = None
    hours: int | None = Field(default=None, gt=0, le=500)
    modules: list[str] | None = None
    min_attendance_pct: int | None = Field(default=None, ge=0, le=100)
    pass_mark: int | None = Field(default=None, ge=0, le=100)
    validity_months: int | None = Field(default=None, gt=0)
    prerequisite_level: LevelName | None = None
    organiser_levels: list[OrganiserLevel] | None = None
    allowed_statuses: list[str] | None = None
    active: bool | None = None


class CoursePublic(CourseCreate):
    updated_at: datetime


@router.get("", response_model=list[CoursePublic], summary="All courses")
async def list_all(principal: CurrentPrincipal, session: ReadSession) -> list[CoursePublic]:
    return [
        CoursePublic.model_validate(c, from_attributes=True)
        for c in await courses.list_courses(session)
    ]


@router.get("/{code}", response_model=CoursePublic, summary="One course and its rules")
async def get_one(code: str, principal: CurrentPrincipal, session: ReadSession) -> CoursePublic:
    return CoursePublic.model_validate(
        await courses.get_course(session, code), from_attributes=True
    )


@router.post(
    "", status_code=201, response_model=CoursePublic, summary="Add a course (national admin)"
)
async def create(body: CourseCreate, principal: Writer, session: Session) -> CoursePublic:
    async with session.begin():
        course = await courses.create_course(session, principal, body.model_dump())
    return CoursePublic.model_validate(course, from_attributes=True)


@router.patch(
    "/{code}", response_model=CoursePublic, summary="Change a course's rules (national admin)"
)
async def update(
    code: str, body: CourseUpdate, principal: Writer, session: Session
) -> CoursePublic:
    async with session.begin():
        course = await courses.update_course(
            session, principal, code, body.model_dump(exclude_unset=True)
        )
    return CoursePublic.model_validate(course, from_attributes=True)
