"""The decision table (docs/decisions.md), row by row, on SQLite and PostgreSQL.

Each test is named in the table's "proved by" column. The cases of issue 13's "Why" are here:
399 m² standard village, demo village missing a demo-only item, a missing evidence document, a
vetoed acceptance that must not be approved or signed, a red landmark with one 5.x below its mark.
"""
import io
import random
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlmodel import select

from inspector.core import checklist as checklist_core, scoring, workdays
from inspector.core.geo import Position
from inspector.models import Answer, ChecklistVersion, Inspection, Report, SignOff
from inspector.services import checklists, inspections, reevaluate, workflow
from inspector import demo

from . import factories

TODAY = date(2026, 9, 28)


def _passing_values(spec, tier, site_type="village"):
    """A value meeting every applicable requirement of a tier."""
    return demo.demo_answers(spec, tier=tier, site_type=site_type, pass_rate=1.0, share=1.0, rnd=random.Random(3))


@pytest.fixture
def world(app, db):
    """A county, a standard-category village, an inspector, the county reviewer, township and contractor."""
    c = factories.county(db)
    p = {"c": c, "site": factories.site(db, c["village_a"], tier="standard"),
         "inspector": factories.user(db, c["county"], username="i-wang", role="inspector"),
         "inspector2": factories.user(db, c["county"], username="i-li", role="inspector"),
         "county": factories.user(db, c["county"], username="c-chen", role="county_reviewer"),
         "township": factories.user(db, c["town_a"], username="t-longgu", role="township"),
         "contractor": factories.user(db, c["village_a"], username="k-sun", role="contractor")}
    db.commit()
    return p


def _acceptance(db, spec, world, *, site=None, tier="standard", values=None, notes=None, submit=True):
    """A completion acceptance of the site with these answers (default: everything met)."""
    site = site or world["site"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="completion_acceptance", tier=tier,
                            by=world["inspector"])
    for item_id, value in (values or _passing_values(spec, tier, site.site_type)).items():
        inspections.record_answer(session=db, inspection=ins, item_id=item_id, raw=value,
                                  note=(notes or {}).get(item_id), by=world["inspector"])
    if submit:
        inspections.submit(session=db, inspection=ins, by=world["inspector"])
    db.commit()
    return ins


def _decision(db, ins):
    return inspections.decision(session=db, inspection=ins)


# ---------------------------------------------------------------- categories and subsidy (篇六 三)

def test_standard_village_of_399_m2_is_not_accepted_and_paid_nothing_not_even_upgrade_money(
        client, db, login_as, specs, world):
    spec = specs["build-standard"]
    ins = _acceptance(db, spec, world, values=_passing_values(spec, "standard") | {"premises-building-area": 399})
    d = _decision(db, ins)
    assert (d.passed, d.verdict, d.subsidy, d.subsidy_words) == (False, "vetoed", 0, "不予拨付")
    assert any("建筑面积" in r and "399" in r for r in d.reasons)
    assert [r.item_id for r in d.unmet] == ["premises-building-area"]
    db.refresh(ins)
    assert (ins.verdict, ins.subsidy) == ("vetoed", 0)  # what lists, the dashboard and the export read
    login_as(world["inspector"])
    summary = client.get(f"/inspections/{ins.id}/summary").get_data(as_text=True)
    assert "不予拨付" in summary and "200,000" not in summary and "改扩建或提档升级村 · 奖补" not in summary
    walk = client.get(f"/inspections/{ins.id}").get_data(as_text=True)
    assert "一票否决 · 不予拨付" in walk  # the progress bar shows the same decision


def test_a_category_is_approved_in_advance_never_chosen_at_acceptance(db, specs, world):
    spec = specs["build-standard"]
    with pytest.raises(inspections.InspectionError, match="只能按批准类别“达标村”"):
        inspections.start(session=db, site=world["site"], spec=spec, purpose="completion_acceptance",
                          tier="upgrade", by=world["inspector"])
    bare = factories.site(db, world["c"]["village_b"], name="吴庄社区党群服务中心", tier=None)
    with pytest.raises(inspections.InspectionError, match="没有县级事先批准的建设类别"):
        inspections.start(session=db, site=bare, spec=spec, purpose="completion_acceptance", tier=None,
                          by=world["inspector"])
    bare.tier_applied = "demo"  # a category without its approval document
    with pytest.raises(inspections.InspectionError, match="未录入批准文号和日期"):
        inspections.start(session=db, site=bare, spec=spec, purpose="completion_acceptance", tier=None,
                          by=world["inspector"])


