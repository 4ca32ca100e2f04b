"""Inspections: fixed checklist version, answers judged and versioned, repeats harmless, conflicts caught."""
import pytest
from sqlmodel import select

from inspector.core import scoring
from inspector.core.checklist import ChecklistSpec
from inspector.models import Answer, AuditLog, ChecklistVersion, Site
from inspector.services import inspections

from . import factories


@pytest.fixture
def setup(db, specs):
    c = factories.county(db)
    site = factories.site(db, c["village_a"])
    who = factories.user(db, c["county"])
    ins = inspections.start(session=db, site=site, spec=specs["build-standard"], purpose="completion_acceptance",
                            tier="standard", by=who)
    db.commit()
    return db, ins, who, specs["build-standard"]


def area_item(spec, tier="standard"):
    return next(i for i in spec.items() if i.kind == "measure" and i.unit == "m2" and i.is_critical(tier)
                and i.applies(tier, "village"))


def test_start_fixes_the_checklist_version_by_content_hash(setup):
    db, ins, who, spec = setup
    version = db.get(ChecklistVersion, ins.checklist_version_id)
    assert version.content_hash == spec.content_hash and version.checklist_id == "build-standard"
    assert ChecklistSpec.from_snapshot(version.snapshot).content_hash == spec.content_hash


def test_editing_a_checklist_never_rewrites_a_past_inspection(setup, db):
    db_, ins, who, spec = setup
    item = area_item(spec)
    inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw="420", note=None, by=who)
    db.commit()
    data = spec.snapshot()
    for section in data["sections"]:
        for it in section["items"]:
            if it["id"] == item.id:
                it["rule"] = {k: ">= 500 m2" for k in it["rule"]}
    edited = ChecklistSpec.model_validate(data)
    later = inspections.start(session=db, site=db.get(Site, ins.site_id), spec=edited, purpose="inspection",
                              tier="standard", by=who)
    inspections.record_answer(session=db, inspection=later, item_id=item.id, raw="420", note=None, by=who)
    db.commit()
    assert later.checklist_version_id != ins.checklist_version_id
    assert inspections.outcome(session=db, inspection=ins).judgements[item.id].result == "pass"
    assert inspections.outcome(session=db, inspection=later).judgements[item.id].result == "fail"


def test_answer_is_judged_and_versioned_and_audited(setup):
    db, ins, who, spec = setup
    item = area_item(spec)
    a = inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw="385", note="东侧未完工", by=who)
    assert (a.value, a.result, a.version, a.note) == (385.0, "fail", 1, "东侧未完工")
    a = inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw="412", note=None, by=who,
                                  base_version=1)
    db.commit()
    assert (a.value, a.result, a.version, a.note) == (412.0, "pass", 2, "东侧未完工")
    audit = db.exec(select(AuditLog).where(AuditLog.action == "answer")).all()
    assert [row.after["value"] for row in audit] == [385.0, 412.0]
    assert audit[1].before["value"] == 385.0


def test_repeated_save_with_the_same_client_id_is_harmless(setup):
    db, ins, who, spec = setup
    item = area_item(spec)
    for _ in range(3):
        a = inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw="412", note=None, by=who,
                                      base_version=None, client_id="c-1")
    db.commit()
    rows = db.exec(select(Answer).where(Answer.inspection_id == ins.id)).all()
    assert len(rows) == 1 and a.version == 1


def test_stale_save_is_a_conflict_that_keeps_both_values(setup):
    db, ins, who, spec = setup
    item = area_item(spec)
    inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw="412", note=None, by=who, client_id="a")
    inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw="430", note=None, by=who,
                              base_version=1, client_id="b")
    with pytest.raises(inspections.Conflict) as info:
        inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw="399", note=None, by=who,
                                  base_version=1, client_id="c")
    assert info.value.current.value == 430.0 and info.value.submitted == 399.0


def test_bad_answer_and_unknown_item_are_refused_and_store_nothing(setup):
    db, ins, who, spec = setup
    with pytest.raises(scoring.AnswerError, match="应为数字"):
        inspections.record_answer(session=db, inspection=ins, item_id=area_item(spec).id, raw="四百", note=None, by=who)
    with pytest.raises(inspections.InspectionError, match="没有条目"):
        inspections.record_answer(session=db, inspection=ins, item_id="forged-id", raw="pass", note=None, by=who)
    db.commit()
    assert db.exec(select(Answer)).all() == []


@pytest.mark.parametrize("purpose, tier, message", [
    ("red_landmark", "standard", "不用于该目的"), ("holiday", "standard", "未知的检查目的"), ("inspection", None, "等级"),
])
def test_start_refuses_what_the_checklist_does_not_cover(db, specs, purpose, tier, message):
    c = factories.county(db)
    site = factories.site(db, c["village_a"])
    who = factories.user(db, c["county"])
    with pytest.raises(inspections.InspectionError, match=message):
        inspections.start(session=db, site=site, spec=specs["build-standard"], purpose=purpose, tier=tier, by=who)


def test_community_checklist_refuses_a_village(db, specs):
    c = factories.county(db)
    site = factories.site(db, c["village_a"], site_type="village")
    who = factories.user(db, c["county"])
    with pytest.raises(inspections.InspectionError, match="不适用"):
        inspections.start(session=db, site=site, spec=specs["service-ledger"], purpose="inspection", tier=None, by=who)


def test_outcome_and_stored_score(setup):
    db, ins, who, spec = setup
    for item in spec.items():
        if item.applies("standard", "village") and item.kind in ("check", "document"):
            inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw="pass" if item.kind == "check"
                                      else "present", note=None, by=who)
    out = inspections.refresh_score(session=db, inspection=ins)
    db.commit()
    assert out.verdict == "incomplete" and ins.verdict == "incomplete" and out.failed == ()
    assert 0 < ins.score == out.score < 100  # unanswered items earn nothing yet


def test_each_refusal_of_an_inspection_has_one_status_by_what_it_means(setup):
    """The error contract (issue 18): a wrong request is 422, a change the state no longer takes
    409, a save on a stale version 409, a malformed capture time 400 — whichever view it reaches."""
    from inspector.core.errors import DomainError
    from inspector.services import capture
    db, ins, who, spec = setup
    with pytest.raises(inspections.InspectionError) as wrong:
        inspections.start(session=db, site=db.get(Site, ins.site_id), spec=spec, purpose="nope", tier=None, by=who)
    assert isinstance(wrong.value, DomainError) and wrong.value.status == 422 and "未知的检查目的" in wrong.value.message
    item = area_item(spec)
    inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw="420", note=None, by=who)
    with pytest.raises(inspections.Conflict) as stale:
        inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw="430", note=None, by=who,
                                  base_version=0, device_id="another phone")
    assert stale.value.status == 409 and stale.value.current.version == 1 and stale.value.submitted == 430.0
    assert "第 1 版" in stale.value.message and "未保存" in stale.value.message
    ins.status = "submitted"
    with pytest.raises(inspections.NotEditable) as closed:
        inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw="430", note=None, by=who)
    assert isinstance(closed.value, inspections.InspectionError) and closed.value.status == 409
    with pytest.raises(inspections.NotEditable):
        inspections.submit(session=db, inspection=ins, by=who)
    with pytest.raises(capture.CaptureError) as when:
        capture.parse_captured_at("yesterday")
    assert isinstance(when.value, DomainError) and when.value.status == 400
    db.rollback()
