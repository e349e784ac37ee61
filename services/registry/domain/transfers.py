"""Transfers between regencies without the province: one end opens, the other decides.

The origin operator (whose scope holds the volunteer's village) *releases* the volunteer to
a village of another regency, or the destination operator (whose scope holds that village)
*requests* them; the other end confirms or declines; the end that opened may cancel while
the transfer is open. An operator whose scope holds both ends moves the volunteer directly.
"""

from __future__ import annotations

from services.registry.domain.enums import TransferSide, TransferState
from services.registry.domain.errors import IllegalTransition, OutOfScope
from shared.i18n import t

OPEN = frozenset({TransferState.REQUESTED, TransferState.RELEASED})
DECISIONS = {"confirm": TransferState.CONFIRMED, "decline": TransferState.DECLINED}
# The ends and the decisions as an Indonesian message names them.
SIDE_ID = {TransferSide.ORIGIN: "asal", TransferSide.DESTINATION: "tujuan"}
ACTION_ID = {"confirm": "menyetujui", "decline": "menolak", "cancel": "membatalkan"}


def opening_state(sees_origin: bool, sees_destination: bool) -> TransferState:
    """`released` when the origin opens, `requested` when the destination does."""
    if sees_origin and sees_destination:
        raise IllegalTransition(
            t(
                "kedua desa/kelurahan ada di wilayah Anda: pindahkan relawan secara langsung "
                "(POST /volunteers/{{id}}/transfers)",
                "both villages are in your region: move the volunteer directly "
                "(POST /volunteers/{{id}}/transfers)",
            )
        )
    if sees_origin:
        return TransferState.RELEASED
    if sees_destination:
        return TransferState.REQUESTED
    raise OutOfScope(
        t(
            "tidak satu pun dari kedua desa/kelurahan ada di wilayah Anda",
            "neither village is in your region",
        )
    )


def opened_by(state: TransferState) -> TransferSide:
    """The end that opened a transfer in `state` (requested: destination; released: origin)."""
    return TransferSide.DESTINATION if state == TransferState.REQUESTED else TransferSide.ORIGIN


def next_state(
    state: TransferState, action: str, *, sides: set[TransferSide], opener: TransferSide
) -> TransferState:
    """The state after `action` (confirm, decline, cancel) by an operator covering `sides`:
    the other end decides, the opening end cancels, only while the transfer is open."""
    if state not in OPEN:
        raise IllegalTransition(
            t(
                "perpindahan ini sudah berstatus {state}",
                "the transfer is already {state}",
                state=state,
            )
        )
    if action == "cancel":
        if opener not in sides:
            raise OutOfScope(
                t(
                    "hanya operator daerah {side_id} yang boleh membatalkan perpindahan ini",
                    "only the {side} operator may cancel this transfer",
                    side=opener,
                    side_id=SIDE_ID[opener],
                )
            )
        return TransferState.CANCELLED
    other = TransferSide.ORIGIN if opener == TransferSide.DESTINATION else TransferSide.DESTINATION
    if other not in sides:
        raise OutOfScope(
            t(
                "hanya operator daerah {side_id} yang boleh {action_id} perpindahan ini",
                "only the {side} operator may {action} this transfer",
                side=other,
                side_id=SIDE_ID[other],
                action=action,
                action_id=ACTION_ID.get(action, action),
            )
        )
    return DECISIONS[action]