def test_the_county_sets_the_category_with_the_approval_number_and_date(client, db, login_as, world):
    site = world["site"]
    login_as(world["inspector"])
    assert client.post(f"/sites/{site.id}/category", data={"category": "demo"}).status_code == 403
    client.post("/logout")
    login_as(world["county"])
    bad = client.post(f"/sites/{site.id}/category", data={"category": "demo", "number": "", "date": "2026-03-01"})
    assert bad.status_code == 422 and "请填写批准文件的文号" in bad.get_data(as_text=True)
    bad = client.post(f"/sites/{site.id}/category", data={"category": "demo", "number": "沛组发〔2026〕9号",
                                                          "date": "2026-13-01"})
    assert bad.status_code == 422 and "批准日期应形如" in bad.get_data(as_text=True)
    ok = client.post(f"/sites/{site.id}/category", data={"category": "demo", "number": "沛组发〔2026〕9号",
                                                         "date": "2026-03-01"})
    assert ok.status_code == 303
    db.refresh(site)
    assert (site.tier_applied, site.category_doc_number, site.category_doc_date) == (
        "demo", "沛组发〔2026〕9号", date(2026, 3, 1))
    page = client.get(f"/sites/{site.id}").get_data(as_text=True)
    assert "示范村（沛组发〔2026〕9号，2026-03-01）" in page


def test_passing_pays_the_approved_category_and_a_higher_one_met_is_information_only(db, specs, world):
    spec = specs["build-standard"]
    values = _passing_values(spec, "demo")  # built to demonstration size and features
    ins = _acceptance(db, spec, world, values=_passing_values(spec, "standard") | values)
    d = _decision(db, ins)
    assert (d.passed, d.subsidy, d.category_name) == (True, 600000, "达标村")
    assert d.info and "示范村" in d.info[0] and "仅供参考" in d.info[0]


def test_demo_village_without_a_demo_only_item_is_not_a_demonstration_village_and_not_paid(db, specs, world):
    spec = specs["build-standard"]
    site = factories.site(db, world["c"]["village_b"], name="示范村党群服务中心", tier="demo")
    for missing in ("hall-display-screen", "sports-basketball", "meeting-multimedia"):
        ins = _acceptance(db, spec, world, site=site, tier="demo",
                          values=_passing_values(spec, "demo") | {missing: "fail"})
        d = _decision(db, ins)
        assert (d.passed, d.verdict, d.subsidy) == (False, "fail", 0), missing
        assert d.outcome.score > 85  # a high score does not make up for one unmet requirement
        assert any(spec.by_id[missing].text in r for r in d.reasons)
        assert not any("1,000,000" in r for r in d.reasons) and d.subsidy_words == "不予拨付"


def test_upgrade_area_is_advisory_a_shortfall_needs_the_inspectors_note(db, specs, world):
    spec = specs["build-standard"]
    site = factories.site(db, world["c"]["village_b"], name="改扩建村党群服务中心", tier="upgrade")
    values = _passing_values(spec, "upgrade") | {"premises-building-area": 350}
    ins = _acceptance(db, spec, world, site=site, tier="upgrade", values=values, submit=False)
    d = _decision(db, ins)
    assert d.verdict == "incomplete" and any("参照新建村建设标准" in r for r in d.reasons)
    with pytest.raises(inspections.InspectionError, match="须在备注中说明"):
        inspections.submit(session=db, inspection=ins, by=world["inspector"])
    inspections.record_answer(session=db, inspection=ins, item_id="premises-building-area", raw=350,
                              note="原址改扩建，受宅基地限制", by=world["inspector"])
    d = _decision(db, ins)
    assert (d.passed, d.subsidy) == (True, 200000)
    assert d.advisory[0].note == "原址改扩建，受宅基地限制"


