"""The dashboard's Excel export, streamed: one row per site, in constant memory.

Two statements read in the same order (village code, site id) through server-side cursors
(`yield_per`) and are merged as they stream: the sites with their latest inspection, and that
inspection's answers (for a follow-up, over the answers of the inspections it follows up).
Only one site's answers are held at a time. core/xlsxstream.py deflates each row into the
sheet as it comes, with its strings inline (openpyxl keeps every distinct string in memory for
the shared-strings table, so 200,000 site names would grow with the export; xlsxwriter's
constant-memory mode is about ten times slower here).

Columns: the site and its latest inspection; one result per checklist item (合格 / 不合格 / 不适用
/ 未查); the subsidy its decision pays (issue 13: the stored amount, or 0 and 不予拨付); then the
measured value of every item that is measured, counted or chosen (issue 16), as numbers where
they are numbers. The header row carries an autofilter. No text cell can run as a formula
(core/spreadsheet.py; and an inline string is never read as a formula).
"""
from __future__ import annotations

from typing import IO, Any, Callable, Iterator

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import aliased

from ..core import clock, units, words
from ..core.checklist import ChecklistSpec
from ..core.spreadsheet import safe_row
from ..core.xlsxstream import SheetWriter
from ..models import LABELS, SITE_TYPE_LABELS, Answer, Inspection, Region, Site
from . import summaries

HEADERS = ("乡镇（街道）", "村（社区）", "站点名称", "类型", "申报等级", "检查目的", "检查状态", "得分", "结论", "检查日期")
WIDTHS = (14, 14, 26, 6, 10, 10, 10, 7, 12, 12)
SUBSIDY_HEADERS = ("奖补金额（元）", "拨付")
RESULT_WORDS = words.CELL_RESULT_WORDS
MEASURED = ("measure", "count", "dimensions", "rate", "choice", "text")  # items with a value beyond pass/fail
PROGRESS_EVERY = 5000
STATUS_LABELS = summaries.STATUS_LABELS


def _per_site(path: str, tier: str | None, checklist: str, purpose: str | None):
    """Every in-scope site once, with its latest inspection on the checklist (NULL when none)."""
    village = aliased(Region, name="xv")
    conditions: list[Any] = [lambda v: v.path.startswith(path)]
    if tier == summaries.NONE:
        conditions.append(Site.tier_applied.is_(None))
    elif tier:
        conditions.append(Site.tier_applied == tier)
    latest = summaries._latest(conditions, purpose, checklist)
    return (select(Site.id.label("site_id"), Site.name.label("name"), Site.site_type.label("site_type"),
                   Site.tier_applied.label("applied"), village.parent_id.label("township_id"),
                   village.name.label("village"), village.code.label("code"), latest.c.last_id)
            .select_from(Site).join(village, village.id == Site.region_id)
            .outerjoin(latest, latest.c.site_id == Site.id)
            .where(*[c(village) if callable(c) else c for c in conditions]).subquery("per_site"))


def count_sites(conn, path: str, tier: str | None) -> int:
    """How many sites the export will have (for its progress)."""
    village = aliased(Region, name="cv")
    query = (select(func.count()).select_from(Site).join(village, village.id == Site.region_id)
             .where(village.path.startswith(path)))
    if tier == summaries.NONE:
        query = query.where(Site.tier_applied.is_(None))
    elif tier:
        query = query.where(Site.tier_applied == tier)
    return conn.execute(query).scalar_one()


def _streams(conn, per_site, measured: list[str]):
    """The two ordered, server-side streams: sites with their latest inspection; its answers."""
    last = aliased(Inspection, name="last")
    township = aliased(Region, name="township")
    site_rows = conn.execute(
        select(per_site.c.site_id, township.name, per_site.c.village, per_site.c.name, per_site.c.site_type,
               per_site.c.applied, last.id, last.purpose, last.status, last.score, last.verdict, last.tier,
               func.coalesce(last.submitted_at, last.started_at), last.subsidy)
        .select_from(per_site).outerjoin(township, township.id == per_site.c.township_id)
        .outerjoin(last, last.id == per_site.c.last_id).order_by(per_site.c.code, per_site.c.site_id)
        .execution_options(yield_per=2000))
    # A follow-up re-checks only some items; the rest keep the answers of the inspection it follows
    # (perhaps itself a follow-up): walk the chain and let newer answers overwrite older ones.
    chain = (select(per_site.c.site_id.label("site_id"), per_site.c.code.label("code"),
                    per_site.c.last_id.label("member"), literal(0).label("depth"))
             .where(per_site.c.last_id.is_not(None)).cte("chain", recursive=True))
    step = aliased(Inspection, name="step")
    chain = chain.union_all(select(chain.c.site_id, chain.c.code, step.follow_up_of_id, chain.c.depth + 1)
                            .join(step, step.id == chain.c.member).where(step.follow_up_of_id.is_not(None)))
    answer_rows = conn.execute(
        select(chain.c.site_id, Answer.item_id, Answer.result,
               case((Answer.item_id.in_(measured or ["-"]), Answer.value)).label("value"))
        .select_from(chain).join(Answer, Answer.inspection_id == chain.c.member)
        .order_by(chain.c.code, chain.c.site_id, chain.c.depth.desc()).execution_options(yield_per=5000))
    return site_rows, answer_rows


