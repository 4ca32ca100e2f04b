"""What an official document prints beyond the inspection's data: its issuing authority, the
category's own wording of each requirement, the standards it applied (for its appendix) and the
rectification tasks' stored due dates; and the report numbers per type and year. Used by reports.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..core import sources
from ..core.checklist import ChecklistSpec
from ..models import Inspection, RectificationTask, Region, Report, ReportSequence, Site
from . import regions as region_service

TIER_WORDS = {"demo": "示范村", "standard": "达标村"}
_SEGMENT = re.compile(r"(示范村|达标村)：")


def tier_text(text: str, tier: str | None) -> str:
    """A requirement in the category's own words: of "示范村：A；达标村：B" a 达标村 gets "B", whole.

    A text without per-category wording, or a category without its own (改扩建 follows the new
    builds' standard, 002 篇六 二), is returned as it stands."""
    word = TIER_WORDS.get(tier or "")
    if not word or not text.startswith(("示范村：", "达标村：")):
        return text
    parts = _SEGMENT.split(text)[1:]  # [label, body, label, body…]
    bodies = {parts[i]: parts[i + 1].rstrip("；;") for i in range(0, len(parts) - 1, 2)}
    return bodies.get(word, text)


def retext(spec: ChecklistSpec, tier: str | None):
    """A function that rewrites every item text inside a line with its category's wording, and
    seed citations with the document's title (reasons and fixes quote both)."""
    pairs = sorted(((i.text, tier_text(i.text, tier)) for i in spec.items() if tier_text(i.text, tier) != i.text),
                   key=lambda p: -len(p[0]))

    def rewrite(line: Any) -> Any:
        if not isinstance(line, str):
            return line
        for full, own in pairs:
            line = line.replace(full, own)
        return sources.scrub(line)
    return rewrite


def issuer(*, session: Session, spec: ChecklistSpec, regions: list[Region]) -> dict[str, str]:
    """The authority a report is issued in the name of, from the site's county (or city).

    A build-standard acceptance: "建设完成后县乡村振兴攻坚指挥部会同相关单位进行竣工验收" (002 篇六 三);
    a red-landmark evaluation: the city's Party organisation department (002 篇五 6); any other
    inspection: the county's Party organisation department, which reviews them (the county role)."""
    by_level = {r.level: r.name for r in regions}
    county, city = by_level.get("county", ""), by_level.get("city", "")
    if spec.id == "build-standard":
        return {"name": f"{county}乡村振兴攻坚指挥部", "group": "综合验收工作组",
                "basis": "《振兴重点村党群服务中心建设项目实施方案》三、申报验收"}
    if spec.id == "red-landmark":
        return {"name": f"中共{city}委员会组织部", "group": "评审组",
                "basis": "《徐州市村（社区）党群服务中心“红色地标”建设规范（征求意见稿）》6 评审权限"}
    return {"name": f"中共{county}委员会组织部", "group": "检查组", "basis": ""}


def standards(spec: ChecklistSpec, rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The standards a report applied (its appendix): each cited document once, with its record."""
    seen: dict[str, dict[str, str]] = {}
    for source in [spec.source] + [r["source"] for r in rows]:
        c = sources.cite(source)
        if c is None or not c.title or c.title in seen:
            continue
        d = c.document
        seen[c.title] = {"title": c.title, "issuer": d.issuer or "", "number": d.number or "",
                         "date": sources.cn_date(d.date) if d.date else "",
                         "within": d.title if c.title != d.title else ""}
    return list(seen.values())


def task_dues(*, session: Session, inspection: Inspection) -> dict[str, dict[str, Any]]:
    """Each rectification task's stored due date by item (set when the inspection was decided)."""
    rows = session.exec(select(RectificationTask).where(RectificationTask.inspection_id == inspection.id))
    return {t.item_id: {"date": t.due_date.isoformat(), "provisional": t.due_provisional,
                        "working_days": t.due_working_days, "from": t.due_from.isoformat() if t.due_from else None}
            for t in rows}


def record_inputs(*, session: Session, site, title: str, record: dict[str, Any]) -> dict[str, Any]:
    """A seed form's inputs from a micro project's record alone (no inspection yet): the shape the
    report templates read, with no items, photos or checklist."""
    from ..models import SITE_TYPE_LABELS
    chain = [r.name for r in region_service.ancestry(session=session, region=session.get(Region, site.region_id))]
    return {"kind": "form", "title": title, "project": record, "sections": [], "photos": [], "parameters": {},
            "site": {"name": site.name, "type": SITE_TYPE_LABELS[site.site_type], "address": site.address,
                     "lat": site.lat, "lon": site.lon, "regions": chain},
            "inspection": {"purpose": "", "started_at": "", "started_on": "", "inspector": "", "tier": ""},
            "outcome": {"verdict_label": ""}, "dates": {"warnings": []}, "checklist": None, "extra": {},
            "issuer": None, "standards": []}


def for_print(*, session: Session, inspection: Inspection, spec: ChecklistSpec, tier: str | None,
              inputs: dict[str, Any]) -> None:
    """What the standard forms print: the issuing authority, the category's own wording in the
    fixes, reasons and outcome lines, seed citations as titles, the standards applied (appendix),
    and each fix's stored due date (rectification tasks)."""
    rewrite = retext(spec, tier)
    site_region = session.get(Region, session.get(Site, inspection.site_id).region_id)
    inputs["issuer"] = issuer(session=session, spec=spec,
                             regions=region_service.ancestry(session=session, region=site_region))
    rows = [r for s in inputs["sections"] for r in s["rows"]]
    inputs["standards"] = standards(spec, rows)
    dues = task_dues(session=session, inspection=inspection)
    for f in inputs["fixes"]:
        f["text"], f["due"] = rewrite(f["text"]), dues.get(f["item_id"])
    d, o = inputs["decision"], inputs["outcome"]
    d["reasons"], d["info"] = [rewrite(x) for x in d["reasons"]], [rewrite(x) for x in d["info"]]
    d["rule"] = rewrite(d["rule"])
    for a in d["advisory"]:
        a["text"] = rewrite(a["text"])
    for key in ("vetoes", "gates_failed", "open_critical"):
        o[key] = [rewrite(x) for x in o[key]]
    inputs["checklist"]["decision_rule"] = rewrite(inputs["checklist"]["decision_rule"])
    failed = {r["id"] for r in rows if r["result"] == "fail"} | {f["item_id"] for f in inputs["fixes"]}
    inputs["failed_photos"] = [p for p in inputs["photos"] if p["item"] in failed]


def next_number(*, session: Session, code: str, year: int) -> str:
    """The next number of a report type in a year, YS-2026-0001: one UPDATE of its sequence row in
    the caller's transaction (PostgreSQL's row lock makes a concurrent issuer wait for the commit;
    a rollback gives the number back). The year's first report creates the row."""
    table = ReportSequence.__table__
    bump = (update(table).where(table.c.code == code, table.c.year == year)
            .values(last=table.c.last + 1).returning(table.c.last))
    n = session.execute(bump).scalar()
    if n is None:
        try:
            with session.begin_nested():  # two first issuers of a year: one insert wins, both bump
                session.execute(insert(table).values(code=code, year=year, last=0))
        except IntegrityError:
            pass
        n = session.execute(bump).scalar()
    return f"{code}-{year}-{n:04d}"


def number_for(*, session: Session, inspection: Inspection, kind, version: int, year: int) -> str:
    """A first version takes the type's next number; a later version is the same number with its
    version as a suffix (YS-2026-0001-2). Reports issued before keep the numbers they bear."""
    if version == 1:
        return next_number(session=session, code=kind.code, year=year)
    first = session.exec(select(Report).where(Report.inspection_id == inspection.id, Report.kind == kind.id,
                                              Report.version == 1)).first()
    if first is None:
        return next_number(session=session, code=kind.code, year=year) + f"-{version}"
    return f"{first.number}-{version}"