def test_a_softened_requirement_failed_without_a_note_keeps_the_acceptance_open(db, specs, world):
    spec = specs["build-standard"]
    assert spec.by_id["hall-ground-floor"].softened_by("standard") == "一般应"
    ins = _acceptance(db, spec, world, values=_passing_values(spec, "standard") | {"hall-ground-floor": "fail"},
                      submit=False)
    assert _decision(db, ins).verdict == "incomplete"
    inspections.record_answer(session=db, inspection=ins, item_id="hall-ground-floor", raw="fail",
                              note="一楼为卫生室，大厅设在二楼并有电梯", by=world["inspector"])
    assert _decision(db, ins).passed


# ---------------------------------------------------------------- evidence and design changes (篇六 三)

def test_one_missing_evidence_document_blocks_the_acceptance_and_is_named(db, specs, world):
    spec = specs["build-standard"]
    ins = _acceptance(db, spec, world, values=_passing_values(spec, "standard") | {"doc-safety-supervision": "missing"})
    d = _decision(db, ins)
    assert (d.passed, d.subsidy) == (False, 0)
    assert d.missing_evidence == ("工程安全监管",)
    assert any(r.startswith("缺少验收资料：工程安全监管") for r in d.reasons)
    evidence_items = [i.id for i in spec.items() if i.consequence == "evidence"]
    assert len(evidence_items) == 8  # 会议记录、施工图纸、设计及合同、招投标、质量监理、安全监管、前后照片、施工协议


def test_an_evidence_document_cannot_be_marked_not_applicable(client, db, login_as, specs, world):
    spec = specs["build-standard"]
    ins = _acceptance(db, spec, world, submit=False)
    login_as(world["inspector"])
    seen = db.exec(select(Answer).where(Answer.inspection_id == ins.id, Answer.item_id == "doc-bidding")).one().version
    r = client.post(f"/inspections/{ins.id}/items/doc-bidding", data={"na": "1", "base_version": str(seen)})
    assert r.status_code == 422 and "验收资料必须收集齐" in r.get_data(as_text=True)
    assert db.exec(select(Answer).where(Answer.inspection_id == ins.id, Answer.item_id == "doc-bidding")).one().value \
        == "present"


def test_an_unapproved_design_change_refuses_the_acceptance_outright(db, specs, world):
    spec = specs["build-standard"]
    ins = _acceptance(db, spec, world, values=_passing_values(spec, "standard") | {"no-unapproved-design-change": "fail"})
    d = _decision(db, ins)
    assert (d.verdict, d.headline, d.subsidy) == ("refused", "不予验收", 0)
    assert "一律不予验收" in d.reasons[0]


# ---------------------------------------------------------------- the workflow enforces the decision

def _signers(world):
    return {"township-staff": [world["township"].id], "acceptance-team": [world["inspector"].id, world["county"].id],
            "contractor-lead": [world["contractor"].id]}


def test_a_vetoed_acceptance_cannot_be_approved_signed_or_accepted(client, db, login_as, specs, world):
    spec = specs["build-standard"]
    ins = _acceptance(db, spec, world, values=_passing_values(spec, "standard") | {"premises-building-area": 399})
    with pytest.raises(inspections.InspectionError, match="不能审核通过"):
        workflow.approve(session=db, inspection=ins, by=world["county"], signers=_signers(world), today=TODAY,
                         calendar=workdays.load())
    db.rollback()
    login_as(world["county"])
    review = client.get(f"/inspections/{ins.id}/review").get_data(as_text=True)
    assert "判定验收不通过，转整改" in review and ">审核通过</button>" not in review
    r = client.post(f"/inspections/{ins.id}/approve", data={"signer-township-staff": world["township"].id})
    assert r.status_code == 422 and "验收不通过" in r.get_data(as_text=True)
    assert db.get(Inspection, ins.id).status == "submitted"
    # an acceptance approved while passing, whose decision no longer passes, cannot be signed or accepted
    good = _acceptance(db, spec, world)
    workflow.approve(session=db, inspection=good, by=world["county"], signers=_signers(world), today=TODAY,
                     calendar=workdays.load())
    db.commit()
    world["site"].category_doc_number = ""
    db.add(world["site"])
    db.commit()
    with pytest.raises(inspections.InspectionError, match="不能签字"):
        workflow.sign(session=db, inspection=good, by=world["township"], password="correct-horse-1")
    db.rollback()
    assert all(s.signed_at is None for s in db.exec(select(SignOff).where(SignOff.inspection_id == good.id)))


