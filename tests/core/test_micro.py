"""Micro-project rules: routing by amount, “1 + N”, the application form, spending, notices, the fund."""
from __future__ import annotations

from datetime import date

import pytest

from inspector.core import micro as m
from inspector.core import programs

PROGRAMS = programs.load_dir(__import__("pathlib").Path(__file__).resolve().parents[2] / "checklists" / "programs")
TOWN = PROGRAMS["zhengfang-town"]      # seed 001
STREET = PROGRAMS["hehua-street-2023"]  # seed 000

HOUSEHOLDS = "\n".join(f"户主{i} 1390516100{i} 已签" for i in range(1, 6))
FORM = {
    "name": "修缮村内道路路灯", "size": "small", "lead_name": "张卫东", "lead_phone": "13905160001",
    "description": "更换村东头主路损坏路灯", "scale": "LED 路灯 12 盏", "expected_effect": "夜间出行安全",
    "budget": "8,600.00", "fund_source": "镇级微实事专项资金", "start_date": "2026-04-01", "finish_date": "2026-04-20",
    "members": "张卫东 13905160001 党员\n李红梅 0516-89001234 村民代表",
    "households": HOUSEHOLDS,
    "spending": "LED路灯 材料 7,200.00\n电缆及配件 材料 1,400",
}


def rules_of(problems):
    return [p.rule for p in problems]


# ---------------------------------------------------------------- money

@pytest.mark.parametrize("text, fen", [
    ("12,345.67", 1234567), ("12345", 1234500), ("12345.6", 1234560), ("0.01", 1), ("1,000", 100000),
    (" 9,999.99 元", 999999), ("300,000", 30000000), ("12，345.67", 1234567),
])
def test_money_is_read_exactly_in_fen(text, fen):
    assert m.parse_money(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "12.345", "1,23", "12,34.5", "-5", "1e3", "12 345", "1.2.3", "¥12"])
def test_money_refuses_anything_else(text):
    with pytest.raises(m.MoneyError):
        m.parse_money(text)


def test_a_sum_of_amounts_is_exact():
    # 0.1 + 0.2 in floats is 0.30000000000000004; in fen it is 30
    assert m.parse_money("0.10") + m.parse_money("0.20") == m.parse_money("0.30") == 30


def test_money_is_shown_with_two_decimals():
    assert m.format_money(1234567) == "12,345.67 元"
    assert m.format_money(1000000) == "10,000.00 元"
    assert m.format_money(5) == "0.05 元"


# ---------------------------------------------------------------- routing (001 二 7)

@pytest.mark.parametrize("amount, route, owners", [
    ("0.01", "village", ["village"]),
    ("9,999.99", "village", ["village"]),
    ("10,000", "village_file", ["village", "township"]),  # the edge belongs to the higher band
    ("29,999.99", "village_file", ["village", "township"]),
    ("30,000", "township_review", ["village", "township"]),
    ("30,000.01", "township_review", ["village", "township"]),
    ("99,999.99", "township_review", ["village", "township"]),
    ("100,000", "township_decide", ["village", "township", "county_reviewer"]),
    ("100,000.01", "township_decide", ["village", "township", "county_reviewer"]),
    ("300,000", "township_decide", ["village", "township", "county_reviewer"]),
])
def test_route_by_amount_at_every_boundary(amount, route, owners):
    r = m.route_for(m.parse_money(amount), TOWN)
    assert r.id == route
    assert [s.owner_role for s in r.steps] == owners
    assert r.source == "001_ce2f6b89bf5be0ba.txt › 二、实施内容 7"


def route(band_id):
    return m.route_of_band(TOWN.band(band_id))


def test_routes_name_their_steps_in_order():
    village_file = route("village_file")
    assert [(s.id, s.label) for s in village_file.steps] == [("village_decide", "村（社区）确定"),
                                                             ("township_file", "报镇党委备案")]
    big = route("township_decide")
    assert big.label == "10万元以上：由镇党委确定后报区级备案"
    assert [s.label for s in big.steps] == ["村（社区）研究上报", "镇党委确定", "报区（县）级备案"]
    assert big.after("village_report").id == "township_decide" and big.after("district_file") is None
    assert route("village").label == "1万元以下：由村（社区）直接确定"
    assert route("township_review").steps[-1].label == "镇党委审核"


