"""Scoring: per-item results, weighted score, vetoes, gates, the approved category, rectification list."""
from textwrap import dedent

import pytest
from hypothesis import given, settings, strategies as st

from inspector.core import scoring
from inspector.core.checklist import parse_text

S = "002_a83f9f6db4fc39eb.txt › 篇六 附件1"
SPEC = parse_text(dedent(f"""\
    id: t
    title: 测试
    version: "1"
    source: "{S}"
    purposes: [inspection]
    pass_score: 80
    pass_score_source: 县级设定
    tiers:
      - {{id: demo, name: 示范村, subsidy: 1000000, source: "{S}"}}
      - {{id: standard, name: 达标村, subsidy: 600000, source: "{S}"}}
      - {{id: upgrade, name: 改扩建, subsidy: 200000, source: "{S}"}}
    sections:
      - id: s
        title: 一
        items:
          - {{id: gate, text: 运行满一年, kind: measure, unit: years, rule: ">= 1 years", gate: true, weight: 0, source: "{S}"}}
          - {{id: area, text: 面积, kind: measure, unit: m2, rule: {{demo: ">= 600 m2", standard: ">= 400 m2", upgrade: ">= 400 m2"}}, critical: [demo, standard], source: "{S}"}}
          - {{id: community-area, text: 使用面积, kind: measure, unit: m2, rule: {{demo/community: ">= 1000 m2"}}, applies_to: community, tiers: [demo], source: "{S}"}}
          - {{id: screen, text: 电子显示屏, kind: check, tiers: [demo], source: "{S}"}}
          - {{id: plaque, text: 牌匾, kind: dimensions, unit: cm, rule: "35 x 24 cm ± 0.5", dimension_labels: [长, 宽], critical: true, source: "{S}"}}
          - {{id: households, text: 受益户, kind: count, unit: households, rule: ">= 5 households", source: "{S}"}}
          - {{id: satisfied, text: 满意率, kind: rate, rule: "rate >= 90%", source: "{S}"}}
          - {{id: point, text: 综合服务站点, kind: choice, options: [{{value: shop, label: 农资超市, pass: true}}, {{value: none, label: 无, pass: false}}], source: "{S}"}}
          - {{id: docs, text: 会议记录, kind: document, source: "{S}"}}
          - {{id: remark, text: 备注, kind: text, weight: 0, source: "{S}"}}
    """), "t.yaml")

GOOD = {"gate": 2, "area": 650, "community-area": 1200, "screen": "pass", "plaque": [35, 24], "households": 6,
        "satisfied": {"respondents": 50, "satisfied": 46}, "point": "shop", "docs": "present", "remark": "好"}


def ev(answers, tier="standard", site_type="village"):
    return scoring.evaluate(SPEC, answers, tier=tier, site_type=site_type)


def test_everything_met_passes_with_100():
    out = ev(GOOD)
    assert (out.verdict, out.score, out.vetoes, out.open_items) == ("pass", 100.0, (), ())


def test_measure_judged_fail_with_the_shortfall_in_words():
    j = scoring.judge(SPEC.by_id["area"], 385, tier="standard", site_type="village")
    assert j.result == "fail" and j.shortfall == 15
    assert j.detail == "实测 385 m²，要求 ≥ 400 m²，差 15 m²"
    assert scoring.judge(SPEC.by_id["area"], 385, tier="demo", site_type="village").shortfall == 215


def test_the_same_area_meets_standard_but_not_demo():
    assert ev(GOOD | {"area": 450}).verdict == "pass"
    demo = ev(GOOD | {"area": 450}, tier="demo")
    assert demo.verdict == "vetoed" and demo.vetoes == ("area",)


def test_critical_fail_vetoes_even_with_a_high_score():
    out = ev(GOOD | {"plaque": [36, 24]})
    assert out.verdict == "vetoed" and out.vetoes == ("plaque",)
    assert out.score > 80


def test_area_is_advisory_for_upgrade():
    out = ev(GOOD | {"area": 300}, tier="upgrade")
    assert out.vetoes == () and out.failed == ("area",)
    assert out.score == pytest.approx(100 * 5 / 6, abs=0.01)  # a shortfall costs its point, no veto
    assert out.verdict == "pass"


def test_failed_gate_makes_the_site_ineligible():
    out = ev(GOOD | {"gate": 0.5})
    assert out.verdict == "ineligible" and out.gates_failed == ("gate",)
    assert out.score == 100.0  # gates are preconditions, not points


def test_rate_is_computed_from_counts():
    j = scoring.judge(SPEC.by_id["satisfied"], {"respondents": 50, "satisfied": 44}, tier=None, site_type="village")
    assert (j.result, round(j.rate, 1)) == ("fail", 88.0)
    assert "44/50 = 88.0%" in j.detail


def test_not_applicable_is_left_out_of_the_score():
    out = ev(GOOD | {"households": "na", "docs": "missing"})
    assert out.judgements["households"].result == "na"
    assert out.score == pytest.approx(100 * 4 / 5)


def test_items_for_other_tiers_and_site_types_do_not_apply():
    out = ev({k: v for k, v in GOOD.items() if k not in ("screen", "community-area")})
    assert out.verdict == "pass"
    demo_community = ev({k: v for k, v in GOOD.items() if k != "community-area"}, tier="demo", site_type="community")
    assert demo_community.open_items == ("community-area",)


