"""The loader: real checklists load; each kind of broken file gets a precise error."""
from pathlib import Path
from textwrap import dedent

import pytest

from inspector import create_app
from inspector.core import checklist
from inspector.core.checklist import ChecklistError, load_dir, parse_text

ROOT = Path(__file__).resolve().parents[2]
SRC = "002_a83f9f6db4fc39eb.txt › 篇六 附件1"

HEAD = dedent(f"""\
    id: t
    title: 测试清单
    version: "1"
    source: "{SRC}"
    purposes: [inspection]
    pass_score: 80
    pass_score_source: 县级设定
    tiers:
      - {{id: demo, name: 示范村, subsidy: 1000000, source: "{SRC}"}}
      - {{id: standard, name: 达标村, subsidy: 600000, source: "{SRC}"}}
    sections:
      - id: s1
        title: 一、场所
        items:
          - id: area
            text: 建筑面积
            kind: measure
            unit: m2
            rule: {{demo: ">= 600 m2", standard: ">= 400 m2"}}
            critical: [demo, standard]
            source: "{SRC}"
    """)


def problems_of(extra_item: str) -> list[checklist.Problem]:
    """Problems of the good head plus one more item (YAML text, indented as an item)."""
    text = HEAD + "".join("      " + line + "\n" for line in dedent(extra_item).splitlines())
    with pytest.raises(ChecklistError) as info:
        parse_text(text, "checklists/t.yaml")
    return info.value.problems


def test_real_checklists_all_load_and_cite_a_known_seed(specs):
    # service-project: the site visit of seed 003's district evaluation (issue 17 asks for its own checklist)
    # micro-project (seed 000 荷花街道) and micro-project-zhengfang (seed 001): each scheme its own checklist
    assert set(specs) == {"build-standard", "function-rooms", "red-landmark", "micro-project",
                          "micro-project-zhengfang", "service-ledger", "service-project"}
    for spec in specs.values():
        assert spec.items(), spec.id
        for item in spec.items():
            assert item.source.split(" › ")[0] in checklist.SEEDS, (spec.id, item.id)


def test_the_good_head_is_valid():
    spec = parse_text(HEAD, "t.yaml")
    assert spec.by_id["area"].rule_for("demo", "village").threshold == 600


def test_missing_field_names_file_line_item_and_field():
    [p] = problems_of("""\
        - id: hall
          kind: check
          source: "002_a83f9f6db4fc39eb.txt › 篇六 附件1"
        """)
    assert (p.file, p.line, p.item) == ("checklists/t.yaml", 22, "hall")
    assert "text" in p.message and "缺少字段" in p.message
    assert str(p).startswith("checklists/t.yaml:22: 条目 hall：")


def test_unknown_kind_lists_the_allowed_kinds():
    [p] = problems_of("""\
        - id: hall
          text: 便民服务大厅
          kind: measur
          source: "002_a83f9f6db4fc39eb.txt › 篇六 附件1"
        """)
    assert p.item == "hall" and p.line == 24
    assert "'measur'" in p.message and "measure" in p.message


def test_bad_rule_says_how_it_should_look():
    [p] = problems_of("""\
        - id: hall
          text: 便民服务大厅面积
          kind: measure
          unit: m2
          rule: "at least 50 m2"
          source: "002_a83f9f6db4fc39eb.txt › 篇六 附件1"
        """)
    assert p.item == "hall" and p.line == 26
    assert "无法解析规则" in p.message and ">= 400 m2" in p.message


def test_duplicate_id_points_at_the_second_and_the_first():
    [p] = problems_of("""\
        - id: area
          text: 面积
          kind: check
          source: "002_a83f9f6db4fc39eb.txt › 篇六 附件1"
        """)
    assert p.item == "area" and p.line == 22
    assert "重复" in p.message and "第 15 行" in p.message


@pytest.mark.parametrize("unit, rule, words", [
    ("m3", ">= 50 m3", "未知单位"),
    ("m2", ">= 50 cm", "不一致"),
    ("households", ">= 50 households", "测量单位"),
])
def test_wrong_unit_is_refused(unit, rule, words):
    problems = problems_of(f"""\
        - id: hall
          text: 便民服务大厅面积
          kind: measure
          unit: {unit}
          rule: "{rule}"
          source: "002_a83f9f6db4fc39eb.txt › 篇六 附件1"
        """)
    assert any(p.item == "hall" and words in p.message for p in problems), problems