@pytest.mark.parametrize("amount", ["0.01", "1,000", "9,999.99", "300,000", "1,000,000"])
def test_seed_000_has_one_chain_through_the_street_whatever_the_amount(amount):
    r = m.route_for(m.parse_money(amount), STREET)
    assert r.id == "street" and r.source == "000_7a80efa72703d9ff.txt › 二、活动步骤 2"
    assert [(s.id, s.owner_role) for s in r.steps] == [
        ("village_agree", "village"), ("street_office_review", "township"), ("street_leader_review", "township"),
        ("street_committee_approve", "township")]
    assert m.check_quota(program=STREET, size="large", budget_fen=m.parse_money(amount), others=[]) == ([], [])


def quota(**kw):
    """Refusals and warnings as rule words."""
    refusals, warnings = m.check_quota(program=TOWN, **kw)
    return rules_of(refusals), [w.rule for w in warnings]


# ---------------------------------------------------------------- yearly limits (001 二 5)

def test_one_larger_item_up_to_300000_as_a_rule():
    assert quota(size="large", budget_fen=m.yuan(300_000), others=[]) == ([], [])
    refusals, warnings = m.check_quota(program=TOWN, size="large", budget_fen=m.yuan(300_000) + 1, others=[])
    assert refusals == []  # “原则上”: a warning the township may override (统筹调剂)
    assert [w.rule for w in warnings] == ["相对较大事项单个金额原则上在30万元以内：本项目预算 300,000.01 元，超出 0.01 元"]
    assert warnings[0].source == "001_ce2f6b89bf5be0ba.txt › 二、实施内容 5" and warnings[0].override_role == "township"
    assert "统筹调剂" in warnings[0].override_wording
    assert m.with_override(m.route_for(m.yuan(300_000) + 1, TOWN), warnings).steps[0].id == m.OVERRIDE_STEP


def test_a_second_larger_item_in_the_year_is_refused():
    others = [m.YearItem("文化广场改造", "large", m.yuan(250_000))]
    assert quota(size="large", budget_fen=m.yuan(50_000), others=others) == (
        ["每个村（社区）每年可实施1个相对较大民生事项，本年度已有“文化广场改造”"], [])
    # small items are not affected by the large one
    assert quota(size="small", budget_fen=m.yuan(200_000), others=others) == ([], [])


def test_small_items_together_up_to_200000_as_a_rule():
    others = [m.YearItem("路灯", "small", m.yuan(150_000)), m.YearItem("广场", "large", m.yuan(280_000))]
    assert quota(size="small", budget_fen=m.yuan(50_000), others=others) == ([], [])
    refusals, warnings = quota(size="small", budget_fen=m.yuan(50_000) + 1, others=others)
    assert refusals == [] and len(warnings) == 1
    assert "已申报 150,000.00 元，加上本项目 50,000.01 元 共 200,000.01 元，超出 0.01 元" in warnings[0]
    assert "微小民生事项本年度总金额原则上在20万元以内" in warnings[0]


# ---------------------------------------------------------------- the application (000 附件1)

def test_a_complete_application_reads_whole():
    reading = m.read_application(FORM)
    assert reading.problems == []
    a = reading.application
    assert a.budget_fen == 860000 and a.size == "small" and a.start_date == date(2026, 4, 1)
    assert [x.kind for x in a.members] == ["party_member", "representative"]
    assert len(a.households) == 5 and all(h.signed for h in a.households)
    assert [(s.item, s.category, s.amount_fen) for s in a.spending] == [("LED路灯", "materials", 720000),
                                                                      ("电缆及配件", "materials", 140000)]


def test_four_households_are_refused_with_the_rule():
    form = {**FORM, "households": "\n".join(HOUSEHOLDS.splitlines()[:4])}
    reading = m.read_application(form)
    assert reading.application is None
    assert rules_of(reading.problems) == ["服务项目关联群众户签名不少于5户，现有签名 4 户"]
    assert reading.problems[0].source == "000_7a80efa72703d9ff.txt › 附件1"
    assert str(reading.problems[0]) == "服务项目关联群众户签名不少于5户，现有签名 4 户（依据：000_7a80efa72703d9ff.txt › 附件1）"


def test_an_unsigned_household_does_not_count_and_is_named_by_line():
    lines = HOUSEHOLDS.splitlines()
    lines[2] = lines[2].replace("已签", "未签")
    reading = m.read_application({**FORM, "households": "\n".join(lines)})
    assert rules_of(reading.problems) == ["群众户第 3 行“户主3”未签名：关联群众户须本人签名",
                                          "服务项目关联群众户签名不少于5户，现有签名 4 户"]


