"""Self-assessment against inspection: what a village said it has, next to what an inspector found.

A site's pair is its newest submitted self-assessment and the newest submitted inspection on the
same checklist (by checklist id: the two may have been started on different versions of it).
Items present in both versions are compared by item id; the rest are listed as "only in one".
The county list is computed in SQL (a constant number of queries however many sites there are).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..core import clock, scoring, words
from ..core.checklist import ChecklistSpec, Item
from ..core.words import answer_words
from ..models import LABELS, Answer, ChecklistVersion, Inspection, Region, Site
from . import inspections

SUBMITTED = ("submitted", "resubmitted", "approved", "accepted")  # "submitted or later"; returned is not
INSPECTION_PURPOSES = ("inspection", "completion_acceptance", "red_landmark")

OVERSTATED, UNDERSTATED, AGREE, NOT_COMPARABLE = "overstated", "understated", "agree", "not_comparable"
CATEGORY_LABELS = {OVERSTATED: "自评偏高", UNDERSTATED: "自评偏低", AGREE: "一致", NOT_COMPARABLE: "无法比较"}
CATEGORY_HINTS = {OVERSTATED: "村（社区）自评符合，检查不符合", UNDERSTATED: "村（社区）自评不符合，检查符合",
                  AGREE: "自评与检查结果相同", NOT_COMPARABLE: "一方未检查或不适用"}

# column -> (label, descending by default); "overstated" sorts by overstated items, then score gap
SORTS = {
    "overstated": ("自评偏高项", True), "understated": ("自评偏低项", True), "agree": ("一致项", True),
    "gap": ("分差", True), "self_score": ("自评得分", True), "inspection_score": ("检查得分", True),
    "site": ("站点", False), "township": ("乡镇（街道）", False),
}
DEFAULT_SORT = "overstated"


def category(self_result: str, inspection_result: str) -> str:
    """How a self-assessment result stands against the inspector's for one item."""
    if self_result == scoring.PASS and inspection_result == scoring.FAIL:
        return OVERSTATED
    if self_result == scoring.FAIL and inspection_result == scoring.PASS:
        return UNDERSTATED
    if self_result == inspection_result and self_result in (scoring.PASS, scoring.FAIL):
        return AGREE
    return NOT_COMPARABLE


def gap(self_score: float | None, inspection_score: float | None) -> float | None:
    """Self score − inspection score (positive: the village rated itself higher); None if one is missing."""
    if self_score is None or inspection_score is None:
        return None
    return round(self_score - inspection_score, 2)


# ---------------------------------------------------------------- pairing (SQL)

def _sites_in(region: Region, township: Region | None = None):
    """Ids of the sites inside a region (and a township of it, when given)."""
    path = township.path if township is not None else region.path
    return select(Site.id).join(Region, Region.id == Site.region_id).where(Region.path.startswith(path))


def _latest(purposes: tuple[str, ...], site_ids, name: str):
    """The newest submitted, non-follow-up inspection of these purposes per site and checklist id, ranked."""
    when = func.coalesce(Inspection.submitted_at, Inspection.updated_at)
    rank = func.row_number().over(partition_by=(Inspection.site_id, ChecklistVersion.checklist_id),
                                  order_by=(when.desc(), Inspection.id.desc()))
    return (select(Inspection.id.label("id"), Inspection.site_id.label("site_id"),
                   ChecklistVersion.checklist_id.label("checklist_id"), when.label("at"), rank.label("rank"))
            .join(ChecklistVersion, ChecklistVersion.id == Inspection.checklist_version_id)
            .where(Inspection.purpose.in_(purposes), Inspection.status.in_(SUBMITTED),
                   Inspection.follow_up_of_id.is_(None),  # a follow-up re-checks a few items only
                   Inspection.site_id.in_(site_ids))
            .subquery(name))


def _pairs(site_ids, name: str = "pairs"):
    """Per site and checklist id: the latest self-assessment and latest inspection, and the pair's rank
    among the site's checklists (1 = the checklist self-assessed most recently)."""
    s = _latest(("self_assessment",), site_ids, "s_latest")
    i = _latest(INSPECTION_PURPOSES, site_ids, "i_latest")
    site_rank = func.row_number().over(partition_by=s.c.site_id, order_by=(s.c.at.desc(), s.c.id.desc()))
    return (select(s.c.site_id.label("site_id"), s.c.checklist_id.label("checklist_id"),
                   s.c.id.label("self_id"), i.c.id.label("inspection_id"), site_rank.label("site_rank"))
            .join(i, and_(i.c.site_id == s.c.site_id, i.c.checklist_id == s.c.checklist_id, i.c.rank == 1))
            .where(s.c.rank == 1)
            .cte(name))


