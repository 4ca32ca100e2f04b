"""The units' lists of in-service members imported (004 三、工作措施 1): all rows or none, with a line
per row; the empty template the units fill in. Rows are checked as the member form checks them."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from ..core import ledger as core
from ..core.ledger import Invalid
from ..models import LedgerMember, Region, Site, User
from . import audit, rights
from .ledger import community_sites, county_of, member_fields, registered, unit_named


@dataclass
class ImportReport:
    """What an import did (or would have done): a line per row."""

    created: list[tuple[int, str]]  # (line, "姓名 → 社区")
    errors: list[tuple[int, str]]  # (line, reason)


def read_rows(filename: str, data: bytes) -> list[dict[str, str]]:
    """Rows of the units' Excel (.xlsx) or CSV list, keyed by field; Invalid naming the problem."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv"):
        raise Invalid([f"不支持的文件类型 {suffix or '（无扩展名）'}，请上传 .xlsx 或 .csv"])
    try:
        if suffix == ".csv":
            text = data.decode("utf-8-sig")
            import csv
            table = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
        else:
            from openpyxl import load_workbook
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
            table = [[_cell(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    except UnicodeDecodeError:
        raise Invalid(["CSV 文件不是 UTF-8 编码（请在 Excel 中另存为“CSV UTF-8”）"]) from None
    except Exception as exc:  # noqa: BLE001 - a broken workbook is the user's file, not our error
        raise Invalid([f"无法读取 Excel 文件：{exc.__class__.__name__}"]) from None
    if not table or not any(table[0]):
        raise Invalid(["文件是空的"])
    header = [h.strip() for h in table[0]]
    unknown = [h for h in header if h and h not in core.COLUMNS]
    if unknown:
        raise Invalid([f"第 1 行：未知的列 {'、'.join(unknown)}"])
    fields = [core.COLUMNS.get(h) for h in header]
    missing = [f for f in core.REQUIRED if f not in fields]
    if missing:
        names = {"name": "姓名", "unit": "单位", "phone": "联系电话"}
        raise Invalid([f"第 1 行：缺少列 {'、'.join(names[m] for m in missing)}"])
    return [{"_line": str(line), **{f: (row[i] if i < len(row) else "") for i, f in enumerate(fields) if f}}
            for line, row in enumerate(table[1:], start=2) if any(cell for cell in row)]


def _cell(value: Any) -> str:
    """An Excel cell as text (dates as ISO dates, whole numbers without '.0')."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.date().isoformat() if hasattr(value, "date") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


TEMPLATE_COLUMNS = ("姓名", "单位", "单位党组织", "主管部门党组织", "县级部门", "居住社区", "联系电话", "报到日期", "证明信编号",
                    "服务岗位", "服务承诺", "特长", "结对对象", "对象类别", "对象住址")


def import_template() -> bytes:
    """An empty workbook with the import's columns and one example row."""
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.title = "在职党员名单"
    sheet.append(list(TEMPLATE_COLUMNS))
    sheet.append(["王明", "县财政局", "县财政局机关党支部", "中共县财政局党组", "是", "某某社区党群服务中心", "13900000000",
                  "2026-05-10", "财证〔2026〕1号", "政策宣讲", "每季度参加一次社区志愿服务", "财会", "李秀英", "孤寡老人",
                  "3号楼2单元"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _communities_by_name(session: Session, sites: list[Site]) -> dict[str, Site]:
    """The user's community centers by their name and by their region's name (the list may give either)."""
    regions = {r.id: r.name for r in session.exec(select(Region).where(Region.id.in_([s.region_id for s in sites])))} \
        if sites else {}
    by_name: dict[str, Site] = {}
    for s in sites:
        by_name.setdefault(s.name, s)
        by_name.setdefault(regions.get(s.region_id, ""), s)
    return by_name


def _check_row(session: Session, row: dict[str, str], *, by_name: dict[str, Site], default_site: Site | None,
               today: date, seen: set[tuple[int, str, str]]) -> tuple[Site, dict]:
    """One row's community and fields; ValueError with the reason (a repeat of an earlier row included)."""
    fields = core.parse_member(row)
    target = by_name.get(fields["community"]) if fields["community"] else default_site
    if target is None:
        raise ValueError(f"居住社区 {fields['community']!r} 不是本辖区的社区" if fields["community"] else "请填写居住社区")
    if fields["reported_on"] and fields["reported_on"] > today:
        raise ValueError(f"报到日期 {fields['reported_on']} 晚于今天")
    key = (target.id, fields["name"], fields["phone"])
    if key in seen:
        raise ValueError(f"与前面的行重复（{fields['name']} {fields['phone']}）")
    if registered(session, target, fields["name"], fields["phone"]):
        raise ValueError(f"{target.name} 已登记 {fields['name']}（{fields['phone']}）")
    seen.add(key)
    return target, fields


def import_members(*, session: Session, user: User, rows: list[dict[str, str]], today: date,
                   default_site: Site | None = None) -> ImportReport:
    """Import the units' lists: every row is checked first; one bad row stores nothing (a report with errors).

    The community column names a community center of the user's region (name, or the region's name);
    it may be blank when `default_site` is given (a community importing its own list).
    """
    rights.require(user, "ledger_import")
    by_name = _communities_by_name(session, community_sites(session=session, user=user))
    report = ImportReport([], [] if rows else [(2, "文件中没有数据行")])
    seen: set[tuple[int, str, str]] = set()
    parsed: list[tuple[int, Site, dict]] = []
    for row in rows:
        try:
            parsed.append((int(row["_line"]), *_check_row(session, row, by_name=by_name, default_site=default_site,
                                                          today=today, seen=seen)))
        except ValueError as exc:
            report.errors.append((int(row["_line"]), str(exc)))
    if report.errors:
        return report
    for line, target, fields in parsed:
        unit = unit_named(session=session, county=county_of(session=session, site=target), name=fields["unit"],
                          party_org=fields["party_org"], supervisor_org=fields["supervisor_org"],
                          county_department=fields["county_department"])
        session.add(LedgerMember(site_id=target.id, unit_id=unit.id, created_by_id=user.id, **member_fields(fields)))
        report.created.append((line, f"{fields['name']}（{unit.name}）→ {target.name}"))
    session.flush()
    audit.record(session=session, user_id=user.id, action="import", entity="ledgermember", entity_id=None,
                 after={"rows": len(parsed)})
    return report