def test_household_lines_are_parsed_strictly_with_line_numbers():
    text = HOUSEHOLDS + "\n\n王五 123 已签\n赵六 13905169999\n户主1 13905161001 已签"
    reading = m.read_application({**FORM, "households": text})
    assert rules_of(reading.problems) == ["群众户第 7 行“王五”的电话“123”格式不对",
                                          "群众户第 8 行应写作“户主姓名 电话 已签/未签”",
                                          "群众户第 9 行与第 1 行重复"]


def test_every_missing_field_is_reported_at_once():
    reading = m.read_application({})
    fields = [p.field for p in reading.problems]
    for name in ("name", "size", "lead_name", "lead_phone", "description", "scale", "expected_effect",
                 "fund_source", "budget", "start_date", "finish_date", "members", "households", "spending"):
        assert name in fields, name
    assert all(p.source for p in reading.problems)


def test_dates_in_order_and_valid_phone():
    reading = m.read_application({**FORM, "start_date": "2026-05-02", "finish_date": "2026-05-01",
                                  "lead_phone": "1390516"})
    assert rules_of(reading.problems) == ["牵头人的联系电话“1390516”格式不对（手机 11 位，或 0516-1234567）",
                                          "完成时间 2026-05-01 早于实施时间 2026-05-02"]
    assert m.read_application({**FORM, "finish_date": "2026-04-01"}).problems == []  # the same day is fine


def test_members_name_phone_and_kind():
    reading = m.read_application({**FORM, "members": "张卫东 13905160001 群众\n李红梅"})
    assert rules_of(reading.problems) == ["参与党员第 1 行“张卫东”的身份“群众”应为“党员”或“村民代表”",
                                          "参与党员第 2 行应写作“姓名 电话 党员/村民代表”"]


# ---------------------------------------------------------------- spending only on materials (000 三 3)

@pytest.mark.parametrize("line, words", [
    ("工人 劳务 1,000", "类别为“劳务工资”：专项经费只能用于实事项目购买原材料等必要开支，原则上用工应组织党员群众无偿服务，劳务工资不在其中列支"),
    ("施工队 工资 1,000", "劳务工资不在其中列支"),
    ("节日 补贴 1,000", "更不得用于发放补助慰问"),
    ("困难户 补助 1,000", "更不得用于发放补助慰问"),
    ("外地 差旅 1,000", "更不得用于……组织外出学习等"),
    ("参观 考察 1,000", "更不得用于……组织外出学习等"),
    ("工人工资 材料 1,000", "写有“工资”"),
    ("劳务费 材料 1,000", "写有“劳务”"),
    ("党员慰问品 材料 1,000", "写有“慰问”"),
    ("考察车费 材料 1,000", "写有“考察”"),
    ("差旅费 材料 1,000", "写有“差旅”"),
])
def test_wages_allowances_and_trips_are_refused(line, words):
    lines, problems = m.read_spending(line)
    assert lines == [] and len(problems) == 1
    assert words in problems[0].rule and problems[0].rule.startswith("经费明细第 1 行")
    assert problems[0].source == "000_7a80efa72703d9ff.txt › 三、活动要求 3"


def test_spending_lines_and_the_budget_total():
    lines, problems = m.read_spending("LED 路灯 材料 7,200.00\n人工草坪 材料 100")
    assert problems == [] and [x.item for x in lines] == ["LED 路灯", "人工草坪"]  # 人工草坪 is a material
    reading = m.read_application({**FORM, "budget": "8,600.01"})
    assert rules_of(reading.problems) == ["经费预算明细合计 8,600.00 元，与经费预算 8,600.01 元 不一致"]
    _lines, bad = m.read_spending("水泥 材料\n沙子 石料 100\n砖 材料 1.234")
    assert rules_of(bad)[0] == "经费明细第 1 行应写作“品名 类别 金额”，如“水泥 材料 1,200.00”"
    assert "类别“石料”不认识" in rules_of(bad)[1]
    assert rules_of(bad)[2].startswith("经费明细第 3 行：金额“1.234”格式不对")


def test_wages_in_a_whole_application_are_reported_with_everything_else():
    form = {**FORM, "spending": "LED路灯 材料 7,200.00\n安装工人工资 劳务 1,400", "households": ""}
    reading = m.read_application(form)
    assert reading.application is None
    assert [p.field for p in reading.problems] == ["households", "spending"]


# ---------------------------------------------------------------- notices (000 二 4, 003 三 (二))

def test_completion_notice_is_at_least_5_working_days():
    notice = STREET.notice("completion")
    assert m.check_notice_days(notice, 5) == [] and m.check_notice_days(notice, 10) == []
    problems = m.check_notice_days(notice, 4)
    assert rules_of(problems) == ["项目完成情况公示不少于5个工作日，填写的是 4 个工作日"]
    assert problems[0].source == "000_7a80efa72703d9ff.txt › 二、活动步骤 4"