def test_tier_not_declared_is_refused():
    [p] = problems_of("""\
        - id: hall
          text: 面积
          kind: measure
          unit: m2
          rule: {premium: ">= 50 m2"}
          source: "002_a83f9f6db4fc39eb.txt › 篇六 附件1"
        """)
    assert p.item == "hall" and "'premium'" in p.message


@pytest.mark.parametrize("source, words", [("某文件", "种子文件名 › 条款"),
                                            ("009_a83f9f6db4fc39eb.txt › 篇六", "不是已知的标准原文")])
def test_source_must_name_a_known_seed_and_a_clause(source, words):
    [p] = problems_of(f"""\
        - id: hall
          text: 面积
          kind: check
          source: "{source}"
        """)
    assert p.item == "hall" and words in p.message


def test_yaml_syntax_error_names_the_line():
    with pytest.raises(ChecklistError) as info:
        parse_text(HEAD + "      - id: [unclosed\n", "t.yaml")
    [p] = info.value.problems
    assert p.line is not None and p.line >= 22 and "YAML" in p.message


def test_duplicate_yaml_key_is_not_silently_dropped():
    [p] = problems_of("""\
        - id: hall
          text: 面积
          text: 大厅
          kind: check
          source: "002_a83f9f6db4fc39eb.txt › 篇六 附件1"
        """)
    assert p.line == 24 and "重复的键" in p.message


def test_every_problem_is_reported_at_once():
    problems = problems_of("""\
        - id: a1
          text: 面积
          kind: measur
          source: "002_a83f9f6db4fc39eb.txt › 篇六 附件1"
        - id: a2
          kind: check
          source: "002_a83f9f6db4fc39eb.txt › 篇六 附件1"
        - id: a3
          text: 牌匾
          kind: dimensions
          unit: cm
          rule: "35 x 24 m2"
          source: "002_a83f9f6db4fc39eb.txt › 篇六 附件1"
        """)
    assert [p.item for p in problems] == ["a1", "a2", "a3"]


def test_validate_command_prints_every_problem_and_exits_1(tmp_path, capsys):
    (tmp_path / "good.yaml").write_text(HEAD, encoding="utf-8")
    bad = HEAD.replace("id: t\n", "id: t2\n").replace("kind: measure", "kind: measur")
    (tmp_path / "bad.yaml").write_text(bad.replace("pass_score: 80", "pass_score: 180"), encoding="utf-8")
    assert checklist.main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'bad.yaml'}:6:" in out and "pass_score" in out
    assert f"{tmp_path / 'bad.yaml'}:17: 条目 area：" in out
    assert "共 2 个问题" in out


def test_app_refuses_to_start_on_a_bad_checklist(tmp_path):
    (tmp_path / "t.yaml").write_text(HEAD.replace("unit: m2", "unit: m3"), encoding="utf-8")
    with pytest.raises(ChecklistError, match=r"t\.yaml:\d+: 条目 area：.*未知单位"):
        create_app({"CHECKLIST_DIR": str(tmp_path), "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})


def test_duplicate_checklist_ids_across_files(tmp_path):
    (tmp_path / "a.yaml").write_text(HEAD, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(HEAD, encoding="utf-8")
    with pytest.raises(ChecklistError, match="b.yaml.*重复"):
        load_dir(tmp_path)


def test_content_hash_changes_with_a_number_and_survives_a_snapshot():
    spec = parse_text(HEAD, "t.yaml")
    again = checklist.ChecklistSpec.from_snapshot(spec.snapshot())
    assert again.content_hash == spec.content_hash
    changed = parse_text(HEAD.replace(">= 400 m2", ">= 401 m2"), "t.yaml")
    assert changed.content_hash != spec.content_hash


def test_an_about_rule_must_say_who_set_its_band():
    [p] = problems_of("""\
        - id: seats
          text: 面积一般要能满足本村 100 名左右党员群众代表开会需求
          kind: count
          unit: seats
          rule: ">= about 100 seats ± 10"
          source: "002_a83f9f6db4fc39eb.txt › 篇六 附件1"
        """)
    assert p.item == "seats" and p.line == 22  # the item itself
    assert "tolerance_source" in p.message
    [p] = problems_of("""\
        - id: seats
          text: 面积一般要能满足本村 100 名左右党员群众代表开会需求
          kind: count
          unit: seats
          rule: ">= about 100 seats"
          tolerance_source: 县级设定
          source: "002_a83f9f6db4fc39eb.txt › 篇六 附件1"
        """)
    assert p.item == "seats" and "须写明允许偏差" in p.message
