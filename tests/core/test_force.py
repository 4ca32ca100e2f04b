"""Checklist force: advisory wording from the source, optional items, consequences, the score rule."""
from textwrap import dedent

import pytest

from inspector.core import scoring
from inspector.core.checklist import ChecklistError, parse_text

S = "002_a83f9f6db4fc39eb.txt › 篇六 附件1"


def spec(items: str, top: str = ""):
    """A checklist with these items (YAML lines at six spaces) and extra top-level lines."""
    head = [
        "id: t", "title: 测试", 'version: "1"', f'source: "{S}"', "purposes: [inspection]", *top.splitlines(),
        "tiers:", f'  - {{id: demo, name: 示范村, subsidy: 1000000, source: "{S}"}}',
        f'  - {{id: upgrade, name: 改扩建, subsidy: 200000, source: "{S}"}}',
        "sections:", "  - id: s", "    title: 一", "    items:"]
    body = [line.strip() for line in dedent(items).splitlines() if line.strip()]
    return parse_text("\n".join(head + ["      " + line for line in body]) + "\n", "t.yaml")


def test_advisory_words_must_be_the_sources_own():
    with pytest.raises(ChecklistError, match="不在条目原文 text 中"):
        spec('      - {id: a, text: 设在一楼, kind: check, advisory: 一般应, source: "' + S + '"}\n')
    ok = spec('      - {id: a, text: 大厅一般应设在一楼, kind: check, advisory: 一般应, source: "' + S + '"}\n')
    assert ok.by_id["a"].force("demo") == "advisory"


def test_an_item_is_never_advisory_and_critical_at_one_tier_and_tier_keys_are_checked():
    with pytest.raises(ChecklistError, match="既是 advisory 又是 critical"):
        spec('      - {id: a, text: 面积, kind: check, critical: [upgrade], advisory: {upgrade: 参照}, source: "'
             + S + '"}\n')
    with pytest.raises(ChecklistError, match="advisory 的键 'gold'"):
        spec('      - {id: a, text: 面积, kind: check, advisory: {gold: 参照}, source: "' + S + '"}\n')
    per_tier = spec('      - {id: a, text: 面积, kind: check, critical: [demo], advisory: {upgrade: 参照}, source: "'
                    + S + '"}\n')
    assert (per_tier.by_id["a"].force("demo"), per_tier.by_id["a"].force("upgrade")) == ("mandatory", "advisory")


def test_consequences_belong_to_mandatory_items_only():
    with pytest.raises(ChecklistError, match="必须是必备要求"):
        spec('      - {id: a, text: 会议记录, kind: document, optional: true, consequence: evidence, source: "'
             + S + '"}\n')
    with pytest.raises(ChecklistError, match="optional"):
        spec('      - {id: a, text: 超市, kind: check, optional: true, critical: true, source: "' + S + '"}\n')


def test_evidence_refuse_optional_and_advisory_in_the_verdict():
    s = spec(f"""\
          - {{id: doc, text: 会议记录, kind: document, consequence: evidence, source: "{S}"}}
          - {{id: change, text: 擅自更改, kind: check, consequence: refuse, source: "{S}"}}
          - {{id: room, text: 惠民超市, kind: check, optional: true, weight: 0, source: "{S}"}}
          - {{id: floor, text: 一般应设在一楼, kind: check, advisory: 一般应, source: "{S}"}}
        """)
    good = {"doc": "present", "change": "pass", "room": "fail", "floor": "pass"}
    assert scoring.evaluate(s, good, tier="demo", site_type="village").verdict == "pass"  # optional room absent
    missing = scoring.evaluate(s, good | {"doc": "missing"}, tier="demo", site_type="village")
    assert (missing.verdict, missing.missing_evidence) == ("fail", ("doc",))
    refused = scoring.evaluate(s, good | {"change": "fail", "doc": "missing"}, tier="demo", site_type="village")
    assert (refused.verdict, refused.refusals) == ("refused", ("change",))
    advisory = scoring.evaluate(s, good | {"floor": "fail"}, tier="demo", site_type="village")
    assert (advisory.verdict, advisory.unexplained, advisory.failed) == ("incomplete", ("floor",), ())
    noted = scoring.evaluate(s, good | {"floor": "fail"}, tier="demo", site_type="village", notes={"floor": "二楼有电梯"})
    assert (noted.verdict, noted.advisory_failed) == ("pass", ("floor",))
    with pytest.raises(scoring.AnswerError, match="必须收集齐"):
        scoring.normalize(s.by_id["doc"], "na")


def test_a_score_rule_needs_its_source_and_keeps_its_old_meaning():
    with pytest.raises(ChecklistError, match="pass_score_source"):
        spec(f'      - {{id: a, text: 面积, kind: check, source: "{S}"}}\n', top="pass_score: 80")
    scored = spec(f"""\
          - {{id: a, text: 面积, kind: check, source: "{S}"}}
          - {{id: b, text: 牌子, kind: check, source: "{S}"}}
          - {{id: c, text: 国旗, kind: check, source: "{S}"}}
          - {{id: d, text: 门牌, kind: check, source: "{S}"}}
          - {{id: e, text: 标识, kind: check, source: "{S}"}}
        """, top='pass_score: 80\npass_score_source: "县级设定"')
    out = scoring.evaluate(scored, {"a": "fail", "b": "pass", "c": "pass", "d": "pass", "e": "pass"}, tier="demo",
                           site_type="village")
    assert (out.verdict, out.score, out.rule) == ("pass", 80.0, "score")
    assert "不低于 80 分" in scored.decision_rule and "县级设定" in scored.decision_rule
