"""Seed 003's rules for Party–mass service projects, each with its clause."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from inspector.core import service_projects as core


def days(start: str, n: int, step: int = 7) -> list[date]:
    first = date.fromisoformat(start)
    return [first + timedelta(days=step * i) for i in range(n)]


def test_three_activities_without_a_place_are_not_enough_and_four_are():
    """三、主要措施（三）：无固定场所的服务活动达到4次以上."""
    three = core.running_rule(fixed_place=False, activity_dates=days("2026-03-01", 3), as_of=date(2026, 6, 1))
    assert not three.met and "还差 1 次" in three.words and three.source.endswith("三、主要措施（三）")
    assert core.running_rule(fixed_place=False, activity_dates=days("2026-03-01", 4), as_of=date(2026, 6, 1)).met


def test_a_center_project_needs_four_months_from_its_first_activity():
    """依托党群服务中心的服务项目要常态化开展4个月以上."""
    acts = days("2026-03-31", 10)
    assert not core.running_rule(fixed_place=True, activity_dates=acts, as_of=date(2026, 7, 30)).met
    rule = core.running_rule(fixed_place=True, activity_dates=acts, as_of=date(2026, 7, 31))
    assert rule.met and "满 4 个月（2026-07-31）" in rule.words
    assert not core.running_rule(fixed_place=True, activity_dates=[], as_of=date(2026, 7, 31)).met


def test_add_months_clamps_to_the_months_end():
    assert core.add_months(date(2026, 10, 31), 4) == date(2027, 2, 28)


def test_transitions_name_the_allowed_statuses():
    core.check_transition("apply", "summarized")
    with pytest.raises(core.TransitionError, match="只能在“已总结”时进行"):
        core.check_transition("apply", "running")


def test_quota_problems():
    """四、组织保障（一）：每个社区新培育申报1—2个；至少培育申报1个镇街级."""
    q = core.Quota("龙固镇", [("甲社区", 0), ("乙社区", 2), ("丙社区", 3)], 0)
    assert q.problems == ["甲社区：已申报 0 个（每个社区新培育申报1—2个）", "丙社区：已申报 3 个（每个社区新培育申报1—2个）",
                          "龙固镇：镇街级项目 0 个（至少培育申报1个）"]
    assert core.Quota("杨屯镇", [("丁社区", 1)], 1).problems == []


def test_summary_report_has_the_four_parts_from_the_record():
    s = core.summary_report(name="邻里帮帮团", level="community", place="吴庄社区", survey_source="网格员入户走访",
                            survey_summary="老人就餐难", design="每周助餐",
                            activities=[{"on": "2026-05-02", "place": "社区食堂", "participants": 12, "note": "助餐"},
                                        {"on": "2026-04-02", "place": "社区食堂", "participants": 8, "note": ""}],
                            overview="", results="惠及老人 20 名")
    assert s["name"] == "邻里帮帮团" and "老人就餐难" in s["overview"]
    assert s["implementation"] == "共开展活动 2 次，参与 20 人次，时间 2026-04-02 至 2026-05-02，地点：社区食堂。"
    assert s["results"] == "惠及老人 20 名" and s["activities"][0].startswith("2026-04-02")


def test_appraisal_and_satisfaction_words():
    assert core.appraisal(18, 1, 1) == "民主评议：赞成 18、反对 1、弃权 1，共 20 票，赞成率 90.0%"
    assert core.satisfaction(50, 47) == "问卷调查：发放回收 50 份，满意 47 份，满意率 94.0%"


def test_rota_townships_take_turns_and_keep_months_already_set():
    """三（五）：采取镇街轮值的方式每月推介一个优质党群服务项目."""
    months = core.next_months("2026-11", 4)
    assert months == ["2026-11", "2026-12", "2027-01", "2027-02"]
    plan = core.plan_rota(months=months, townships=[(1, [10, 11]), (2, [20])], taken={"2026-12": (2, 20)})
    assert plan == {"2026-11": (1, 10), "2027-01": (2, 20), "2027-02": (1, 11)}
