"""Seed 004's rules per member and year, each with its clause (凤组发〔2014〕42号)."""
from __future__ import annotations

from datetime import date

import pytest

from inspector.core import ledger as core

DEADLINE = date(2026, 5, 15)
END = date(2026, 12, 31)


def act(on: str, hours: float, kind: str = "post_service") -> core.Activity:
    return core.Activity(date.fromisoformat(on), int(hours * 60), kind)


def tally(acts, *, reported=date(2026, 3, 1), paired=True, as_of=END):
    return core.tally(year=2026, activities=acts, reported_on=reported, paired=paired, deadline=DEADLINE, as_of=as_of)


def test_one_activity_of_three_hours_falls_short_two_activities_meet():
    """二、主要任务（一）1：每年至少参加2次以上或不少于8小时的服务居民群众活动."""
    short = tally([act("2026-04-02", 3)])
    check = short.check("service")
    assert not check.met and check.figures == "1 次 / 3 小时"
    assert check.missing == "还差 1 次或 5 小时"
    assert check.rule.source == "004_540c324c00d562d2.txt › 二、主要任务（一）1"
    assert check in short.falls_short
    assert tally([act("2026-04-02", 1), act("2026-06-02", 0.5)]).check("service").met


def test_eight_hours_in_one_activity_meet_the_rule_and_seven_and_a_half_do_not():
    assert tally([act("2026-04-02", 8)]).service_met
    assert not tally([act("2026-04-02", 7.5)]).service_met


def test_suggestions_and_pairing_visits_are_not_service_activities():
    t = tally([act("2026-04-02", 1, "suggestion"), act("2026-05-02", 1, "pairing_visit")])
    assert t.times == 0 and not t.service_met
    assert t.suggestions == 1


def test_suggestion_rule_keeps_the_sources_as_a_rule_force():
    """二（一）2 “原则上……1条以上”: a shortfall is a warning, not falling short."""
    t = tally([act("2026-04-02", 8), act("2026-04-03", 1, "public_welfare")])
    assert [c.rule.id for c in t.warnings] == ["suggestion"]
    assert "suggestion" not in [c.rule.id for c in t.falls_short]
    assert core.RULES_BY_ID["suggestion"].soft and not core.RULES_BY_ID["service"].soft


def test_public_welfare_at_least_once():
    """二（一）3：每年应参加一次社区公益活动."""
    assert not tally([]).check("public_welfare").met
    assert tally([act("2026-04-02", 2, "public_welfare")]).check("public_welfare").met


def test_pairing_visit_every_month_names_the_months_missed():
    """二（一）4：坚持每月至少深入居民家中一次; months from reporting to the last month ended."""
    visits = [act(f"2026-{m:02d}-10", 1, "pairing_visit") for m in (3, 4, 6)]
    t = tally(visits, reported=date(2026, 3, 1), as_of=date(2026, 7, 15))
    check = t.check("pairing")
    assert not check.met
    assert check.missing == "未走访：5月"
    assert check.figures == "应走访 4 个月，已走访 3 个月"  # March–June; July is in progress
    assert tally(visits, paired=False).check("pairing").missing == "尚未结对帮扶一户困难家庭"


def test_months_due_counts_only_ended_months():
    assert core.months_due(2026, date(2026, 2, 10), date(2026, 4, 30)) == [2, 3, 4]
    assert core.months_due(2026, date(2025, 6, 1), date(2027, 1, 1)) == list(range(1, 13))
    assert core.months_due(2026, None, date(2026, 1, 20)) == []


def test_reported_by_the_deadline_is_a_parameter():
    """三、工作措施 1：5月15日前完成报到; the deadline is passed in."""
    assert tally([], reported=date(2026, 5, 15)).check("reported").met
    late = tally([], reported=date(2026, 5, 16)).check("reported")
    assert not late.met and late.missing == "逾期报到（应于 2026-05-15 前）"
    assert not tally([], reported=None).check("reported").met
    assert core.deadline_of(2026, (6, 30)) == date(2026, 6, 30)


def test_open_year_marks_shortfalls_pending():
    t = tally([act("2026-04-02", 3)], as_of=date(2026, 6, 1))
    assert t.check("service").pending
    assert not tally([act("2026-04-02", 3)]).check("service").pending


@pytest.mark.parametrize("raw, minutes", [("3", 180), ("1.5", 90), ("0.25", 15), ("2小时", 120)])
def test_hours_parse_to_minutes(raw, minutes):
    assert core.parse_hours(raw) == minutes


@pytest.mark.parametrize("raw, words", [("", "请填写"), ("abc", "应为数字"), ("25", "0–24"), ("0.001", "分钟")])
def test_bad_hours_are_refused_in_chinese(raw, words):
    with pytest.raises(ValueError, match=words):
        core.parse_hours(raw)


def test_quarters_due():
    """三、工作措施 2：每季度反馈一次; a quarter is due once it has ended."""
    assert core.quarters_due(2026, date(2026, 3, 30)) == []
    assert core.quarters_due(2026, date(2026, 3, 31)) == [1]
    assert core.quarters_due(2026, date(2026, 11, 30)) == [1, 2, 3]
    assert core.quarters_due(2025, date(2026, 1, 1)) == [1, 2, 3, 4]


def test_import_row_checks():
    ok = core.parse_member({"name": "王明", "unit": "县财政局", "phone": "139 0516 0001", "county_department": "是",
                            "reported_on": "2026年5月10日", "pair_kind": "孤寡老人", "pair_name": "李奶奶"})
    assert ok["phone"] == "13905160001" and ok["county_department"] and ok["reported_on"] == date(2026, 5, 10)
    for row, words in (({"name": "", "unit": "x", "phone": "13905160001"}, "姓名"),
                       ({"name": "a", "unit": "x", "phone": "123"}, "联系电话"),
                       ({"name": "a", "unit": "x", "phone": "13905160001", "pair_kind": "朋友"}, "对象类别"),
                       ({"name": "a", "unit": "x", "phone": "13905160001", "reported_on": "5月"}, "报到日期")):
        with pytest.raises(ValueError, match=words):
            core.parse_member(row)


def test_roll_up_totals_are_the_sums_of_the_communities():
    rows = core.roll_up([("龙固镇", "甲社区", {"members": 3, "reported": 2}),
                         ("龙固镇", "乙社区", {"members": 4, "reported": 4}),
                         ("杨屯镇", "丙社区", {"members": 5, "reported": 1})], ["members", "reported"], "沛县")
    assert [(r.level, r.name) for r in rows] == [("community", "甲社区"), ("community", "乙社区"),
                                                 ("township", "龙固镇 小计"), ("community", "丙社区"),
                                                 ("township", "杨屯镇 小计"), ("county", "沛县 合计")]
    assert rows[2].counts == {"members": 7, "reported": 6}
    assert rows[-1].counts == {"members": 12, "reported": 7}
    assert core.rate(2, 3) == "66.7%" and core.rate(4, 4) == "100%" and core.rate(0, 0) == "—"
