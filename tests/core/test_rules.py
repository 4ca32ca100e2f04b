"""Rules: the text forms a county officer writes, parsed and judged exactly."""
import pytest

from inspector.core import rules


@pytest.mark.parametrize("text, value, holds", [
    (">= 400 m2", 400, True), (">= 400 m2", 399.9, False), ("> 0 m2", 0, False),
    ("<= 300000 CNY", 300000, True), ("<= 300000 CNY", 300001, False), ("< 10000 CNY", 9999, True),
    ("== 3 cm", 3, True), ("== 3 cm", 3.5, False),
])
def test_compare_rules_judge_the_boundary_exactly(text, value, holds):
    unit = text.split()[-1]
    assert rules.parse(text, kind="measure", unit=unit).holds(value) is holds


def test_compare_rule_reports_the_shortfall_in_plain_words():
    rule = rules.parse(">= 400 m2", kind="measure", unit="m2")
    assert rule.shortfall(385) == 15
    assert rule.shortfall(420) == 0
    assert rule.describe() == "≥ 400 m²"


def test_dimensions_rule_allows_the_tolerance_and_no_more():
    rule = rules.parse("35 x 24 cm ± 0.5", kind="dimensions", unit="cm")
    assert rule.holds(35.5, 23.5)
    assert not rule.holds(35.6, 24)
    assert not rule.holds(24, 35)  # the order matters: 长 35 × 宽 24
    assert rule.describe() == "35 × 24 cm（允许偏差 ±0.5 cm）"


def test_rate_rule_is_a_percentage_of_counts():
    rule = rules.parse("rate >= 90%", kind="rate", unit=None)
    assert rule.holds(90.0) and not rule.holds(89.99)
    assert rule.describe() == "比例 ≥ 90%"


def test_count_rule_unit_is_optional_but_must_match():
    assert rules.parse(">= 5 households", kind="count", unit="households").threshold == 5
    assert rules.parse(">= 5", kind="count", unit="households").threshold == 5
    with pytest.raises(rules.RuleError, match="不一致"):
        rules.parse(">= 5 persons", kind="count", unit="households")


@pytest.mark.parametrize("text, kind, unit, message", [
    (">= 400", "measure", "m2", "缺少单位"),
    (">= 400 m3", "measure", "m2", "未知"),
    (">= 400 m", "measure", "m2", "不一致"),
    ("about 400 m2", "measure", "m2", "无法解析"),
    ("35 x 24 m2", "dimensions", "cm", "不是长度单位"),
    ("35 by 24 cm", "dimensions", "cm", "无法解析"),
    ("90%", "rate", None, "无法解析"),
    ("rate >= 120%", "rate", None, "超出"),
    (">= 4.5", "count", None, "整数"),
])
def test_bad_rules_say_what_is_wrong(text, kind, unit, message):
    with pytest.raises(rules.RuleError, match=message):
        rules.parse(text, kind=kind, unit=unit)
