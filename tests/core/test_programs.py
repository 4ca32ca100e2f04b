"""Program definition files: each locality's rules as data, validated with file:line: item: what."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from inspector.core import programs
from inspector.core.checklist import ChecklistError

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "checklists" / "programs"

NEW_TOWN = """\
id: xincheng-town
kind: micro_project
title: 新城镇“微心愿”项目
locality: 新城镇
version: "2027"
source: "001_ce2f6b89bf5be0ba.txt › 二、实施内容 7"
approval:
  source: "001_ce2f6b89bf5be0ba.txt › 二、实施内容 7"
  bands:
    - id: small
      label: 5万元以下：村（社区）确定
      below_yuan: 50000
      source: "001_ce2f6b89bf5be0ba.txt › 二、实施内容 7"
      steps:
        - {id: village_decide, role: village, label: 村（社区）确定, source: "001_ce2f6b89bf5be0ba.txt › 二、实施内容 7"}
    - id: big
      label: 5万元以上：镇党委审核
      from_yuan: 50000
      source: "001_ce2f6b89bf5be0ba.txt › 二、实施内容 7"
      steps:
        - {id: village_report, role: village, label: 村（社区）上报, source: "001_ce2f6b89bf5be0ba.txt › 二、实施内容 7"}
        - {id: township_review, role: township, label: 镇党委审核, source: "001_ce2f6b89bf5be0ba.txt › 二、实施内容 7"}
limits:
  - id: item-max
    label: 单个事项金额
    size: any
    measure: item_budget
    max: 80000
    force: hard
    wording: 单个事项金额不超过8万元
    source: "001_ce2f6b89bf5be0ba.txt › 二、实施内容 5"
notices:
  - id: completion
    kind: micro_completion
    label: 完工公示
    when: 事项完工后
    period: {days: 3, unit: working_days, starts: 公示张贴之日, setting: true}
    gates: acceptance
    source: "001_ce2f6b89bf5be0ba.txt › 二、实施内容 7"
acceptance:
  led_by: 镇党委
  wording: 事项完工后要及时组织验收
  source: "001_ce2f6b89bf5be0ba.txt › 二、实施内容 7"
  checklist: micro-project-zhengfang
