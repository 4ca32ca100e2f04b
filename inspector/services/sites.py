"""Sites: search, read, create, and import from CSV or Excel with a per-row error report."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..core import clock
from ..models import Inspection, Region, Site
from . import audit, regions

TIERS = ("demo", "standard", "upgrade")
TYPE_WORDS = {"村": "village", "village": "village", "社区": "community", "community": "community"}
TIER_WORDS = {"示范村": "demo", "示范": "demo", "demo": "demo", "达标村": "standard", "达标": "standard",
              "standard": "standard", "改扩建": "upgrade", "提档升级": "upgrade", "upgrade": "upgrade", "": None}
COLUMNS = {  # header (Chinese or English) -> field
    "名称": "name", "name": "name", "类型": "site_type", "site_type": "site_type",
    "乡镇": "township", "乡镇（街道）": "township", "township": "township", "地址": "address",
    "address": "address", "纬度": "lat", "lat": "lat", "经度": "lon", "lon": "lon",
    "申报等级": "tier_applied", "tier_applied": "tier_applied", "代码": "code", "code": "code",
    "批准类别": "tier_applied", "category": "tier_applied",
    "批准文号": "category_doc_number", "category_doc_number": "category_doc_number",
    "批准日期": "category_doc_date", "category_doc_date": "category_doc_date",
}
CATEGORY_SOURCE = "002 篇六 一、三：动工前报县乡村振兴攻坚指挥部和县委组织部审批"
REQUIRED = ("name", "site_type", "township")


def search(*, session: Session, q: str = "", region: Region | None = None, limit: int = 50,
           offset: int = 0) -> tuple[list[tuple[Site, Region]], int]:
    """Sites whose name or address contains q (within a region's subtree), and how many in all."""
    stmt = select(Site, Region).join(Region, Site.region_id == Region.id)
    if region is not None:
        stmt = stmt.where(Region.path.startswith(region.path))
    q = q.strip()
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Site.name.like(like), Site.address.like(like)))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(Region.path, Site.name).limit(limit).offset(offset)).all()
    return list(rows), total


def get(*, session: Session, site_id: int) -> Site | None:
    """A site by id, or None."""
    return session.get(Site, site_id)


def inspections_of(*, session: Session, site: Site) -> list[Inspection]:
    """The site's inspections, newest first."""
    return list(session.exec(select(Inspection).where(Inspection.site_id == site.id)
                             .order_by(Inspection.started_at.desc(), Inspection.id.desc())))


@dataclass
class RowError:
    """One bad row of an import file: the reason, and the column (field name) and value it is
    about when one cell is to blame."""

    row: int
    message: str
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.message}"


class ImportError_(Exception):
    """An import file had bad rows; nothing was stored."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(map(str, errors)))


def read_rows(path: str | Path, data: bytes | None = None) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM) or Excel (.xlsx) file, keyed by field name."""
    path = Path(path)
    raw = data if data is not None else path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook
        sheet = load_workbook(io.BytesIO(raw), read_only=True, data_only=True).active
        table = [["" if c is None else str(c).strip() for c in row] for row in sheet.iter_rows(values_only=True)]
    elif path.suffix.lower() == ".csv":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportError_([RowError(1, "文件不是 UTF-8 编码的 CSV（请在 Excel 中另存为“CSV UTF-8”）")]) from None
        table = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise ImportError_([RowError(0, f"不支持的文件类型 {path.suffix!r}，请用 .csv 或 .xlsx")])
    if not table:
        raise ImportError_([RowError(1, "文件是空的")])
    header = table[0]
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise ImportError_([RowError(1, f"未知的列 {', '.join(unknown)}（可用：{', '.join(sorted(set(COLUMNS)))}）")])
    fields = [COLUMNS.get(h) for h in header]
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        raise ImportError_([RowError(1, f"缺少列 {', '.join(missing)}")])
    # blank lines are skipped, but every row keeps its line in the file ("_line") for error reports
    return [{"_line": str(line), **{f: (row[i] if i < len(row) else "") for i, f in enumerate(fields) if f}}
            for line, row in enumerate(table[1:], start=2) if any(cell for cell in row)]