def _counts(pairs):
    """Per pair, the items answered in both: overstated, understated and agreeing counts (SQL aggregate)."""
    sa, ia = aliased(Answer, name="self_answer"), aliased(Answer, name="inspection_answer")

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return (select(pairs.c.self_id.label("self_id"), pairs.c.inspection_id.label("inspection_id"),
                   count(and_(sa.result == scoring.PASS, ia.result == scoring.FAIL)).label("overstated"),
                   count(and_(sa.result == scoring.FAIL, ia.result == scoring.PASS)).label("understated"),
                   count(and_(sa.result == ia.result, sa.result.in_((scoring.PASS, scoring.FAIL)))).label("agree"))
            .join(sa, sa.inspection_id == pairs.c.self_id)
            .join(ia, and_(ia.inspection_id == pairs.c.inspection_id, ia.item_id == sa.item_id))
            .where(pairs.c.site_rank == 1)
            .group_by(pairs.c.self_id, pairs.c.inspection_id)
            .subquery("counts"))


# ---------------------------------------------------------------- the county list

@dataclass(frozen=True)
class Pair:
    """One site's self-assessment and inspection, with the item counts and scores compared."""

    site: Site
    village: str
    township: str
    township_id: int | None
    checklist_title: str
    self_assessment: Inspection
    inspection: Inspection
    self_score: float | None
    inspection_score: float | None
    overstated: int
    understated: int
    agree: int

    @property
    def gap(self) -> float | None:
        """Self score − inspection score."""
        return gap(self.self_score, self.inspection_score)


def townships(*, session: Session, region: Region) -> list[Region]:
    """The townships a user of this region may filter by (their own, or those below them)."""
    return list(session.exec(select(Region).where(Region.level == "township", Region.path.startswith(region.path))
                             .order_by(Region.name, Region.id)))


def county_list(*, session: Session, region: Region, township: Region | None = None,
                sort: str = DEFAULT_SORT, descending: bool | None = None) -> list[Pair]:
    """Every site of the region (or of one township in it) with both a self-assessment and an inspection.

    Sorted by the column asked for; the default puts the most overstated self-assessments first
    (overstated items, then score gap). One query, plus a rescore of any inspection with no stored score.
    """
    pairs = _pairs(_sites_in(region, township))
    counts = _counts(pairs)
    self_ins, insp = aliased(Inspection, name="self_ins"), aliased(Inspection, name="insp")
    village, town = aliased(Region, name="village"), aliased(Region, name="town")
    rows = session.exec(
        select(Site, self_ins, insp, village.name, town.id, town.name, ChecklistVersion.title,
               func.coalesce(counts.c.overstated, 0), func.coalesce(counts.c.understated, 0),
               func.coalesce(counts.c.agree, 0))
        .select_from(pairs)
        .join(Site, Site.id == pairs.c.site_id)
        .join(village, village.id == Site.region_id)
        .outerjoin(town, and_(town.id == village.parent_id, town.level == "township"))
        .join(self_ins, self_ins.id == pairs.c.self_id)
        .join(insp, insp.id == pairs.c.inspection_id)
        .join(ChecklistVersion, ChecklistVersion.id == insp.checklist_version_id)
        .outerjoin(counts, and_(counts.c.self_id == pairs.c.self_id, counts.c.inspection_id == pairs.c.inspection_id))
        .where(pairs.c.site_rank == 1)).all()
    scores = _scores(session=session, inspections_=[r[1] for r in rows] + [r[2] for r in rows],
                     sites={r[0].id: r[0] for r in rows})
    out = [Pair(site=s, village=v or "", township=tn or "", township_id=tid, checklist_title=title,
                self_assessment=a, inspection=b, self_score=scores[a.id], inspection_score=scores[b.id],
                overstated=int(o), understated=int(u), agree=int(g))
           for s, a, b, v, tid, tn, title, o, u, g in rows]
    return sort_pairs(out, sort, descending)