def test_a_failed_acceptance_is_rejected_into_rectification_and_the_follow_up_pays_when_it_passes(
        db, specs, world):
    spec = specs["build-standard"]
    ins = _acceptance(db, spec, world, values=_passing_values(spec, "standard") | {"hall-area": 35})
    with pytest.raises(inspections.InspectionError, match="合格，不能判定不通过"):
        workflow.reject(session=db, inspection=_acceptance(db, spec, world), by=world["county"], today=TODAY,
                        calendar=workdays.load())
    db.rollback()
    tasks = workflow.reject(session=db, inspection=ins, by=world["county"], today=TODAY, calendar=workdays.load())
    db.commit()
    assert [t.item_id for t in tasks] == ["hall-area"] and (ins.status, ins.subsidy) == ("rejected", 0)
    follow = workflow.start_follow_up(session=db, original=ins, by=world["inspector"])
    inspections.record_answer(session=db, inspection=follow, item_id="hall-area", raw=48, note=None,
                              by=world["inspector"])
    inspections.submit(session=db, inspection=follow, by=world["inspector"])
    d = _decision(db, follow)  # the original's answers overlaid with the re-check
    assert (d.passed, d.subsidy) == (True, 600000)
    workflow.approve(session=db, inspection=follow, by=world["county"], signers=_signers(world), today=TODAY,
                     calendar=workdays.load())
    db.commit()
    assert follow.status == "approved"


def test_the_acceptance_team_is_named_on_the_acceptance_with_the_countys_minimum(app, client, db, login_as,
                                                                                  specs, world):
    spec = specs["build-standard"]
    ins = _acceptance(db, spec, world)
    login_as(world["county"])
    form = {"signer-township-staff": str(world["township"].id), "signer-acceptance-team": str(world["inspector"].id),
            "signer-contractor-lead": str(world["contractor"].id)}
    r = client.post(f"/inspections/{ins.id}/approve", data=form)
    assert r.status_code == 422 and "综合验收工作组至少 2 人" in r.get_data(as_text=True)
    app.config["ACCEPTANCE_TEAM_MIN"] = 3
    form |= {"named-acceptance-team-name": ["刘敏", ""], "named-acceptance-team-role": ["县住建局 工程师", ""]}
    r = client.post(f"/inspections/{ins.id}/approve", data=form)
    assert r.status_code == 422 and "至少 3 人" in r.get_data(as_text=True)
    form |= {"signer-acceptance-team": [str(world["inspector"].id), str(world["county"].id)]}
    half = dict(form, **{"named-contractor-lead-name": "孙建国", "named-contractor-lead-role": ""})
    r = client.post(f"/inspections/{ins.id}/approve", data=half)
    assert r.status_code == 422 and "同时填写姓名和单位职务" in r.get_data(as_text=True)
    assert client.post(f"/inspections/{ins.id}/approve", data=form).status_code == 303
    rows = db.exec(select(SignOff).where(SignOff.inspection_id == ins.id).order_by(SignOff.id)).all()
    assert [(r.party, r.signer_name, r.method) for r in rows if r.user_id is None] == [
        ("acceptance-team", "刘敏", "handwritten")]
    assert len(rows) == 5