class CellError(ValueError):
    """A wrong cell of an import row: the reason, the column (field name) and, when not the cell's
    own text, the value shown."""

    def __init__(self, message: str, column: str | None = None, value: str | None = None):
        super().__init__(message)
        self.column, self.value = column, value


def _parse_row(row: dict[str, str]) -> dict:
    """One import row as site fields; CellError (a ValueError) naming the cell when one is wrong."""
    for f in REQUIRED:
        if not row.get(f):
            raise CellError(f"“{f}”不能为空", f)
    for f, word, limit in (("name", "名称", 100), ("address", "地址", 300), ("code", "代码", 32)):  # the columns' lengths
        if len(row.get(f) or "") > limit:
            raise ValueError(f"{word}过长（{len(row[f])} 个字符，上限 {limit}）")
    site_type = TYPE_WORDS.get(row["site_type"])
    if site_type is None:
        raise CellError(f"类型应为“村”或“社区”，而不是 {row['site_type']!r}", "site_type")
    tier = row.get("tier_applied", "")
    if tier not in TIER_WORDS:
        raise CellError(f"申报等级应为 示范村 / 达标村 / 改扩建 或留空，而不是 {tier!r}", "tier_applied")
    number = row.get("category_doc_number", "")
    when = parse_doc_date(row.get("category_doc_date", ""))
    if (number or when) and not TIER_WORDS[tier]:
        raise ValueError("填了批准文号或日期，但没有填批准类别")
    if len(number) > 80:
        raise ValueError("批准文号不能超过 80 字")
    coords = []
    for f, lo, hi, word in (("lat", 3.0, 54.0, "纬度"), ("lon", 73.0, 136.0, "经度")):
        text = row.get(f, "")
        if not text:
            coords.append(None)
            continue
        try:
            value = float(text)
        except ValueError:
            raise CellError(f"{word}应为数字，而不是 {text!r}", f) from None
        if not lo <= value <= hi:
            raise CellError(f"{word} {value} 不在中国境内（{lo}–{hi}）", f)
        coords.append(value)
    if (coords[0] is None) != (coords[1] is None):
        raise CellError("纬度和经度要么都填，要么都不填", "lat", f"{row.get('lat', '')} / {row.get('lon', '')}")
    return {"name": row["name"], "site_type": site_type, "township": row["township"],
            "address": row.get("address", ""), "lat": coords[0], "lon": coords[1],
            "tier_applied": TIER_WORDS[tier], "code": row.get("code", ""),
            "category_doc_number": number, "category_doc_date": when}


