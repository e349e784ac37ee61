"""Pure delivery rules: quiet hours per zone, reminder moments, channel choice, templates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from jinja2.exceptions import SecurityError

from services.notifications.domain import rules, templates
from services.notifications.domain.ratelimit import TokenBucket
from shared.regions import timezone_of


@pytest.mark.parametrize(
    ("province", "expected_quiet"),
    [("32", False), ("73", True), ("94", True)],  # 20:30 WIB, 21:30 WITA, 22:30 WIT
)
def test_quiet_hours_follow_the_recipients_own_zone(province, expected_quiet):
    now = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)
    until = rules.quiet_until(now, timezone_of(province))
    assert (until is not None) is expected_quiet
    if until is not None:
        local = until.astimezone(ZoneInfo(timezone_of(province)))
        assert (local.date(), local.hour) == (date(2026, 11, 24), 6)


def test_message_after_midnight_waits_until_six_the_same_morning():
    now = datetime(2026, 11, 23, 2, 15, tzinfo=ZoneInfo("Asia/Jakarta"))
    until = rules.quiet_until(now, "Asia/Jakarta")
    assert until == datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def test_daytime_is_not_quiet():
    now = datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Asia/Makassar"))
    assert rules.quiet_until(now, "Asia/Makassar") is None


def test_reminders_fall_three_and_one_day_before_at_nine_in_the_venues_zone():
    due = rules.reminder_times(date(2026, 12, 10), "Asia/Jayapura")
    assert [(d, at.astimezone(UTC)) for d, at in due] == [
        (3, datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),
        (1, datetime(2026, 12, 9, 0, 0, tzinfo=UTC)),
    ]


def test_channel_plan_keeps_order_and_skips_unreachable_and_opted_out_channels():
    address = rules.Address(phone="+6281234567890", email=None)
    plan = rules.channel_plan(
        ["whatsapp", "sms", "email"],
        address=address,
        category="reminder",
        opt_outs={("reminder", "whatsapp")},
        critical=False,
    )
    assert plan == ["sms"]


def test_critical_message_ignores_opt_outs():
    address = rules.Address(phone="+6281234567890", email="a@example.id")
    plan = rules.channel_plan(
        ["whatsapp", "email"],
        address=address,
        category="critical",
        opt_outs={("*", "*")},
        critical=True,
    )
    assert plan == ["whatsapp", "email"]


def test_backoff_doubles_and_is_capped():
    assert [rules.retry_delay(a, 30, 100).total_seconds() for a in (1, 2, 3, 4)] == [
        30,
        60,
        100,
        100,
    ]


def test_every_template_renders_its_example_in_bahasa_indonesia():
    for name in templates.TEMPLATES:
        subject, body = templates.preview(name)
        assert subject and body and "{{" not in body


def test_certificate_message_carries_code_and_link():
    _, body = templates.preview("certificate-issued", {"kode": "ABCD-1234"})
    assert "ABCD-1234" in body and "https://" in body


def test_missing_value_is_a_template_error_not_a_blank():
    with pytest.raises(templates.TemplateError):
        templates.render("enrolment-waitlisted", {"nama": "X"})


def test_templates_are_sandboxed():
    with pytest.raises(SecurityError):
        templates._env.from_string("{{ ''.__class__.__mro__ }}").render()


def test_token_bucket_defers_when_the_channel_is_busy():
    start = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    bucket = TokenBucket(2.0, burst=2, now=start)
    assert [bucket.try_take(start) for _ in range(2)] == [0.0, 0.0]
    assert bucket.try_take(start) == pytest.approx(0.5)
    assert bucket.try_take(start + timedelta(seconds=0.5)) == 0.0


def test_cli_previews_a_template():
    from typer.testing import CliRunner

    from services.notifications.cli import app

    result = CliRunner().invoke(app, ["preview", "session-cancelled"])
    assert result.exit_code == 0 and "DIBATALKAN" in result.output


def test_every_session_cancel_reason_code_is_told_in_its_own_indonesian_words():
    from shared.events.vocabulary import SessionCancelReason

    words = {code: templates.cancel_reason_text(code) for code in SessionCancelReason}
    assert len(set(words.values())) == len(SessionCancelReason)
    assert words[SessionCancelReason.BUDGET] == "kendala anggaran"


def test_an_unknown_or_missing_reason_code_is_told_as_another_reason_never_echoed():
    other = templates.cancel_reason_text("other")
    assert templates.cancel_reason_text("hubungi 081234567890") == other
    assert templates.cancel_reason_text(None) == other