def _scores(*, session: Session, inspections_: list[Inspection], sites: dict[int, Site]) -> dict[int, float | None]:
    """Each inspection's stored score; the few stored without one are rescored from one query of answers."""
    out = {i.id: i.score for i in inspections_}
    missing = [i for i in inspections_ if i.score is None]
    if not missing:
        return out
    values: dict[int, dict[str, Any]] = {i.id: {} for i in missing}
    for a in session.exec(select(Answer).where(Answer.inspection_id.in_(list(values)))):
        values[a.inspection_id][a.item_id] = a.value
    for i in missing:  # spec_for reads each checklist version once per session
        spec = inspections.spec_for(session=session, inspection=i)
        out[i.id] = scoring.evaluate(spec, values[i.id], tier=i.tier, site_type=sites[i.site_id].site_type).score
    return out


def parse_sort(sort: str | None, direction: str | None) -> tuple[str, bool]:
    """A known sort column (else the default) and whether it runs descending."""
    key = sort if sort in SORTS else DEFAULT_SORT
    if direction in ("asc", "desc"):
        return key, direction == "desc"
    return key, SORTS[key][1]


def _sort_value(p: Pair, key: str) -> Any:
    return {"overstated": p.overstated, "understated": p.understated, "agree": p.agree, "gap": p.gap,
            "self_score": p.self_score, "inspection_score": p.inspection_score, "site": p.site.name,
            "township": p.township}[key]


def _most_overstated_first(p: Pair) -> tuple:
    """The default order: most overstated items, then the largest gap (none last), then site name."""
    return (-p.overstated, -p.gap if p.gap is not None else float("inf"), p.site.name, p.site.id)


def sort_pairs(pairs: list[Pair], sort: str = DEFAULT_SORT, descending: bool | None = None) -> list[Pair]:
    """Pairs sorted by a column (missing values last); ties keep the most-overstated-first order."""
    key, desc = parse_sort(sort, None if descending is None else ("desc" if descending else "asc"))
    ordered = sorted(pairs, key=_most_overstated_first)
    if key == DEFAULT_SORT:
        return ordered if desc else ordered[::-1]
    present = [p for p in ordered if _sort_value(p, key) is not None]
    present.sort(key=lambda p: _sort_value(p, key), reverse=desc)  # stable, also when reversed
    return present + [p for p in ordered if _sort_value(p, key) is None]


CSV_COLUMNS = ("乡镇（街道）", "村（社区）", "站点", "清单", "自评得分", "检查得分", "分差（自评−检查）",
               "自评偏高项", "自评偏低项", "一致项", "自评状态", "自评提交时间", "检查类型", "检查状态", "检查提交时间")


def _cell(value: Any) -> Any:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    from ..core.spreadsheet import safe_cell
    return safe_cell(value)


def local_time(dt: datetime | None) -> str:
    """A stored UTC time as Beijing time text (empty when there is none)."""
    return clock.china_text(dt)


def _score_text(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def to_csv(pairs: list[Pair]) -> bytes:
    """The list as CSV, UTF-8 with a byte-order mark so Excel reads the Chinese correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for p in pairs:
        writer.writerow(map(_cell, [_cell(p.township), _cell(p.village), _cell(p.site.name), _cell(p.checklist_title),
                         _score_text(p.self_score), _score_text(p.inspection_score), _score_text(p.gap),
                         p.overstated, p.understated, p.agree,
                         LABELS.get(p.self_assessment.status, p.self_assessment.status),
                         local_time(p.self_assessment.submitted_at), LABELS.get(p.inspection.purpose, p.inspection.purpose),
                         LABELS.get(p.inspection.status, p.inspection.status), local_time(p.inspection.submitted_at)]))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# ---------------------------------------------------------------- one site, item by item

@dataclass(frozen=True)
class Side:
    """One inspection's answer to an item."""

    result: str
    value: str
    note: str
    detail: str

    @property
    def label(self) -> str:
        """The result in Chinese."""
        return words.RESULT_WORDS.get(self.result, self.result)


@dataclass(frozen=True)
class Row:
    """One item present in both checklist versions, with both answers and how they compare."""

    item: Item
    section: str
    own: Side  # the self-assessment's
    found: Side  # the inspector's
    category: str

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]