def parse_doc_date(text: str) -> date | None:
    """An approval document's date: 2026-03-01 (an Excel cell may add 00:00:00); ValueError when wrong."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return (datetime.fromisoformat(text).date() if " " in text or "T" in text
                else date.fromisoformat(text.replace("/", "-").replace(".", "-")))
    except ValueError:
        raise ValueError(f"批准日期应形如 2026-03-01，而不是 {text!r}") from None


def _township(session: Session, key: str, within: Region | None) -> Region | None:
    """A township by code or name (within a region's subtree, when given)."""
    stmt = select(Region).where(Region.level == "township", or_(Region.code == key, Region.name == key))
    if within is not None:
        stmt = stmt.where(Region.path.startswith(within.path))
    found = session.exec(stmt).all()
    return found[0] if len(found) == 1 else None


def _next_code(session: Session, township: Region) -> str:
    """A free region code under a township: its code plus a three-digit serial."""
    n = session.exec(select(func.count()).select_from(Region).where(Region.parent_id == township.id)).one()
    while True:
        n += 1
        code = f"{township.code}{n:03d}"
        if regions.by_code(session=session, code=code) is None:
            return code


def import_rows(*, session: Session, rows: list[dict[str, str]], by: int | None,
                within: Region | None = None) -> list[Site]:
    """Create a village region and a site per row; all rows or none (ImportError_ lists every bad row)."""
    errors: list[RowError] = []
    parsed = []
    seen = set()
    for n, row in enumerate(rows, start=2):
        n = int(row.get("_line") or n)  # the row's line in the file (blank lines are not rows)
        try:
            fields = _parse_row(row)
            township = _township(session, fields["township"], within)
            if township is None:
                raise CellError(f"找不到乡镇（街道）{fields['township']!r}", "township")
            key = (township.id, fields["name"])
            exists = session.exec(select(Site).join(Region, Site.region_id == Region.id)
                                  .where(Site.name == fields["name"], Region.parent_id == township.id)).first()
            if key in seen or exists:
                raise CellError(f"{township.name} 已有名为 {fields['name']!r} 的站点", "name")
            if fields["code"] and (fields["code"] in seen or regions.by_code(session=session, code=fields["code"])):
                raise ValueError(f"区划代码 {fields['code']!r} 已被使用")
            seen.add(key)
            if fields["code"]:
                seen.add(fields["code"])
            parsed.append((fields, township))
        except ValueError as exc:
            errors.append(RowError(n, str(exc), getattr(exc, "column", None), getattr(exc, "value", None)))
    if errors:
        raise ImportError_(errors)
    created = []
    for fields, township in parsed:
        code = fields.pop("code") or _next_code(session, township)
        fields.pop("township")
        village = regions.add_region(session=session, name=fields["name"], level="village", code=code, parent=township)
        site = Site(region_id=village.id, **fields)
        session.add(site)
        session.flush()
        audit.record(session=session, user_id=by, action="import", entity="site", entity_id=site.id,
                     after={"name": site.name, "region": township.name})
        created.append(site)
    return created


def set_location(*, session: Session, site: Site, lat: float, lon: float, system: str, geofence_m: int,
                 by: int | None) -> Site:
    """Record the site's position given in any Chinese map system; stored as WGS-84."""
    from ..core import geo
    wgs_lat, wgs_lon = geo.to_wgs84(lat, lon, system)
    if geo.out_of_china(wgs_lat, wgs_lon):
        raise ValueError("坐标不在中国境内，请检查纬度、经度是否填反")
    if not 20 <= geofence_m <= 5000:
        raise ValueError("定位范围应在 20–5000 米之间")
    before = {"lat": site.lat, "lon": site.lon, "geofence_m": site.geofence_m}
    site.lat, site.lon, site.geofence_m = round(wgs_lat, 7), round(wgs_lon, 7), geofence_m
    session.add(site)
    audit.record(session=session, user_id=by, action="locate", entity="site", entity_id=site.id, before=before,
                 after={"lat": site.lat, "lon": site.lon, "geofence_m": geofence_m, "entered": [lat, lon, system]})
    return site


def set_category(*, session: Session, site: Site, category: str, number: str, doc_date: str,
                 by: int | None, today: date | None = None) -> Site:
    """Record the category the county approved for the site, with the approval's number and date.

    A completion acceptance is judged against this category alone (002 篇六 三); ValueError names
    what is missing.
    """
    if category not in TIERS:
        raise ValueError("请选择批准类别：新建示范村、新建达标村或改扩建（提档升级）")
    number = (number or "").strip()
    if not number:
        raise ValueError("请填写批准文件的文号")
    if len(number) > 80:
        raise ValueError("批准文号不能超过 80 字")
    when = parse_doc_date(doc_date)
    if when is None:
        raise ValueError("请填写批准日期")
    if when > (today or clock.today()):
        raise ValueError("批准日期不能晚于今天")
    before = {"category": site.tier_applied, "number": site.category_doc_number,
              "date": site.category_doc_date.isoformat() if site.category_doc_date else None}
    site.tier_applied, site.category_doc_number, site.category_doc_date = category, number, when
    session.add(site)
    audit.record(session=session, user_id=by, action="set_category", entity="site", entity_id=site.id, before=before,
                 after={"category": category, "number": number, "date": when.isoformat(), "source": CATEGORY_SOURCE})
    return site
