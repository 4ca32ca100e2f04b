"""The ledger checklist's items answered from the records (seed 004 › service-ledger): the value each
suggests with its figures, and the inspector's confirmation or override, both kept."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from ..core import ledger as core
from ..core.ledger import Invalid
from ..models import ChecklistVersion, Inspection, LedgerItemCheck, Site, User, utcnow
from . import audit, inspections, rights
from .ledger import LedgerError
from .ledger_feedback import feedback_status
from .ledger_tallies import MemberYear, year_of


@dataclass
class Computed:
    """A checklist item's value computed from the ledger: the answer it suggests and the figures."""

    item_id: str
    value: Any  # the answer in the checklist's form ("pass"/"fail", or {"respondents", "satisfied"})
    result: str  # pass / fail
    figures: str
    evidence: str  # the records' page (an endpoint name and its arguments, made a URL by the web layer)


COMPUTED_ITEMS = ("sl-report-rate", "sl-service-post", "sl-service-activities", "sl-suggestion", "sl-public-benefit",
                  "sl-pairing", "sl-quarterly-feedback", "sl-yearly-feedback", "sl-member-archive",
                  "sl-report-receipt", "sl-activity-card", "sl-pairing-card")


def _verdict(ok: bool) -> str:
    """The result an item's figures suggest."""
    return "pass" if ok else "fail"


def _member_items(rows: list[MemberYear], year: int) -> dict[str, Computed]:
    """The items every member must meet (each counted over the members), and the county departments' rate."""
    n = len(rows)
    out: dict[str, Computed] = {}

    def every(item_id: str, met: int, words: str, evidence: str = "members") -> None:
        out[item_id] = Computed(item_id, _verdict(met == n), _verdict(met == n),
                                f"{words}：{met} / {n} 人（{core.rate(met, n)}）", evidence)

    dept = [r for r in rows if r.unit.county_department]
    reported_dept = sum(1 for r in dept if r.member.reported_on and r.member.reported_on <= date(year, 12, 31))
    if dept:
        out["sl-report-rate"] = Computed("sl-report-rate", {"respondents": len(dept), "satisfied": reported_dept},
                                         _verdict(reported_dept == len(dept)),
                                         f"县级部门在职党员报到率 = 已报到 {reported_dept} / 应报到 {len(dept)}"
                                         f"（{core.rate(reported_dept, len(dept))}）", "summary")
    every("sl-service-post", sum(1 for r in rows if r.member.service_post), "已认领服务岗位")
    every("sl-service-activities", sum(1 for r in rows if r.tally.service_met), "全年服务≥2次或≥8小时")
    every("sl-suggestion", sum(1 for r in rows if r.tally.suggestions >= core.MIN_SUGGESTIONS),
          "提出意见建议≥1条（原则上）")
    every("sl-public-benefit", sum(1 for r in rows if r.tally.public_welfare >= core.MIN_PUBLIC_WELFARE),
          "参加公益活动≥1次")
    every("sl-pairing", sum(1 for r in rows if r.tally.check("pairing").met), "结对帮扶且逐月走访")
    every("sl-activity-card", sum(1 for r in rows if r.activities), "写实登记卡有记录")
    every("sl-pairing-card", sum(1 for r in rows if r.member.pair_name), "建立联系对象档案（结对对象）")
    every("sl-report-receipt", sum(1 for r in rows if r.member.reported_on), "已报到（可出具报到回执）")
    complete = sum(1 for r in rows if r.member.phone and r.unit.name and r.member.service_post)
    every("sl-member-archive", complete, "档案信息齐全（单位、电话、岗位）")
    return out


def _feedback_items(session: Session, site: Site, year: int, as_of: date) -> dict[str, Computed]:
    """The quarterly letters sent against those due, and the yearly card (from November on, or once sent)."""
    status = feedback_status(session=session, site=site, year=year, as_of=as_of)
    due = sum(len(s.due) for s in status)
    sent = sum(len([q for q in s.due if q in s.sent]) for s in status)
    out = {"sl-quarterly-feedback": Computed(
        "sl-quarterly-feedback", _verdict(sent == due), _verdict(sent == due),
        f"季度反馈函：已发 {sent} / 应发 {due} 份（{len(status)} 个单位 × 已结束的 {len(core.quarters_due(year, as_of))} 个季度）",
        "feedback")}
    yearly = sum(1 for s in status if 0 in s.sent)
    if as_of >= date(year, *core.SUMMARY_DUE) or yearly:
        ok = yearly == len(status)
        out["sl-yearly-feedback"] = Computed("sl-yearly-feedback", _verdict(ok), _verdict(ok),
                                             f"年度现实表现评议情况反馈卡：已发 {yearly} / {len(status)} 个单位",
                                             "feedback")
    return out


