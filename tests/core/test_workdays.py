"""Working days: real 2025–2026 schedules, notice periods, provisional years (2027 on) by statutory
rule, strict mode, the overrides file, and entering a year's schedule as the notice words it."""
from datetime import date, datetime
from textwrap import dedent

import chinese_calendar
import pytest

from inspector.core import workdays
from inspector.core.workdays import Calendar, CalendarUnknown, OverridesError, load

D = date.fromisoformat
CAL = load()
STRICT = load(strict=True)


def days(first: str, last: str) -> list[date]:
    """Every date from first to last, both included."""
    return [date.fromordinal(n) for n in range(D(first).toordinal(), D(last).toordinal() + 1)]


# ---------------------------------------------------------------- the data

def test_package_covers_2004_to_2026():
    assert (workdays.PACKAGE_FIRST_YEAR, workdays.PACKAGE_LAST_YEAR) == (2004, 2026)
    assert CAL.official_until == D("2026-12-31")
    with pytest.raises(NotImplementedError, match="2027"):  # how the package itself refuses a later year
        chinese_calendar.is_workday(D("2027-01-04"))


def test_shipped_overrides_add_no_year():
    assert workdays.parse_text(workdays.OVERRIDES.read_text(encoding="utf-8"), "overrides.yaml") == []
    assert CAL == Calendar()


def test_spring_festival_2025_and_its_make_up_days():
    assert CAL.is_working_day(D("2025-01-26"))      # Sunday, 调休上班
    assert CAL.is_working_day(D("2025-02-08"))      # Saturday, 调休上班
    assert not any(CAL.is_working_day(d) for d in days("2025-01-28", "2025-02-04"))
    assert CAL.is_working_day(D("2025-01-27")) and CAL.is_working_day(D("2025-02-05"))
    assert not CAL.is_working_day(D("2025-01-25"))  # an ordinary Saturday


def test_national_day_2025_and_its_make_up_days():
    assert not any(CAL.is_working_day(d) for d in days("2025-10-01", "2025-10-08"))
    assert CAL.is_working_day(D("2025-09-28"))      # Sunday
    assert CAL.is_working_day(D("2025-10-11"))      # Saturday
    assert CAL.is_working_day(D("2025-10-09"))


def test_spring_festival_2026_as_the_package_has_it():
    block = days("2026-02-15", "2026-02-23")
    assert all(chinese_calendar.holidays.get(d) == "Spring Festival" for d in block)
    assert not any(CAL.is_working_day(d) for d in block)
    for d in (D("2026-02-14"), D("2026-02-28")):    # Saturdays
        assert chinese_calendar.workdays.get(d) == "Spring Festival"
        assert d.weekday() == 5 and CAL.is_working_day(d)


def test_2026_matches_the_published_notice():
    # 国务院办公厅关于2026年部分节假日安排的通知（2025-11-04，新华社）：
    # 春节 2月15日至23日放假调休，共9天；2月14日（周六）、2月28日（周六）上班。
    # 元旦 1月1日至3日放假调休；1月4日（周日）上班。国庆节 10月1日至7日；9月20日（周日）、10月10日（周六）上班。
    assert [CAL.is_working_day(D(s)) for s in ("2026-02-13", "2026-02-14", "2026-02-23", "2026-02-24")] \
        == [True, True, False, True]
    assert CAL.is_working_day(D("2026-01-04")) and not CAL.is_working_day(D("2026-01-02"))
    assert CAL.is_working_day(D("2026-09-20")) and CAL.is_working_day(D("2026-10-10"))
    assert not CAL.is_working_day(D("2026-10-07")) and CAL.is_working_day(D("2026-10-08"))


def test_datetime_counts_as_its_date():
    assert CAL.is_working_day(datetime(2025, 2, 8, 9, 30))
    with pytest.raises(TypeError):
        CAL.is_working_day("2025-02-08")


# ---------------------------------------------------------------- counting

def test_add_working_days_across_a_holiday_block():
    assert CAL.add_working_days(D("2025-01-27"), 1) == D("2025-02-05")
    assert CAL.add_working_days(D("2025-01-24"), 2) == D("2025-01-27")  # Sun 01-26 is a working day
    assert CAL.add_working_days(D("2025-09-30"), 1) == D("2025-10-09")
    assert CAL.add_working_days(D("2025-09-30"), 3) == D("2025-10-11")  # the make-up Saturday
    assert CAL.add_working_days(D("2025-10-03"), 0) == D("2025-10-03")
    with pytest.raises(ValueError):
        CAL.add_working_days(D("2025-10-03"), -1)