def _by_site(rows) -> Iterator[tuple[int, list[tuple[str, str, Any]]]]:
    """Answer rows (site id, item id, result, value), already ordered by site, grouped per site."""
    current, bucket = None, []
    for site_id, item_id, res, value in rows:
        if site_id != current:
            if current is not None:
                yield current, bucket
            current, bucket = site_id, []
        bucket.append((item_id, res, value))
    if current is not None:
        yield current, bucket


def measured_text(item, value: Any) -> Any:
    """An answer's measured value as a cell: a number stays a number; a pair is 长×宽; an option its label."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return "×".join(str(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k} {v}" for k, v in value.items())
    if item.kind == "choice":
        for option in item.options or ():
            if option.value == value:
                return getattr(option, "label", None) or value
    return str(value)




def _subsidy(amount: int | None, purpose: str | None) -> tuple[Any, str]:
    """The subsidy cells: the stored decision's amount; 0 and 不予拨付; blank where no decision pays."""
    if amount is None:
        return None, ""
    return amount, ("不予拨付" if amount == 0 else "拨付")


def _header(items, measured) -> tuple[list[str], list[float]]:
    """The header row and the column widths."""
    columns = (list(HEADERS) + [f"{item.id} {_short(item.text, 20)}" for item in items] + list(SUBSIDY_HEADERS)
               + [f"实测：{item.id}" + (f"（{units.label(item.unit)}）" if item.unit else "") for item in measured])
    widths = list(WIDTHS) + [16] * len(items) + [12, 9] + [14] * len(measured)
    return safe_row(columns), widths


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def write(conn, *, path: str, tier: str | None, purpose: str | None, spec: ChecklistSpec, out: IO[bytes] | str,
          progress: Callable[[int, int], None] | None = None, total: int | None = None) -> int:
    """Write the workbook of the sites under `path` to `out` (a file or a path); the number of sites."""
    per_site = _per_site(path, tier, spec.id, purpose)
    items = spec.items()
    measured = [item for item in items if item.kind in MEASURED]
    site_rows, answer_rows = _streams(conn, per_site, [item.id for item in measured])
    header, widths = _header(items, measured)
    sheet = SheetWriter(out, title="站点检查汇总", header=header, widths=widths)
    cells = _Cells(items, measured)
    answers = _by_site(answer_rows)
    pending = next(answers, None)
    count = 0
    for row in site_rows:
        mine = None
        if pending is not None and pending[0] == row[0]:
            mine, pending = pending[1], next(answers, None)
        sheet.append(safe_row(cells.row(row, mine or ())))
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count, total or count)
    sheet.close()
    return count


class _Cells:
    """One site's row of the workbook: its columns, each item's result word, the measured values."""

    def __init__(self, items, measured):
        self.items, self.measured = items, measured
        self.column = {item.id: i for i, item in enumerate(items)}
        self.where = {item.id: i for i, item in enumerate(measured)}
        self.by_id = {item.id: item for item in items}
        self.blanks: dict[tuple[str | None, str], list[str]] = {}

    def _blank(self, ins_tier, site_type) -> list[str]:
        """Unanswered items: not applicable to this tier and site type, or not checked."""
        key = (ins_tier, site_type)
        if key not in self.blanks:
            self.blanks[key] = [RESULT_WORDS["open"] if item.applies(ins_tier, site_type) else RESULT_WORDS["na"]
                                for item in self.items]
        return self.blanks[key]

    def row(self, site_row, answers) -> list[Any]:
        """The cells of one site (its site row and its answers' (item, result, value))."""
        (_site_id, town, village, name, site_type, tier_, ins_id, purpose_, status, score, verdict, ins_tier,
         when, subsidy) = site_row
        results: list[Any] = list(self._blank(ins_tier, site_type)) if ins_id is not None else [None] * len(self.items)
        values: list[Any] = [None] * len(self.measured)
        for item_id, res, value in answers:
            i = self.column.get(item_id)
            if i is not None:
                results[i] = RESULT_WORDS.get(res, RESULT_WORDS["open"])
                if item_id in self.where:
                    values[self.where[item_id]] = measured_text(self.by_id[item_id], value)
        return [town or "", village, name, SITE_TYPE_LABELS.get(site_type, site_type), LABELS.get(tier_) if tier_ else None,
                LABELS.get(purpose_, "") if purpose_ else "", STATUS_LABELS.get(status or "none", status),
                score, words.verdict_words(verdict, ""), clock.china_day_text(when), *results,
                *(_subsidy(subsidy, purpose_) if ins_id is not None else (None, None)), *values]
