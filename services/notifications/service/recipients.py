"""Who a notification goes to and how to reach them: the recipient's name, phone, email,
channel order and opt-outs.

A volunteer's contact details live in registry (shared events carry none); they are read
through its audited internal API, a claimed batch's missing ones in one call, and cached here
until the volunteer's profile changes or they are erased.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlmodel import col, select

from services.notifications.contacts import ContactDetails, ContactGone, ContactUnavailable
from services.notifications.db.tables import Contact, Notification, OptOut, Recipient
from services.notifications.domain import rules
from services.notifications.domain.enums import NotificationStatus, RecipientKind
from services.notifications.service import readmodel
from services.notifications.state import NotificationsState


@dataclass(frozen=True)
class Target:
    """A recipient as a delivery needs them: name, addresses, zone, channel order, opt-outs."""

    name: str
    phone: str | None
    email: str | None
    province_code: str
    order: list[str]
    opt_outs: set[tuple[str, str]]
    #: the volunteer's own quiet hours (start, end), if they set them on their page
    quiet: tuple[int, int] | None = None


async def resolve_target(state: NotificationsState, row: Notification) -> Target:
    """Who the row goes to: an operator from its context, a volunteer from their contact."""
    context = json.loads(row.context or "{}")
    if row.recipient_kind == RecipientKind.OPERATOR:
        return Target(
            name=str(context.get("nama", "Operator")),
            phone=None,
            email=context.get("_email"),
            province_code=str(context.get("_province", "")),
            order=rules.parse_order(None, state.notifications_settings.operator_channel_order),
            opt_outs=set(),
        )
    contact = await contact_of(state, row.recipient_id, notification_id=row.id)
    async with state.read_sessionmaker() as session:
        recipient = await session.get(Recipient, row.recipient_id)
        outs = (
            await session.execute(
                select(OptOut).where(col(OptOut.volunteer_id) == row.recipient_id)
            )
        ).scalars()
        opt_outs: set[tuple[str, str]] = {(o.category, o.channel) for o in outs}
    order = rules.parse_order(
        recipient.channel_order if recipient else None,
        state.notifications_settings.default_channel_order,
    )
    return Target(
        name=contact.full_name,
        phone=contact.phone,
        email=contact.email,
        province_code=contact.province_code,
        order=order,
        opt_outs=opt_outs,
        quiet=own_quiet_hours(recipient),
    )


def own_quiet_hours(recipient: Recipient | None) -> tuple[int, int] | None:
    """The quiet hours a volunteer set on their page, if any."""
    if recipient is None or recipient.quiet_start_hour is None or recipient.quiet_end_hour is None:
        return None
    return recipient.quiet_start_hour, recipient.quiet_end_hour


ContactProblem = ContactGone | ContactUnavailable


async def prefetch_contacts(
    state: NotificationsState, rows: list[Notification]
) -> dict[uuid.UUID, ContactProblem]:
    """Cache in one registry call the contacts this batch lacks; `contact_of` then finds them.

    Returns, by notification id, why a row cannot have its contact: unknown or erased at
    registry, erased here while registry answered, or registry unavailable (for all).
    """
    waiting = [r for r in rows if r.recipient_kind != RecipientKind.OPERATOR]
    missing = await uncached(state, {r.recipient_id for r in waiting})
    if not missing:
        return {}
    waiting = [r for r in waiting if r.recipient_id in missing]
    try:
        batch = await state.contacts.volunteers(sorted(missing))
    except ContactUnavailable as exc:
        return {r.id: ContactUnavailable(str(exc)) for r in waiting}
    sending = await store_contacts(state, batch.found, [r.id for r in waiting])
    problems: dict[uuid.UUID, ContactProblem] = {}
    for r in waiting:
        if r.recipient_id in batch.unknown or r.recipient_id in batch.erased:
            problems[r.id] = ContactGone("unknown or erased at registry")
        elif r.id not in sending:
            problems[r.id] = ContactGone("erased while being delivered")
    return problems


async def uncached(state: NotificationsState, volunteer_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The volunteers of which no contact copy is kept here."""
    if not volunteer_ids:
        return set()
    async with state.read_sessionmaker() as session:
        query = select(col(Contact.volunteer_id)).where(
            col(Contact.volunteer_id).in_(volunteer_ids)
        )
        return volunteer_ids - set((await session.execute(query)).scalars())


async def store_contacts(
    state: NotificationsState,
    found: dict[uuid.UUID, ContactDetails],
    notification_ids: list[uuid.UUID],
) -> set[uuid.UUID]:
    """Cache registry's answers for the volunteers whose rows are still `sending`; returns those rows.

    Why check and write in one transaction with the rows locked: an erasure that ran while
    registry was answering has cancelled the rows; caching then would resurrect erased data.
    Rows and contacts are taken in id order so that two dispatchers never deadlock.
    """
    async with state.sessionmaker() as session, session.begin():
        query = (
            select(col(Notification.id), col(Notification.recipient_id))
            .where(
                col(Notification.id).in_(notification_ids),
                col(Notification.status) == NotificationStatus.SENDING,
            )
            .order_by(col(Notification.id))
            .with_for_update()
        )
        sending = {note: volunteer for note, volunteer in (await session.execute(query)).all()}
        keep = sorted({v for v in sending.values() if v in found})
        if keep:
            await readmodel.upsert_contacts(session, [found[v] for v in keep], state.clock.now())
    return set(sending)


async def contact_of(
    state: NotificationsState, volunteer_id: uuid.UUID, *, notification_id: uuid.UUID
) -> ContactDetails:
    """The local copy if we have one, else registry's audited internal API (then cached).

    Why lock the notification row before caching: an erasure that ran while registry was
    answering has cancelled the row; storing the answer then would resurrect erased data.
    """
    async with state.read_sessionmaker() as session:
        cached = await session.get(Contact, volunteer_id)
    if cached is not None:
        return ContactDetails(
            volunteer_id, cached.full_name, cached.phone, cached.email, cached.province_code
        )
    fresh = await state.contacts.volunteer(volunteer_id)
    async with state.sessionmaker() as session, session.begin():
        note = await session.get(Notification, notification_id, with_for_update=True)
        if note is None or note.status != NotificationStatus.SENDING:
            raise ContactGone("erased while being delivered")
        await readmodel.upsert_contacts(session, [fresh], state.clock.now())
    return fresh