def _signature_png(ink=True) -> bytes:
    img = Image.new("RGB", (700, 280), "white")
    if ink:
        ImageDraw.Draw(img).line([(60, 200), (200, 80), (320, 210), (480, 90), (640, 190)], fill="black", width=6)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def test_a_signer_without_an_account_signs_by_hand_stored_by_hash_with_position(app, client, db, login_as,
                                                                                 specs, world, tmp_path):
    spec = specs["build-standard"]
    ins = _acceptance(db, spec, world)
    workflow.approve(session=db, inspection=ins, by=world["county"], today=TODAY, calendar=workdays.load(),
                     signers={"township-staff": [world["township"].id],
                              "acceptance-team": [world["inspector"].id, world["county"].id]},
                     named={"contractor-lead": [("孙建国", "沛县建工集团 项目负责人")]})
    db.commit()
    row = db.exec(select(SignOff).where(SignOff.inspection_id == ins.id, SignOff.user_id.is_(None))).one()
    media = Path(app.config["MEDIA_DIR"])
    with pytest.raises(inspections.InspectionError, match="签名框是空的"):
        workflow.sign_by_hand(session=db, inspection=ins, signoff_id=row.id, image=_signature_png(ink=False),
                              by=world["inspector"], media_root=media, position=None)
    with pytest.raises(inspections.InspectionError, match="PNG"):
        workflow.sign_by_hand(session=db, inspection=ins, signoff_id=row.id, image=b"GIF89a....",
                              by=world["inspector"], media_root=media, position=None)
    login_as(world["county"])  # not the phone in the field
    assert client.post(f"/inspections/{ins.id}/sign/{row.id}/hand").status_code == 403
    client.post("/logout")
    login_as(world["inspector"])
    png = _signature_png()
    r = client.post(f"/inspections/{ins.id}/sign/{row.id}/hand",
                    data={"lat": "34.87", "lon": "116.86", "accuracy": "6",
                          "signature": (io.BytesIO(png), "signature.png", "image/png")},
                    content_type="multipart/form-data")
    assert r.status_code == 303
    db.refresh(row)
    import hashlib
    sha = hashlib.sha256(png).hexdigest()
    assert (row.image_sha256, row.image_path, row.lat, row.lon) == (sha, f"signatures/{sha[:2]}/{sha}.png", 34.87,
                                                                    116.86)
    assert (media / row.image_path).read_bytes() == png and row.collected_by_id == world["inspector"].id
    again = client.post(f"/inspections/{ins.id}/sign/{row.id}/hand",
                        data={"signature": (io.BytesIO(png), "signature.png")}, content_type="multipart/form-data")
    assert again.status_code == 422 and "已签字" in again.get_data(as_text=True)
    for who in ("township", "inspector", "county"):
        workflow.sign(session=db, inspection=ins, by=world[who], password="correct-horse-1")
    db.commit()
    assert db.get(Inspection, ins.id).status == "accepted"
    pdf = client.get(f"/inspections/{ins.id}/reports/acceptance?format=pdf")
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf.data)
    text = "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    assert "孙建国（现场手写签名，位置34.87000,116.86000）" in text and "沛县建工集团项目负责人" in text
    assert "600,000元" in text and "验收合格" in text
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    assert any(line.split()[3:5] == ["700", "280"] for line in images.splitlines()[2:])


# ---------------------------------------------------------------- red landmark (篇五) and 6+N (篇四)

def test_red_landmark_with_one_clause_below_its_threshold_gets_no_title(db, specs, world):
    spec = specs["red-landmark"]
    values = _passing_values(spec, None)
    for clause, value in (("rl-5.10-policy-talks", {"respondents": 100, "satisfied": 89}),
                          ("rl-5.14-funding", 1999), ("rl-5.4-study-hours", 35)):
        d = inspections_decide(spec, values | {clause: value}, purpose="red_landmark")
        assert (d.passed, d.verdict) == (False, "fail"), clause
        assert d.outcome.score > 95 and "不予命名" in d.headline
        assert any(spec.by_id[clause].text in r for r in d.reasons)
    assert inspections_decide(spec, values, purpose="red_landmark").passed
    assert spec.pass_score is None and "逐项落实" in spec.decision_rule


def test_red_landmark_evaluation_stores_the_binding_verdict_the_title_follows(db, specs, world):
    spec = specs["red-landmark"]
    ins = inspections.start(session=db, site=world["site"], spec=spec, purpose="red_landmark", tier=None,
                            by=world["inspector"])
    for item_id, value in (_passing_values(spec, None) | {"rl-5.15-satisfaction": {"respondents": 100,
                                                                                   "satisfied": 85}}).items():
        inspections.record_answer(session=db, inspection=ins, item_id=item_id, raw=value, note=None,
                                  by=world["inspector"])
    inspections.submit(session=db, inspection=ins, by=world["inspector"])
    db.commit()
    db.refresh(ins)
    assert ins.verdict == "fail"  # services/landmark awards only on verdict == "pass"