def test_working_days_between_across_the_year_end():
    # 12-30, 12-31, then 01-01..03 off, Sun 01-04 make-up day, Mon 01-05
    assert CAL.working_days_between(D("2025-12-29"), D("2026-01-05")) == 4
    assert CAL.working_days_between(D("2025-12-29"), D("2025-12-29")) == 0
    assert CAL.working_days_between(D("2026-01-05"), D("2025-12-29")) == 0


@pytest.mark.parametrize("start, n, end", [
    ("2025-03-07", 5, "2025-03-13"),  # an ordinary Friday: Fri, Mon–Thu
    ("2025-03-07", 7, "2025-03-17"),
    ("2025-09-26", 5, "2025-10-09"),  # Friday before National Day: Fri, Sun 09-28, Mon, Tue, Thu 10-09
    ("2025-09-26", 7, "2025-10-11"),  # … Fri 10-10, Sat 10-11 (make-up)
    ("2025-10-03", 5, "2025-10-14"),  # posted on a holiday: day 1 is Thu 10-09
    ("2025-10-03", 7, "2025-10-16"),
    ("2025-02-08", 5, "2025-02-13"),  # posted on a make-up Saturday: it is day 1
    ("2025-02-08", 7, "2025-02-17"),
])
def test_period_end(start, n, end):
    assert CAL.period_end(D(start), n) == D(end)
    counted = CAL.is_working_day(D(start))
    assert CAL.working_days_between(D(start), D(end)) + counted == n


def test_period_end_needs_at_least_one_day():
    assert CAL.period_end(D("2025-03-07"), 1) == D("2025-03-07")
    assert CAL.period_end(D("2025-03-08"), 1) == D("2025-03-10")
    with pytest.raises(ValueError):
        CAL.period_end(D("2025-03-07"), 0)


# ---------------------------------------------------------------- provisional years (2027 on)

def test_statutory_holidays_of_2027_by_rule_without_observed_guesses():
    # 《全国年节及纪念日放假办法》（2025 年起）：元旦 1、春节 4（除夕、初一至初三）、清明 1、劳动节 2、端午 1、中秋 1、国庆 3
    got = workdays.statutory_holidays(2027)
    assert [d.isoformat() for d in got] == [
        "2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-04-05", "2027-05-01",
        "2027-05-02", "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-02", "2027-10-03"]
    assert got[D("2027-02-05")] == "农历除夕" and got[D("2027-09-15")] == "中秋节"
    # the holidays package's "observed" guesses (2027-02-09/10, 05-03/04, 10-04/05) are not official: not counted
    assert all(CAL.is_working_day(D(s)) for s in ("2027-02-09", "2027-02-10", "2027-05-03", "2027-10-04"))


def test_2025_rules_hold_for_2028_mid_autumn_on_national_day():
    got = workdays.statutory_holidays(2028)
    assert len(got) == 12 and "中秋节" in got[D("2028-10-03")]   # one day, both festivals


def test_2027_counts_provisionally_across_new_year():
    assert CAL.is_working_day(D("2026-12-31"))
    assert not CAL.is_working_day(D("2027-01-01"))        # 元旦, a Friday
    assert CAL.is_working_day(D("2027-01-04"))
    due = CAL.deadline(D("2026-12-07"), 20)               # the rectification deadline of an approval on 12-07
    assert (due.date, due.provisional_years, due.rule) == (D("2027-01-05"), (2027,), "after")
    assert "2027 年的国务院节假日安排尚未录入，按法定节假日推算，未计调休" in due.reason
    period = CAL.deadline(D("2026-12-28"), 7, "period")   # a notice across New Year
    assert period.date == D("2027-01-06") and period.provisional
    assert not CAL.deadline(D("2026-11-02"), 5).provisional
    assert CAL.deadline(D("2028-01-03"), 20).provisional_years == (2028,)


def test_spring_festival_2027_provisional_block():
    assert not any(CAL.is_working_day(d) for d in days("2027-02-05", "2027-02-08"))
    assert CAL.add_working_days(D("2027-02-04"), 1) == D("2027-02-09")


def test_strict_mode_refuses_provisional_years_and_names_the_page():
    assert STRICT.is_working_day(D("2026-12-31"))
    with pytest.raises(CalendarUnknown, match="2027 年") as exc:
        STRICT.add_working_days(D("2026-12-30"), 2)
    assert exc.value.year == 2027
    assert "「管理 › 工作日日历」" in str(exc.value) and "overrides.yaml" not in str(exc.value)


