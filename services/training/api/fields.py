"""Field helpers of training's request schemas."""

from __future__ import annotations

from typing import Any


def left_out() -> Any:
    """Default of a PATCH field that may be left out but not set to null.

    Why a factory and not `default=None`: the field's schema stays non-nullable (an
    explicit null is refused with 422), and `exclude_unset` drops the field when absent.
    """
    return None