@dataclass
class Comparison:
    """A site's self-assessment and inspection, item by item."""

    site: Site
    self_assessment: Inspection
    inspection: Inspection
    self_spec: ChecklistSpec
    inspection_spec: ChecklistSpec
    rows: list[Row]
    only_self: list[Item]
    only_inspection: list[Item]
    self_score: float | None
    inspection_score: float | None
    checklists: list[tuple[str, str]] = field(default_factory=list)  # (checklist id, title) with a pair

    @property
    def gap(self) -> float | None:
        """Self score − inspection score."""
        return gap(self.self_score, self.inspection_score)

    @property
    def checklist_id(self) -> str:
        return self.inspection_spec.id

    def count(self, category_: str) -> int:
        """How many compared items fall in a category."""
        return sum(1 for r in self.rows if r.category == category_)

    @property
    def counts(self) -> dict[str, int]:
        return {c: self.count(c) for c in CATEGORY_LABELS}


def pairs_of(*, session: Session, site: Site) -> list[tuple[str, int, int]]:
    """The site's (checklist id, self-assessment id, inspection id) pairs, most recently self-assessed first."""
    pairs = _pairs(select(Site.id).where(Site.id == site.id), "site_pairs")
    return [(c, s, i) for c, s, i in session.exec(
        select(pairs.c.checklist_id, pairs.c.self_id, pairs.c.inspection_id).order_by(pairs.c.site_rank)).all()]


def for_site(*, session: Session, site: Site, checklist_id: str | None = None) -> Comparison | None:
    """The site's comparison on one checklist (default: the one self-assessed most recently), or None."""
    found = pairs_of(session=session, site=site)
    chosen = next((p for p in found if checklist_id is None or p[0] == checklist_id), None)
    if chosen is None:
        return None
    _checklist, self_id, inspection_id = chosen
    own, theirs = session.get(Inspection, self_id), session.get(Inspection, inspection_id)
    own_spec = inspections.spec_for(session=session, inspection=own)
    their_spec = inspections.spec_for(session=session, inspection=theirs)
    own_answers = inspections.answers_of(session=session, inspection=own)
    their_answers = inspections.answers_of(session=session, inspection=theirs)
    rows = []
    for section in their_spec.sections:
        for item in section.items:
            other = own_spec.by_id.get(item.id)
            if other is None:
                continue
            a = _side(other, own_answers.get(item.id), own, site)
            b = _side(item, their_answers.get(item.id), theirs, site)
            rows.append(Row(item=item, section=section.title, own=a, found=b, category=category(a.result, b.result)))
    titles = dict(session.exec(select(ChecklistVersion.checklist_id, ChecklistVersion.title)
                               .where(ChecklistVersion.checklist_id.in_([c for c, _s, _i in found]))).all())
    return Comparison(
        site=site, self_assessment=own, inspection=theirs, self_spec=own_spec, inspection_spec=their_spec, rows=rows,
        only_self=[i for i in own_spec.items() if i.id not in their_spec.by_id],
        only_inspection=[i for i in their_spec.items() if i.id not in own_spec.by_id],
        self_score=_score(session, own), inspection_score=_score(session, theirs),
        checklists=[(c, titles.get(c, c)) for c, _s, _i in found])


def _score(session: Session, inspection: Inspection) -> float | None:
    """The stored score, recomputed only where none was stored."""
    if inspection.score is not None:
        return inspection.score
    return inspections.outcome(session=session, inspection=inspection).score


def _side(item: Item, answer: Answer | None, inspection: Inspection, site: Site) -> Side:
    """An inspection's answer to an item: its stored result (the one the county list counts), words and note."""
    if answer is None:
        result = scoring.OPEN if item.applies(inspection.tier, site.site_type) else scoring.NA
        return Side(result, "未填" if result == scoring.OPEN else "", "", "")
    detail = scoring.judge(item, answer.value, tier=inspection.tier, site_type=site.site_type).detail
    return Side(answer.result, answer_words(answer.value, item), answer.note or "", detail)


def unpaired_self_assessments(*, session: Session, region: Region) -> list[Inspection]:
    """Submitted self-assessments in a region whose site has no inspection to compare with yet (oldest first)."""
    pairs = _pairs(_sites_in(region))
    paired = set(session.exec(select(pairs.c.site_id)).all())
    rows = session.exec(select(Inspection).where(Inspection.purpose == "self_assessment",
                                                 Inspection.status.in_(SUBMITTED),
                                                 Inspection.site_id.in_(_sites_in(region)))
                        .order_by(Inspection.id)).all()
    return [r for r in rows if r.site_id not in paired]