def test_years_before_the_data_are_unknown():
    with pytest.raises(CalendarUnknown, match="2003"):
        CAL.is_working_day(D("2003-12-31"))


# ---------------------------------------------------------------- entering a year as the notice words it

def test_day_lines_read_dates_ranges_and_the_notice_wording():
    text = "2027-01-01\n春节：2月5日（农历除夕）至12日（农历正月初八）放假调休，共8天\n\n# 备注\n10月1日~10月7日"
    found, problems = workdays.parse_day_lines(text, 2027, "放假日期")
    assert problems == []
    assert sorted(found) == [D("2027-01-01"), *days("2027-02-05", "2027-02-12"), *days("2027-10-01", "2027-10-07")]
    assert found[D("2027-02-09")] == 2 and found[D("2027-10-07")] == 5
    made_up, _ = workdays.parse_day_lines("2月14日（星期日）、2月20日（星期六）上班", 2027, "调休上班")
    assert sorted(made_up) == [D("2027-02-14"), D("2027-02-20")]


def test_day_lines_name_the_line_of_each_problem():
    _, problems = workdays.parse_day_lines("2027-01-01\n2027-02-30\n春节放假\n2028-01-03\n2月9日至2月5日", 2027, "放假日期")
    assert problems == ["放假日期第 2 行：2027年2月30日 不是有效日期",
                        "放假日期第 3 行：“春节放假”中没有日期（应写作 2027-01-01 或 1月1日）",
                        "放假日期第 4 行：2028-01-03 不属于 2027 年",
                        "放假日期第 5 行：2027-02-09 至 2027-02-05 结束早于开始"]


def test_check_schedule_make_up_days_on_weekends_and_every_statutory_day_off():
    holidays = {d: 1 for d in workdays.statutory_holidays(2027)}
    assert workdays.check_schedule(2027, holidays, {D("2027-02-20"): 3}, number="国办发明电〔2026〕N号",
                                   title="t", issued_on=D("2026-11-10")) == []
    del holidays[D("2027-06-09")]
    problems = workdays.check_schedule(2027, holidays, {D("2027-02-10"): 2, D("2027-01-01"): 4}, number=" ",
                                       title="t", issued_on=D("2025-01-01"))
    assert problems == ["请填写通知文号（如 国办发明电〔2026〕N号）",
                        "通知发布日期 2025-01-01 应在 2026 年或 2027 年",
                        "调休上班第 4 行：2027-01-01 同时列在放假日期第 1 行，只能是其中之一",
                        "调休上班第 2 行：2027-02-10 是星期三，调休上班日只能是周六或周日",
                        "放假日期缺少法定节假日 2027-06-09（端午节，星期三）"]
    assert workdays.check_schedule(2026, {}, {}, number="x", title="t", issued_on=D("2025-11-04"))[0] \
        .startswith("2026 年的安排已由 chinese_calendar 提供")


def test_an_entered_schedule_replaces_the_provisional_year():
    entered = workdays.Schedule(2027, frozenset([D("2027-01-01"), *days("2027-02-05", "2027-02-12")]),
                                frozenset([D("2027-02-20")]), number="测试用（虚构）", origin="database")
    cal = load(entered=[entered])
    assert cal.is_official(2027) and cal.official_until == D("2027-12-31")
    assert not cal.is_working_day(D("2027-02-10")) and cal.is_working_day(D("2027-02-20"))
    assert not cal.deadline(D("2027-02-01"), 10).provisional
    assert cal.deadline(D("2027-12-20"), 20).provisional_years == (2028,)


# ---------------------------------------------------------------- the overrides file

# 以下 2027 年日期为测试虚构，并非国务院办公厅的真实安排
GOOD_2027 = dedent("""\
    # 测试用
    years:
      2027:
        source: "测试用（虚构）"
        holidays: [2027-01-01, 2027-02-08, 2027-02-09]
        workdays: [2027-02-06]
    """)