def test_six_plus_n_a_missing_required_room_fails_the_checklist(specs):
    spec = specs["function-rooms"]
    values = _passing_values(spec, None)
    required = ["svc-room", "train-room", "health-room-present", "reading-room-present", "police-room-present",
                "mass-org-room-present"]
    assert all(spec.by_id[i].is_critical(None) for i in required)
    for room in required:
        d = inspections_decide(spec, values | {room: "fail"}, purpose="inspection")
        assert (d.passed, d.verdict) == (False, "vetoed"), room
    optional = [i.id for i in spec.items() if i.optional]
    assert len(optional) == 9
    assert inspections_decide(spec, values | {i: "fail" for i in optional}, purpose="inspection").passed


def inspections_decide(spec, values, *, purpose):
    from inspector.core.decision import decide
    return decide(spec, values, purpose=purpose, tier=None, site_type="village")


def test_a_county_score_rule_is_written_in_the_checklist_and_printed(specs):
    from inspector.core.decision import decide
    text = Path(checklist_core.__file__).resolve().parents[3].joinpath("checklists/function-rooms.yaml").read_text()
    scored = checklist_core.parse_text(text.replace("sections:\n", "pass_score: 90\npass_score_source: "
                                                    "\"沛县委组织部 2026 年 3 号通知（县级设定）\"\nsections:\n", 1), "x.yaml")
    d = decide(scored, _passing_values(scored, None), purpose="inspection", tier=None, site_type="village")
    assert d.passed and "不低于 90 分" in d.rule and "沛县委组织部 2026 年 3 号通知" in d.rule
    with pytest.raises(checklist_core.ChecklistError, match="pass_score_source"):
        checklist_core.parse_text(text.replace("sections:\n", "pass_score: 90\nsections:\n", 1), "y.yaml")


# ---------------------------------------------------------------- one decision everywhere; stored data

def test_summary_review_report_and_verify_show_the_same_decision(client, db, login_as, specs, world):
    spec = specs["build-standard"]
    ins = _acceptance(db, spec, world, values=_passing_values(spec, "standard") | {"doc-bidding": "missing"})
    login_as(world["inspector"])
    headline = "验收不通过"
    summary = client.get(f"/inspections/{ins.id}/summary").get_data(as_text=True)
    assert headline in summary and "缺少验收资料：工程招投标" in summary and "不予拨付" in summary
    issued = client.post(f"/inspections/{ins.id}/reports/acceptance")
    assert issued.status_code == 303
    report = db.exec(select(Report).where(Report.inspection_id == ins.id)).one()
    assert report.inputs["decision"]["subsidy"] == 0 and report.inputs["decision"]["headline"] == headline
    assert report.inputs["outcome"]["verdict"] == db.get(Inspection, ins.id).verdict == "fail"
    verify = client.get(f"/verify/{report.public_id}").get_data(as_text=True)
    assert headline in verify and "不予拨付" in verify
    client.post("/logout")
    login_as(world["county"])
    review = client.get(f"/inspections/{ins.id}/review").get_data(as_text=True)
    assert headline in review and "缺少验收资料：工程招投标" in review