def test_unanswered_items_keep_the_verdict_incomplete():
    out = ev({"gate": 2, "area": 650})
    assert out.verdict == "incomplete" and "plaque" in out.open_items
    assert out.answered == 2


def test_nothing_scored_is_not_a_pass():
    assert ev({}).verdict == "incomplete"


def test_the_approved_category_alone_decides_the_subsidy_never_a_fallback():
    """Replaces the old "highest tier met" advice (issue 13): a category is approved, not earned."""
    from inspector.core.decision import Approval, decide

    def acc(answers, category):
        return decide(SPEC, answers, purpose="completion_acceptance", tier=category, site_type="village",
                      approval=Approval(category, "沛组发〔2026〕8号", "2026-03-02"))
    assert acc(GOOD | {"area": 650}, "standard").subsidy == 600000  # builds to demo size: paid as standard
    assert "示范村" in " ".join(acc(GOOD | {"area": 650}, "standard").info)  # shown as information only
    assert acc(GOOD | {"area": 650}, "demo").subsidy == 1000000
    failed_demo = acc(GOOD | {"area": 450}, "demo")
    assert (failed_demo.passed, failed_demo.subsidy) == (False, 0)  # not paid as a standard village
    failed_standard = acc(GOOD | {"area": 350}, "standard")
    assert (failed_standard.verdict, failed_standard.subsidy) == ("vetoed", 0)  # no upgrade money
    assert acc(GOOD | {"plaque": [30, 20]}, "standard").subsidy == 0


def test_rectification_list_puts_critical_items_first_with_the_requirement():
    out = ev(GOOD | {"households": 4, "plaque": [34, 24], "area": 385})
    items = scoring.rectifications(SPEC, out, site_type="village")
    assert [r.item_id for r in items] == ["area", "plaque", "households"]
    assert items[0].requirement == "≥ 400 m²" and items[0].shortfall == 15 and items[0].source == S
    assert items[2].finding == "实测 4 户，要求 ≥ 5 户，差 1 户"


@pytest.mark.parametrize("item_id, raw, message", [
    ("area", "四百", "应为数字"), ("area", -5, "不能为负数"), ("area", "nan", "有限"),
    ("households", 4.5, "整数"), ("plaque", [35], "两个数"),
    ("satisfied", {"respondents": 10, "satisfied": 11}, "不能多于"),
    ("satisfied", {"respondents": 0, "satisfied": 0}, "大于 0"),
    ("point", "bank", "选项应为"), ("screen", "yes", "答案应为"), ("docs", "pass", "答案应为"),
])
def test_bad_answers_are_refused_with_the_reason(item_id, raw, message):
    with pytest.raises(scoring.AnswerError, match=message):
        scoring.normalize(SPEC.by_id[item_id], raw)


def test_answers_are_normalized_from_form_text():
    assert scoring.normalize(SPEC.by_id["area"], " 412,5 ") == 412.5
    assert scoring.normalize(SPEC.by_id["households"], "6") == 6
    assert scoring.normalize(SPEC.by_id["plaque"], ["35", ""]) == [35.0, None]
    assert scoring.normalize(SPEC.by_id["area"], "") is None
    assert scoring.normalize(SPEC.by_id["area"], "na") == "na"


# ---- properties ------------------------------------------------------------------------------

def _value(item_id, passing):
    bad = {"gate": 0.5, "area": 100, "community-area": 10, "screen": "fail", "plaque": [10, 10],
           "households": 1, "satisfied": {"respondents": 10, "satisfied": 1}, "point": "none",
           "docs": "missing", "remark": "差"}
    return GOOD[item_id] if passing else bad[item_id]


ITEM_IDS = [i.id for i in SPEC.items()]
answer_sets = st.dictionaries(st.sampled_from(ITEM_IDS), st.booleans())
tiers = st.sampled_from(["demo", "standard", "upgrade"])
types = st.sampled_from(["village", "community"])


@settings(max_examples=300, deadline=None)
@given(answer_sets, st.sampled_from(ITEM_IDS), tiers, types)
def test_turning_a_fail_into_a_pass_never_lowers_the_score(flags, item_id, tier, site_type):
    before = ev({k: _value(k, ok) for k, ok in (flags | {item_id: False}).items()}, tier, site_type)
    after = ev({k: _value(k, ok) for k, ok in (flags | {item_id: True}).items()}, tier, site_type)
    assert (after.score or 0) >= (before.score or 0)


@settings(max_examples=300, deadline=None)
@given(answer_sets, tiers, types)
def test_a_critical_fail_always_vetoes(flags, tier, site_type):
    out = ev({k: _value(k, ok) for k, ok in (flags | {"plaque": False}).items()}, tier, site_type)
    assert "plaque" in out.vetoes and out.verdict in ("vetoed", "ineligible")


@settings(max_examples=200, deadline=None)
@given(answer_sets, tiers, types)
def test_score_stays_between_0_and_100_and_pass_needs_the_pass_mark(flags, tier, site_type):
    out = ev({k: _value(k, ok) for k, ok in flags.items()}, tier, site_type)
    assert out.score is None or 0 <= out.score <= 100
    if out.verdict == "pass":
        assert out.score >= SPEC.pass_score and not out.vetoes and not out.open_items