def compute_items(*, session: Session, site: Site, year: int, as_of: date,
                  deadline_md: tuple[int, int] = core.DEFAULT_DEADLINE) -> dict[str, Computed]:
    """The ledger checklist's items that the records answer, for a community and year.

    Nothing is computed for a community with no members registered: the ledger is then empty,
    and the inspector answers from the paper records as before.
    """
    rows = year_of(session=session, site=site, year=year, as_of=as_of, deadline_md=deadline_md)
    if not rows:
        return {}
    return {**_member_items(rows, year), **_feedback_items(session, site, year, as_of)}


def ledger_inspections(*, session: Session, site: Site, checklist_id: str = "service-ledger") -> list[Inspection]:
    """The community's inspections on the ledger checklist, newest first (where the computed items apply)."""
    return list(session.exec(select(Inspection).join(ChecklistVersion,
                                                     ChecklistVersion.id == Inspection.checklist_version_id)
                             .where(Inspection.site_id == site.id, ChecklistVersion.checklist_id == checklist_id)
                             .order_by(Inspection.id.desc())))


def checks_of(*, session: Session, inspection: Inspection) -> dict[str, LedgerItemCheck]:
    """The confirmations and overrides recorded on an inspection, by item."""
    return {c.item_id: c for c in session.exec(select(LedgerItemCheck)
                                               .where(LedgerItemCheck.inspection_id == inspection.id))}


def answer_for(kind: str, computed: Computed) -> Any:
    """The computed value as an answer of an item of this kind (check, document or rate)."""
    if kind == "rate":
        return computed.value
    if kind == "document":
        return "present" if computed.result == "pass" else "missing"
    return computed.result


def decide_item(*, session: Session, inspection: Inspection, item_id: str, kind: str, computed: Computed | None,
                override: Any | None, note: str, by: User) -> LedgerItemCheck:
    """The inspector confirms the computed value (override None) or overrides it with a note; both the
    computed value and the decision are kept, and the answer is recorded on the inspection."""
    rights.require(by, "ledger_confirm")
    if computed is None:
        raise LedgerError("这一项没有可依据的台账记录，请在检查中直接填写")
    note = (note or "").strip()
    if override is not None and not note:
        raise Invalid(["改判时请写明理由"])
    if kind == "rate" and isinstance(override, Mapping):
        due, done = (str(override.get(k) or "").strip() for k in ("respondents", "satisfied"))
        if not (due.isdigit() and done.isdigit()) or int(due) == 0:
            raise Invalid(["改判时请填写应报到人数（大于 0）和已报到人数（整数）"])
        if int(done) > int(due):
            raise Invalid([f"已报到人数（{done}）不能多于应报到人数（{due}）"])
    value = answer_for(kind, computed) if override is None else override
    figures = f"台账计算：{computed.figures}"
    answer = inspections.record_answer(session=session, inspection=inspection, item_id=item_id, raw=value,
                                       note=(f"{figures}；检查员改判：{note}" if override is not None
                                             else f"{figures}；检查员确认" + (f"：{note}" if note else "")),
                                       by=by)
    row = session.exec(select(LedgerItemCheck).where(LedgerItemCheck.inspection_id == inspection.id,
                                                     LedgerItemCheck.item_id == item_id)).first()
    row = row or LedgerItemCheck(inspection_id=inspection.id, item_id=item_id, computed={}, decision="", by_id=by.id)
    row.computed = {"value": answer_for(kind, computed), "result": computed.result, "figures": computed.figures}
    row.decision = "confirmed" if override is None else "overridden"
    row.answer = answer.value
    row.note, row.by_id, row.at = note[:2000], by.id, utcnow()
    session.add(row)
    session.flush()
    audit.record(session=session, user_id=by.id, action=row.decision, entity="ledgeritemcheck", entity_id=row.id,
                 after={"inspection": inspection.id, "item": item_id, "computed": computed.result,
                        "answer": answer.result})
    return row