def test_open_inspections_are_re_evaluated_under_new_rules_and_issued_reports_stay(app, client, db, login_as,
                                                                                  specs, world):
    """A draft started on the old "highest tier met / 80 points" checklist moves to the current one."""
    spec = specs["build-standard"]
    old_data = spec.snapshot() | {"pass_score": 80, "pass_score_source": "县级设定（源文件未规定分数线）",
                                  "version": "2025.9"}
    old = checklist_core.ChecklistSpec.from_snapshot(old_data)
    old_version = checklists.ensure_version(session=db, spec=old)
    values = _passing_values(spec, "standard") | {"hall-display-screen": "fail", "doc-bidding": "missing"}
    draft = Inspection(site_id=world["site"].id, checklist_version_id=old_version.id, purpose="completion_acceptance",
                       tier="standard", created_by_id=world["inspector"].id, status="submitted", verdict="pass",
                       score=97.0, subsidy=600000)
    done = Inspection(site_id=world["site"].id, checklist_version_id=old_version.id, purpose="completion_acceptance",
                      tier="standard", created_by_id=world["inspector"].id, status="accepted", verdict="pass",
                      score=97.0, subsidy=600000)
    db.add_all([draft, done])
    db.flush()
    for ins in (draft, done):
        for item_id, value in values.items():
            db.add(Answer(inspection_id=ins.id, item_id=item_id, value=value, result="pass", by_id=world["inspector"].id))
    db.commit()
    records = reevaluate.reevaluate_open(db.connection(), {"build-standard": spec})
    db.commit()
    db.expire_all()
    assert [r["inspection_id"] for r in records] == [draft.id]
    moved = db.get(Inspection, draft.id)
    assert (moved.verdict, moved.subsidy) == ("fail", 0)
    assert moved.checklist_version_id != old_version.id
    assert moved.reevaluation["before"]["verdict"] == "pass" and moved.reevaluation["changed"] is True
    assert db.exec(select(Answer).where(Answer.inspection_id == draft.id, Answer.item_id == "doc-bidding")).one() \
        .result == "fail"
    assert db.get(Inspection, done.id).checklist_version_id == old_version.id  # finished: untouched
    login_as(world["inspector"])
    page = client.get(f"/inspections/{draft.id}/summary").get_data(as_text=True)
    assert "按新规则重新评定" in page and "原结论“合格”、奖补 600,000 元 → 现结论“不合格”、奖补 0 元" in page
    assert reevaluate.reevaluate_open(db.connection(), {"build-standard": spec}) == []  # once only
    assert db.exec(select(ChecklistVersion).where(ChecklistVersion.content_hash == spec.content_hash)).one()


def test_the_reevaluate_command_reports_each_open_inspection_it_moved(app, runner, db, specs, world):
    spec = specs["build-standard"]
    old = checklist_core.ChecklistSpec.from_snapshot(spec.snapshot() | {"pass_score": 80,
                                                                        "pass_score_source": "县级设定"})
    version = checklists.ensure_version(session=db, spec=old)
    db.add(Inspection(site_id=world["site"].id, checklist_version_id=version.id, purpose="completion_acceptance",
                      tier="standard", created_by_id=world["inspector"].id, verdict="pass", subsidy=600000))
    db.commit()
    out = runner.invoke(args=["checklists", "reevaluate"])
    assert out.exit_code == 0 and "结论变更：合格 → 尚未检查完" in out.output and "共重新评定 1 次检查" in out.output


def test_an_open_inspection_whose_answered_items_left_the_checklist_stays_as_begun(db, specs, world):
    """The micro checklist split per scheme: an acceptance begun with seed-001 items answered loses nothing."""
    spec = specs["micro-project"]
    mixed = checklist_core.ChecklistSpec.from_snapshot(
        spec.snapshot() | {"version": "2026.1", "sections": list(spec.snapshot()["sections"]) + [
            specs["micro-project-zhengfang"].snapshot()["sections"][-1]]})
    version = checklists.ensure_version(session=db, spec=mixed)
    ins = Inspection(site_id=world["site"].id, checklist_version_id=version.id, purpose="micro_project",
                     created_by_id=world["inspector"].id, status="draft")
    db.add(ins)
    db.flush()
    db.add(Answer(inspection_id=ins.id, item_id="mp-archive-full", value="present", result="pass",
                  by_id=world["inspector"].id))
    db.commit()
    kept: list[dict] = []
    assert reevaluate.reevaluate_open(db.connection(), {"micro-project": spec}, kept=kept) == []
    db.commit()
    assert kept == [{"inspection_id": ins.id, "lost": ["mp-archive-full"]}]
    assert db.get(Inspection, ins.id).checklist_version_id == version.id
    assert db.exec(select(Answer).where(Answer.inspection_id == ins.id)).one().value == "present"
