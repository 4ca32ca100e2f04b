"""core/clock.py: Beijing time once; today follows the app's TODAY."""
from datetime import date, datetime, timezone

from inspector.core import clock, words


def test_a_stored_moment_in_beijing_time_naive_values_and_sqlite_text_are_utc():
    moment = datetime(2026, 12, 1, 17, 30)  # naive: UTC, as stored
    assert clock.china_text(moment) == "2026-12-02 01:30"
    assert clock.china_date("2026-12-01 17:30:00") == date(2026, 12, 2)  # SQLite's raw text
    assert clock.china_day_text(datetime(2026, 12, 1, 15, 59, tzinfo=timezone.utc)) == "2026-12-01"
    assert clock.china_text(None) == "" and clock.china_text(None, empty="—") == "—"


def test_a_day_starts_at_midnight_in_china():
    assert clock.day_start(date(2026, 12, 2)) == datetime(2026, 12, 1, 16, tzinfo=timezone.utc)


def test_today_is_the_fixed_day_when_one_is_installed():
    try:
        clock.use_fixed_today(lambda: "2025-06-16")
        assert clock.today() == date(2025, 6, 16)
        clock.use_fixed_today(lambda: None)
        assert clock.today() == datetime.now(clock.CHINA).date()
    finally:
        clock.use_fixed_today(lambda: None)


def test_result_words_are_the_scorings_and_the_workbook_uses_their_short_form():
    assert words.RESULT_WORDS["open"] == "未检查" and words.NEVER_INSPECTED == "未检查"
    assert words.CELL_RESULT_WORDS == {"pass": "合格", "fail": "不合格", "na": "不适用", "open": "未查"}
    assert words.verdict_words(None) == "未评定"