def test_seed_001_item_notice_period_is_a_county_setting():
    notice = TOWN.notice("item")
    assert notice.when == "事项确定后" and notice.period.setting and notice.period.source is None
    problems = m.check_notice_days(notice, 4)
    assert rules_of(problems) == ["事项公示不少于5个工作日，填写的是 4 个工作日（期限为县级设定，原文未规定）"]
    assert problems[0].source == "001_ce2f6b89bf5be0ba.txt › 二、实施内容 7"
    assert m.read_working_days("", notice) == (5, [])
    assert m.read_working_days("abc", notice)[1][0].rule == "公示天数应为 1–60 之间的整数（工作日），填写的是“abc”"


COMPLETION = {"spent": "8,450.50", "details": "更换路灯 12 盏", "village_lead": "王书记", "village_phone": "13905160009",
              "notice_start": "2026-04-30", "working_days": "5"}


def test_completion_form_needs_photos_before_and_after_under_seed_000():
    notice = STREET.notice("completion")
    c, problems = m.read_completion(COMPLETION, before=1, after=1, today=date(2026, 4, 30), notice=notice)
    assert problems == [] and c.spent_fen == 845050 and c.working_days == 5 and c.notice_start == date(2026, 4, 30)
    _c, problems = m.read_completion(COMPLETION, before=0, after=0, today=date(2026, 4, 30), notice=notice)
    assert rules_of(problems) == ["请上传项目实施之前照片（至少 1 张）", "请上传项目完成之后照片（至少 1 张）"]
    assert {p.source for p in problems} == {"000_7a80efa72703d9ff.txt › 附件2"}
    # seed 001 asks for no photos
    assert m.read_completion(COMPLETION, before=0, after=0, today=date(2026, 4, 30),
                             notice=TOWN.notice("completion"))[1] == []


def test_completion_form_refuses_4_working_days_and_a_backdated_start():
    _c, problems = m.read_completion({**COMPLETION, "working_days": "4", "notice_start": "2026-04-29"},
                                     before=1, after=1, today=date(2026, 4, 30), notice=STREET.notice("completion"))
    assert rules_of(problems) == ["公示开始日期 2026-04-29 早于今天 2026-04-30，公示不能补记",
                                  "项目完成情况公示不少于5个工作日，填写的是 4 个工作日"]


# ---------------------------------------------------------------- satisfaction (001 二 7)

def test_satisfaction_rate_is_computed():
    s, problems = m.read_satisfaction("50", "44")
    assert problems == [] and s.rate == 88.0 and s.words() == "44/50 = 88.0%"
    assert m.read_satisfaction("3", "2")[0].rate == 66.7


@pytest.mark.parametrize("r, s, rule", [
    ("0", "0", "参与测评人数至少为 1"),
    ("10", "11", "满意人数 11 不能多于参与测评人数 10"),
    ("", "5", "请填写参与测评人数"),
    ("10", "8.5", "满意人数应为整数，填写的是“8.5”"),
])
def test_satisfaction_refuses_impossible_counts(r, s, rule):
    assert rule in rules_of(m.read_satisfaction(r, s)[1])


# ---------------------------------------------------------------- the fund (000 二 1)

def test_each_member_controls_200_yuan():
    assert STREET.fund_per_member_fen == 20000 and TOWN.fund is None  # seed 001 gives members no fund
    assert m.check_commitment(20000, m.remaining(20000, 0)) == []
    assert m.check_commitment(5000, m.remaining(20000, 15000)) == []
    problems = m.check_commitment(5001, m.remaining(20000, 15000), member="张卫东")
    assert rules_of(problems) == ["每名党员、村（居）民代表的微服务资金支配额度为 200 元，张卫东本年度剩余 50.00 元，不能支配 50.01 元"]
    assert problems[0].source == "000_7a80efa72703d9ff.txt › 二、活动步骤 1"
    assert rules_of(m.check_commitment(0, 20000)) == ["出资金额应大于 0"]


# ---------------------------------------------------------------- the project's life

def test_illegal_transitions_are_named():
    assert m.transition_error("start", "approved") is None
    assert m.transition_error("start", "applied") == "项目当前状态为“审批中”，不能开工（须为“已批准”）"
    assert m.transition_error("archive", "started") == "项目当前状态为“实施中”，不能归档（须为“已评价”或“验收中”）"
    assert m.transition_error("acceptance", "started") == "项目当前状态为“实施中”，不能开始验收（须为“完工公示中”或“验收中”）"