"""


def test_the_four_program_files_load():
    defs = programs.load_dir(FOLDER)
    assert set(defs) == {"hehua-street-2023", "zhengfang-town", "xuzhou-red-landmark", "build-standard-acceptance"}
    assert {p.kind for p in defs.values()} == {"micro_project", "red_landmark", "build_acceptance"}


def test_a_third_town_is_a_new_file_with_no_new_code(tmp_path):
    for f in FOLDER.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "xincheng-town.yaml").write_text(NEW_TOWN, encoding="utf-8")
    defs = programs.load_dir(tmp_path)
    town = defs["xincheng-town"]
    assert town.band_for(4_999_999).id == "small" and town.band_for(5_000_000).id == "big"
    found = programs.check_limits(town, size="small", budget_fen=8_000_001, others=[])
    assert [(lim.id, lim.force) for lim, _w in found] == [("item-max", "hard")]


def test_a_bad_program_file_names_file_line_and_entry(tmp_path):
    bad = NEW_TOWN.replace("force: hard", "force: sometimes").replace("role: township", "role: mayor")
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ChecklistError) as exc:
        programs.load_dir(tmp_path)
    text = str(exc.value)
    force_line = bad.splitlines().index("    force: sometimes") + 1
    assert f"bad.yaml:{force_line}: 条目 限额 item-max：force: 取值 'sometimes' 无效" in text
    assert "bad.yaml:" in text and "role: 取值 'mayor' 无效" in text


def test_a_limit_written_as_a_rule_needs_its_override(tmp_path):
    bad = NEW_TOWN.replace("force: hard", "force: as_a_rule")
    (tmp_path / "p.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(ChecklistError) as exc:
        programs.load_dir(tmp_path)
    assert "需写明 override" in str(exc.value) and "限额 item-max" in str(exc.value)


def test_bands_must_join_and_ids_must_be_unique(tmp_path):
    bad = NEW_TOWN.replace("from_yuan: 50000", "from_yuan: 60000").replace("id: big", "id: small")
    (tmp_path / "p.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(ChecklistError) as exc:
        programs.load_dir(tmp_path)
    text = str(exc.value)
    assert "不衔接" in text and "id 'small' 重复" in text


def test_a_period_is_either_sourced_or_a_county_setting(tmp_path):
    bad = NEW_TOWN.replace("setting: true}", "}")
    (tmp_path / "p.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(ChecklistError) as exc:
        programs.load_dir(tmp_path)
    assert "setting: true" in str(exc.value) and "公示 completion" in str(exc.value)


def test_about_100_is_an_explicit_tolerance_with_its_source():
    build = programs.load_dir(FOLDER)["build-standard-acceptance"]
    about = build.parameter("demo-meeting-capacity")
    assert about.compare == "at_least_about" and about.wording == "面积一般要能满足本村 100 名左右党员群众代表开会需求"
    assert about.source == "002_a83f9f6db4fc39eb.txt › 篇六 附件1 5" and about.tolerance_setting
    assert about.holds(90) and about.holds(95) and not about.holds(89)  # “左右”, not “>= 100”
    assert about.holds(150)  # “能满足…需求”: a room that seats more meets it
    assert build.parameter("standard-meeting-capacity").holds(50) and not build.parameter(
        "standard-meeting-capacity").holds(49)
    assert len(build.documents) == 8 and build.step("signoff").role == "township"


def test_top_30_percent_of_the_town():
    top = programs.load_dir(FOLDER)["xuzhou-red-landmark"].parameter("town-rank-top")
    assert top.value == Decimal(30) and top.source == "002_a83f9f6db4fc39eb.txt › 篇五 5.13"
    assert top.top_share_holds(3, 10) and not top.top_share_holds(4, 10)
    assert top.top_share_holds(3, 12) and not top.top_share_holds(4, 12)  # 3.6 → rank 3 at most
    assert not top.top_share_holds(1, 3)  # 1 of 3 is 33 %: not within the top 30 %
    assert not top.top_share_holds(0, 10) and not top.top_share_holds(11, 10)


def test_the_red_landmark_procedure_has_its_periods():
    red = programs.load_dir(FOLDER)["xuzhou-red-landmark"]
    review = red.step("city_review").period
    assert (review.days, review.unit, review.source) == (30, "calendar_days", "002_a83f9f6db4fc39eb.txt › 篇五 7.3")
    notice = red.step("notice").period
    assert (notice.days, notice.unit) == (7, "working_days")
    assert red.step("meeting").label == "评审结果报部务会审定"
    assert [s.id for s in red.steps].index("meeting") < [s.id for s in red.steps].index("notice")
    assert red.step("township_recommend").period.setting


def test_the_command_line_validator_prints_every_problem(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text(NEW_TOWN.replace("force: hard", "force: sometimes"), encoding="utf-8")
    assert programs.main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "bad.yaml:" in out and "共 1 个问题" in out
    assert programs.main([str(FOLDER)]) == 0 and "4 个程序定义全部有效" in capsys.readouterr().out


def test_a_scheme_names_an_existing_micro_project_checklist_for_its_acceptance(tmp_path):
    (tmp_path / "p.yaml").write_text(NEW_TOWN.replace("checklist: micro-project-zhengfang", "checklist: no-such"),
                                     encoding="utf-8")
    [p] = programs.checklist_problems(tmp_path, {"micro-project": ("micro_project",)})
    assert p.file.endswith("p.yaml") and p.line == NEW_TOWN.splitlines().index("  checklist: micro-project-zhengfang") + 1
    assert p.message == "验收清单 'no-such' 不存在"
    assert programs.checklist_problems(FOLDER, {"micro-project": ("micro_project",),
                                                "micro-project-zhengfang": ("micro_project",)}) == []
    [p] = programs.checklist_problems(FOLDER, {"micro-project": ("micro_project",),
                                               "micro-project-zhengfang": ("inspection",)})
    assert "zhengfang-town.yaml" in p.file and "不是微实事清单" in p.message
    (tmp_path / "p.yaml").write_text(NEW_TOWN.replace("  checklist: micro-project-zhengfang\n", ""), encoding="utf-8")
    with pytest.raises(ChecklistError, match="验收检查所用的清单"):
        programs.load_dir(tmp_path)