def write(tmp_path, text: str):
    """An overrides file with this text."""
    path = tmp_path / "overrides.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_overrides_add_2027(tmp_path):
    cal = load(write(tmp_path, GOOD_2027))
    assert cal.official_until == D("2027-12-31")
    assert cal.is_working_day(D("2027-02-06"))          # the make-up Saturday counts
    assert not cal.is_working_day(D("2027-02-08"))      # a listed Monday off
    assert not cal.is_working_day(D("2027-02-07"))      # an ordinary Sunday
    assert cal.is_working_day(D("2027-01-04"))
    assert cal.add_working_days(D("2027-02-05"), 1) == D("2027-02-06")
    assert cal.period_end(D("2027-02-05"), 3) == D("2027-02-10")  # Fri, Sat (make-up), Wed
    assert not cal.deadline(D("2027-06-01"), 5).provisional
    assert cal.is_working_day(D("2028-01-03")) and cal.deadline(D("2028-01-03"), 1).provisional
    assert cal.is_working_day(D("2026-02-14"))          # the package's 2026 is untouched


def test_overrides_may_list_2027_and_2028(tmp_path):
    text = GOOD_2027 + "  2028:\n    source: 测试用\n    holidays: []\n    workdays: []\n"
    assert load(write(tmp_path, text)).official_until == D("2028-12-31")


def test_overrides_may_skip_a_year_which_stays_provisional(tmp_path):
    cal = load(write(tmp_path, block("source: x\nholidays: [2028-01-03]", 2028)))
    assert cal.official_until == D("2026-12-31") and cal.is_official(2028) and not cal.is_official(2027)


def test_overrides_empty_file_and_empty_years(tmp_path):
    assert load(write(tmp_path, "# 还没有补录\n")).official_until == D("2026-12-31")
    assert load(write(tmp_path, "years:\n")).official_until == D("2026-12-31")


def block(body: str, year: int = 2027) -> str:
    """An overrides file with one year block (body indented as the block's fields)."""
    return f"years:\n  {year}:\n" + "".join(f"    {line}\n" for line in dedent(body).splitlines())


BAD = {
    "bad issued_on": (block("source: x\nissued_on: 十一月"), 4, "issued_on 应写作 YYYY-MM-DD"),
    "package year": (block("source: x\nholidays: [2026-02-13]", 2026), 2, "2026 年的安排已由 chinese_calendar 提供"),
    "date in wrong year": (block("source: x\nholidays:\n  - 2027-01-01\n  - 2028-01-03"), 6,
                           "2028-01-03 不属于 2027 年"),
    "both holiday and workday": (block("source: x\nholidays: [2027-02-08]\nworkdays:\n  - 2027-02-06\n  - 2027-02-08"),
                                 7, "2027-02-08 同时列在 holidays（第 4 行）和 workdays 中"),
    "missing source": (block("holidays: [2027-01-01]"), 2, "2027 年缺少 source"),
    "empty source": (block("source:\nholidays: [2027-01-01]"), 3, "source 不能为空"),
    "not a date": (block("source: x\nholidays:\n  - 2027-01-01\n  - 元旦"), 6, "'元旦' 不是日期"),
    "impossible date": (block("source: x\nholidays: [2027-02-30]"), 4, "'2027-02-30' 不是日期"),
    "date with a time": (block("source: x\nholidays: [2027-01-01 08:00]"), 4, "不是日期"),
    "workday on a weekday": (block("source: x\nworkdays: [2027-02-10]"), 4, "2027-02-10 是星期三"),
    "list expected": (block("source: x\nholidays: 2027-01-01"), 4, "holidays 应为日期列表"),
    "unknown field": (block("source: x\nholiday: [2027-01-01]"), 4, "未知字段 'holiday'"),
    "bad year": (block("source: x", "twenty"), 2, "年份应为四位数字"),
    "no years key": ("year:\n  2027: {}\n", 1, "未知字段 'year'"),
    "yaml syntax": ("years:\n  2027:\n    holidays: [2027-01-01\n", 4, "YAML 语法错误"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_overrides_name_file_and_line(tmp_path, case):
    text, line, fragment = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(OverridesError) as exc:
        load(path)
    assert f"{path}:{line}: " in str(exc.value)
    assert fragment in str(exc.value)


def test_every_problem_is_reported_in_line_order(tmp_path):
    text = block("holidays: [2027-01-01, tomorrow]\nworkdays: [2028-02-05]")
    with pytest.raises(OverridesError) as exc:
        load(write(tmp_path, text))
    assert [p.split(": ", 1)[0].rsplit(":", 1)[1] for p in exc.value.problems] == ["2", "3", "4"]


def test_missing_overrides_file(tmp_path):
    with pytest.raises(OverridesError, match="找不到"):
        load(tmp_path / "nope.yaml")
