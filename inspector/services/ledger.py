"""The in-service members' ledger (seed 004): members, units, activities, feedback letters, the tallies
per member and year, the November roll-up, and the checklist items computed from the records.

Every read and write is scoped: a community site outside the user's region does not exist for them.
"""
from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ..core import ledger as core
from ..core import photos as photo_core
from ..models import (ChecklistVersion, Inspection, LedgerActivity, LedgerFeedback, LedgerItemCheck, LedgerMember,
                      LedgerUnit, Region, Site, UnitUser, User, utcnow)
from . import audit, rights, scope


class LedgerError(ValueError):
    """A request the ledger refuses (answered 409 with the reason)."""


class Invalid(ValueError):
    """A form or file with problems (answered 422 with every problem); nothing was stored."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("；".join(problems))


@dataclass(frozen=True)
class Upload:
    """A photo file from a form: its name and bytes."""

    filename: str
    data: bytes


# ---------------------------------------------------------------- scope


def unit_ids(*, session: Session, user: User) -> set[int] | None:
    """The units a `unit` account speaks for (it sees only their members); None for every other role."""
    if user.role != "unit":
        return None
    return set(session.exec(select(UnitUser.unit_id).where(UnitUser.user_id == user.id)))


def link_unit_user(*, session: Session, user: User, unit: LedgerUnit, by: User | None = None) -> UnitUser:
    """Bind a `unit` account to its unit (the account must lie in the unit's county)."""
    if user.role != "unit":
        raise LedgerError(f"{user.username} 不是党员所在单位账号")
    if not scope.covers(session=session, user=user, region_id=unit.county_id):
        raise LedgerError(f"{user.username} 的区划不包含{unit.name}所在的县（区）")
    row = session.exec(select(UnitUser).where(UnitUser.user_id == user.id)).first() or UnitUser(user_id=user.id,
                                                                                             unit_id=unit.id)
    row.unit_id = unit.id
    session.add(row)
    session.flush()
    audit.record(session=session, user_id=by.id if by else None, action="link_unit", entity="user", entity_id=user.id,
                 after={"unit": unit.name})
    return row


def community_sites(*, session: Session, user: User) -> list[Site]:
    """Community centers in the user's region, by name (for a unit account: where its members live)."""
    region = scope.region_of(session=session, user=user)
    q = (select(Site).join(Region, Region.id == Site.region_id)
         .where(Region.path.startswith(region.path), Site.site_type == "community"))
    units = unit_ids(session=session, user=user)
    if units is not None:
        q = q.where(Site.id.in_(select(LedgerMember.site_id).where(LedgerMember.unit_id.in_(units or {-1}))))
    return list(session.exec(q.order_by(Site.name)))


def site(*, session: Session, user: User, site_id: int) -> Site | None:
    """A community site the user may see, or None (a village site has no ledger)."""
    found = scope.site(session=session, user=user, site_id=site_id)
    return found if found is not None and found.site_type == "community" else None


def member(*, session: Session, user: User, member_id: int) -> LedgerMember | None:
    """A member of a community the user may see (a unit account: only its own members), or None."""
    found = session.get(LedgerMember, member_id)
    if found is None or site(session=session, user=user, site_id=found.site_id) is None:
        return None
    units = unit_ids(session=session, user=user)
    return found if units is None or found.unit_id in units else None


def activity(*, session: Session, user: User, activity_id: int) -> LedgerActivity | None:
    """An activity of a member the user may see, or None."""
    found = session.get(LedgerActivity, activity_id)
    if found is None or member(session=session, user=user, member_id=found.member_id) is None:
        return None
    return found


def county_of(*, session: Session, site: Site) -> Region:
    """The county a site lies in (units are kept per county)."""
    region = session.get(Region, site.region_id)
    ids = [int(x) for x in region.path.strip("/").split("/") if x]
    rows = session.exec(select(Region).where(Region.id.in_(ids))).all()
    county = next((r for r in rows if r.level == "county"), None)
    if county is None:
        raise LedgerError(f"{site.name} 不在任何县（区）之下，无法登记单位")
    return county


def township_name(*, session: Session, site: Site) -> str:
    """The name of the township a site lies in."""
    region = session.get(Region, site.region_id)
    parent = session.get(Region, region.parent_id) if region.parent_id else None
    return parent.name if parent is not None and parent.level == "township" else ""


# ---------------------------------------------------------------- units and members


def unit_named(*, session: Session, county: Region, name: str, party_org: str = "", supervisor_org: str = "",
               county_department: bool | None = None) -> LedgerUnit:
    """The county's unit of this name, created if new; blank fields are filled from the given ones."""
    unit = session.exec(select(LedgerUnit).where(LedgerUnit.county_id == county.id, LedgerUnit.name == name)).first()
    if unit is None:
        unit = LedgerUnit(county_id=county.id, name=name, party_org=party_org, supervisor_org=supervisor_org,
                          county_department=bool(county_department))
        session.add(unit)
        session.flush()
        return unit
    unit.party_org = unit.party_org or party_org
    unit.supervisor_org = unit.supervisor_org or supervisor_org
    if county_department:
        unit.county_department = True
    session.add(unit)
    return unit


def units_of(*, session: Session, ids: Iterable[int]) -> dict[int, LedgerUnit]:
    """Units by id."""
    ids = list(set(ids))
    return {u.id: u for u in session.exec(select(LedgerUnit).where(LedgerUnit.id.in_(ids)))} if ids else {}


def members_of(*, session: Session, site: Site, units: set[int] | None = None) -> list[LedgerMember]:
    """The community's active members (of these units only, when given), by name."""
    q = select(LedgerMember).where(LedgerMember.site_id == site.id, LedgerMember.active)
    if units is not None:
        q = q.where(LedgerMember.unit_id.in_(units or {-1}))
    return list(session.exec(q.order_by(LedgerMember.name, LedgerMember.id)))


def _member_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The member columns of parsed fields."""
    keys = ("name", "phone", "reported_on", "letter_number", "service_post", "pledge", "skills", "pair_name",
            "pair_kind", "pair_address")
    return {k: fields[k] for k in keys}


def _duplicate(session: Session, site: Site, name: str, phone: str) -> bool:
    """Whether the community already has a member with this name and phone."""
    return session.exec(select(LedgerMember.id).where(LedgerMember.site_id == site.id, LedgerMember.name == name,
                                                      LedgerMember.phone == phone)).first() is not None


def add_member(*, session: Session, site: Site, form: Mapping[str, str], by: User, today: date) -> LedgerMember:
    """Register a member at a community (the fields of 基本情况信息卡); Invalid with the reason."""
    rights.require(by, "ledger_edit")
    try:
        fields = core.parse_member(form)
    except ValueError as exc:
        raise Invalid([str(exc)]) from None
    if fields["reported_on"] and fields["reported_on"] > today:
        raise Invalid([f"报到日期 {fields['reported_on']} 晚于今天"])
    if _duplicate(session, site, fields["name"], fields["phone"]):
        raise Invalid([f"{site.name} 已登记 {fields['name']}（{fields['phone']}）"])
    unit = unit_named(session=session, county=county_of(session=session, site=site), name=fields["unit"],
                      party_org=fields["party_org"], supervisor_org=fields["supervisor_org"],
                      county_department=fields["county_department"])
    row = LedgerMember(site_id=site.id, unit_id=unit.id, created_by_id=by.id, **_member_fields(fields))
    session.add(row)
    session.flush()
    audit.record(session=session, user_id=by.id, action="add", entity="ledgermember", entity_id=row.id,
                 after={"site": site.id, "name": row.name, "unit": unit.name})
    return row


def update_member(*, session: Session, member: LedgerMember, form: Mapping[str, str], by: User,
                  today: date) -> LedgerMember:
    """Change a member's card (unit, phone, post, pledge, pairing…) or mark them moved away; audited."""
    rights.require(by, "ledger_edit")
    try:
        fields = core.parse_member(form)
    except ValueError as exc:
        raise Invalid([str(exc)]) from None
    if fields["reported_on"] and fields["reported_on"] > today:
        raise Invalid([f"报到日期 {fields['reported_on']} 晚于今天"])
    site = session.get(Site, member.site_id)
    if (fields["name"], fields["phone"]) != (member.name, member.phone) and _duplicate(session, site, fields["name"],
                                                                                         fields["phone"]):
        raise Invalid([f"{site.name} 已登记 {fields['name']}（{fields['phone']}）"])
    unit = unit_named(session=session, county=county_of(session=session, site=site), name=fields["unit"],
                      party_org=fields["party_org"], supervisor_org=fields["supervisor_org"],
                      county_department=fields["county_department"])
    keys = list(_member_fields(fields)) + ["unit_id", "active"]
    before = {k: _plain(getattr(member, k)) for k in keys}
    for k, v in _member_fields(fields).items():
        setattr(member, k, v)
    member.unit_id, member.active = unit.id, form.get("active", "1") != "0"
    member.updated_at = utcnow()
    session.add(member)
    after = {k: _plain(getattr(member, k)) for k in keys}
    audit.record(session=session, user_id=by.id, action="update", entity="ledgermember", entity_id=member.id,
                 before={k: v for k, v in before.items() if after[k] != v},
                 after={k: v for k, v in after.items() if before[k] != v})
    return member


def _plain(value: Any) -> Any:
    """A value as JSON keeps it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date) else value


def mark_reported(*, session: Session, member: LedgerMember, on: str, letter_number: str, by: User,
                  today: date) -> LedgerMember:
    """Record the member's reporting (with the letter's number); Invalid when the date is wrong."""
    rights.require(by, "ledger_edit")
    try:
        day = core.parse_date(on, "报到日期")
    except ValueError as exc:
        raise Invalid([str(exc)]) from None
    if day is None:
        raise Invalid(["请填写报到日期"])
    if day > today:
        raise Invalid([f"报到日期 {day} 晚于今天"])
    before = {"reported_on": member.reported_on.isoformat() if member.reported_on else None,
              "letter_number": member.letter_number}
    member.reported_on, member.letter_number = day, (letter_number or member.letter_number).strip()[:64]
    member.updated_at = utcnow()
    session.add(member)
    audit.record(session=session, user_id=by.id, action="report", entity="ledgermember", entity_id=member.id,
                 before=before, after={"reported_on": day.isoformat(), "letter_number": member.letter_number})
    return member


# ---------------------------------------------------------------- import (all rows or none)


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


def import_members(*, session: Session, user: User, rows: list[dict[str, str]], today: date,
                   default_site: Site | None = None) -> ImportReport:
    """Import the units' lists: every row is checked first; one bad row stores nothing (Invalid-like report).

    The community column names a community center of the user's region (name, or the region's name);
    it may be blank when `default_site` is given (a community importing its own list).
    """
    rights.require(user, "ledger_import")
    sites = community_sites(session=session, user=user)
    by_name: dict[str, Site] = {}
    regions = {r.id: r.name for r in session.exec(select(Region).where(Region.id.in_([s.region_id for s in sites])))} \
        if sites else {}
    for s in sites:
        by_name.setdefault(s.name, s)
        by_name.setdefault(regions.get(s.region_id, ""), s)
    report = ImportReport([], [])
    seen: set[tuple[int, str, str]] = set()
    parsed: list[tuple[int, Site, dict]] = []
    if not rows:
        report.errors.append((2, "文件中没有数据行"))
    for row in rows:
        line = int(row["_line"])
        try:
            fields = core.parse_member(row)
            target = by_name.get(fields["community"]) if fields["community"] else default_site
            if target is None:
                raise ValueError(f"居住社区 {fields['community']!r} 不是本辖区的社区" if fields["community"]
                                 else "请填写居住社区")
            if fields["reported_on"] and fields["reported_on"] > today:
                raise ValueError(f"报到日期 {fields['reported_on']} 晚于今天")
            key = (target.id, fields["name"], fields["phone"])
            if key in seen:
                raise ValueError(f"与前面的行重复（{fields['name']} {fields['phone']}）")
            if _duplicate(session, target, fields["name"], fields["phone"]):
                raise ValueError(f"{target.name} 已登记 {fields['name']}（{fields['phone']}）")
            seen.add(key)
            parsed.append((line, target, fields))
        except ValueError as exc:
            report.errors.append((line, str(exc)))
    if report.errors:
        return report
    for line, target, fields in parsed:
        unit = unit_named(session=session, county=county_of(session=session, site=target), name=fields["unit"],
                          party_org=fields["party_org"], supervisor_org=fields["supervisor_org"],
                          county_department=fields["county_department"])
        row = LedgerMember(site_id=target.id, unit_id=unit.id, created_by_id=user.id, **_member_fields(fields))
        session.add(row)
        report.created.append((line, f"{fields['name']}（{unit.name}）→ {target.name}"))
    session.flush()
    audit.record(session=session, user_id=user.id, action="import", entity="ledgermember", entity_id=None,
                 after={"rows": len(parsed)})
    return report


# ---------------------------------------------------------------- activities


def record_activity(*, session: Session, member: LedgerMember, form: Mapping[str, str], photo: Upload | None,
                    by: User, today: date, media_root: Path,
                    max_bytes: int = 25 * 1024 * 1024) -> tuple[LedgerActivity, tuple[str, ...]]:
    """Add an entry to the member's 写实登记卡; Invalid with every problem, nothing stored then.

    Returns the activity and the media files written (the caller removes them if its commit fails).
    """
    rights.require(by, "ledger_edit")
    problems: list[str] = []
    kind = (form.get("kind") or "").strip()
    if kind not in core.KINDS:
        problems.append(f"请选择活动类型（{'、'.join(core.KINDS.values())}）")
    try:
        on = core.parse_date(form.get("on"), "活动日期")
        if on is None:
            problems.append("请填写活动日期")
        elif on > today:
            problems.append(f"活动日期 {on} 晚于今天")
    except ValueError as exc:
        on = None
        problems.append(str(exc))
    minutes = 0
    raw_hours = (form.get("hours") or "").strip()
    if raw_hours or kind != "suggestion":
        try:
            minutes = core.parse_hours(raw_hours)
        except ValueError as exc:
            problems.append(str(exc))
    note = (form.get("note") or "").strip()
    if kind == "suggestion" and not note:
        problems.append("意见建议请在“说明”中写明内容")
    if problems:
        raise Invalid(problems)
    stored: dict[str, Any] | None = None
    created: tuple[str, ...] = ()
    if photo is not None and photo.data:
        site = session.get(Site, member.site_id)
        mark = photo_core.Watermark(site=site.name, server_time=utcnow(), lat=None, lon=None, accuracy_m=None,
                                    inspector=by.display_name)
        try:
            saved = photo_core.ingest(photo.data, media_root=media_root, watermark=mark, max_bytes=max_bytes)
        except photo_core.PhotoError as exc:
            raise Invalid([f"{photo.filename or '照片'}：{exc.reason}"]) from None
        created = tuple(saved.created)
        stored = {"display": saved.display, "thumb": saved.thumb, "original": saved.original, "sha256": saved.sha256}
    row = LedgerActivity(member_id=member.id, on=on, minutes=minutes, kind=kind, note=note[:2000], photo=stored,
                         recorded_by_id=by.id)
    session.add(row)
    session.flush()
    audit.record(session=session, user_id=by.id, action="add", entity="ledgeractivity", entity_id=row.id,
                 after={"member": member.id, "on": on.isoformat(), "kind": kind, "minutes": minutes,
                        "photo": bool(stored)})
    return row, created


def activities_of(*, session: Session, member_ids: Iterable[int], year: int | None = None) -> list[LedgerActivity]:
    """Activities of these members (in a year, if given), oldest first."""
    ids = list(member_ids)
    if not ids:
        return []
    q = select(LedgerActivity).where(LedgerActivity.member_id.in_(ids))
    if year is not None:
        q = q.where(LedgerActivity.on >= date(year, 1, 1), LedgerActivity.on <= date(year, 12, 31))
    return list(session.exec(q.order_by(LedgerActivity.on, LedgerActivity.id)))


def photo_path(row: LedgerActivity, size: str) -> str | None:
    """The stored path of an activity's photo at a size (thumb / display), or None."""
    if size not in ("thumb", "display") or not row.photo:
        return None
    return row.photo.get(size)


# ---------------------------------------------------------------- tallies


@dataclass
class MemberYear:
    """A member, their unit, their activities of the year and the tally against the rules."""

    member: LedgerMember
    unit: LedgerUnit
    activities: list[LedgerActivity]
    tally: core.Tally


def tally_of(member: LedgerMember, activities: Iterable[LedgerActivity], *, year: int, as_of: date,
             deadline: date) -> core.Tally:
    """One member's tally from their activity rows."""
    return core.tally(year=year, activities=[core.Activity(a.on, a.minutes, a.kind) for a in activities],
                      reported_on=member.reported_on, paired=bool(member.pair_name), deadline=deadline, as_of=as_of)


def year_of(*, session: Session, site: Site, year: int, as_of: date,
            deadline_md: tuple[int, int] = core.DEFAULT_DEADLINE, units: set[int] | None = None) -> list[MemberYear]:
    """Every active member of a community (of these units, when given) with the year's tally."""
    return years_of(session=session, sites=[site], year=year, as_of=as_of, deadline_md=deadline_md,
                    units=units)[site.id]


def years_of(*, session: Session, sites: list[Site], year: int, as_of: date,
             deadline_md: tuple[int, int] = core.DEFAULT_DEADLINE,
             units: set[int] | None = None, records: bool = True) -> dict[int, list[MemberYear]]:
    """Each community's active members with the year's tally, by site id: three statements however many
    communities (members, their units, the year's activities joined to the members).

    records=False reads only the activities' columns the rules need (date, minutes, type) and keeps
    them as `core.Activity`: the roll-up does not need notes or photos (bench/ledger_summary.py)."""
    ids = [s.id for s in sites]
    out: dict[int, list[MemberYear]] = {i: [] for i in ids}
    if not ids:
        return out
    q = select(LedgerMember).where(LedgerMember.site_id.in_(ids), LedgerMember.active)
    columns = (LedgerActivity,) if records else (LedgerActivity.member_id, LedgerActivity.on, LedgerActivity.minutes,
                                                 LedgerActivity.kind)
    a = (select(*columns).join(LedgerMember, LedgerMember.id == LedgerActivity.member_id)
         .where(LedgerMember.site_id.in_(ids), LedgerMember.active,
                LedgerActivity.on >= date(year, 1, 1), LedgerActivity.on <= date(year, 12, 31)))
    if units is not None:
        q = q.where(LedgerMember.unit_id.in_(units or {-1}))
        a = a.where(LedgerMember.unit_id.in_(units or {-1}))
    members = list(session.exec(q.order_by(LedgerMember.name, LedgerMember.id)))
    if not members:
        return out
    unit_rows = {u.id: u for u in session.exec(select(LedgerUnit).where(LedgerUnit.id.in_(
        select(LedgerMember.unit_id).where(LedgerMember.site_id.in_(ids)))))}
    acts: dict[int, list[Any]] = defaultdict(list)
    if records:
        for row in session.exec(a.order_by(LedgerActivity.on, LedgerActivity.id)):
            acts[row.member_id].append(row)
    else:
        for member_id, on, minutes, kind in session.exec(a):
            acts[member_id].append(core.Activity(on, minutes, kind))
    deadline = core.deadline_of(year, deadline_md)
    for m in members:
        mine = acts[m.id]
        tally = core.tally(year=year, activities=mine if not records else
                           [core.Activity(x.on, x.minutes, x.kind) for x in mine],
                           reported_on=m.reported_on, paired=bool(m.pair_name), deadline=deadline, as_of=as_of)
        out[m.site_id].append(MemberYear(m, unit_rows[m.unit_id], mine, tally))
    return out


def shortfalls(rows: Iterable[MemberYear]) -> list[MemberYear]:
    """Members falling short of a hard rule or a soft one (the list names what is missing)."""
    return [r for r in rows if r.tally.falls_short or r.tally.warnings]


# ---------------------------------------------------------------- feedback letters


def feedback_of(*, session: Session, site: Site, year: int) -> list[LedgerFeedback]:
    """The community's feedback letters of a year."""
    return list(session.exec(select(LedgerFeedback).where(LedgerFeedback.site_id == site.id,
                                                          LedgerFeedback.year == year)
                             .order_by(LedgerFeedback.quarter, LedgerFeedback.unit_id)))


def feedback(*, session: Session, user: User, feedback_id: int) -> LedgerFeedback | None:
    """A feedback letter of a community the user may see, or None."""
    found = session.get(LedgerFeedback, feedback_id)
    if found is None or site(session=session, user=user, site_id=found.site_id) is None:
        return None
    units = unit_ids(session=session, user=user)
    return found if units is None or found.unit_id in units else None


RATINGS = ("优秀", "合格", "基本合格", "不合格")  # the yearly card's appraisal (民主评议党员's grades)


def send_feedback(*, session: Session, site: Site, unit_id: int, year: int, quarter: int, by: User, today: date,
                  ratings: Mapping[int, tuple[str, str]] | None = None,
                  deadline_md: tuple[int, int] = core.DEFAULT_DEADLINE) -> LedgerFeedback:
    """Send a unit the quarter's feedback letter (1–4, 三、工作措施 2) or the yearly card (0, 二（二）4).

    The letter keeps the members' tallies as sent. A quarter can be sent once it has ended; the
    yearly card needs a rating for every member of the unit.
    """
    rights.require(by, "ledger_edit")
    if quarter not in core.QUARTER_NAMES or not 2000 <= year <= today.year:
        raise Invalid([f"季度应为 1–4（或 0 表示年度反馈卡），年份不晚于今年：{year} 年 {quarter}"])
    if quarter and quarter not in core.quarters_due(year, today):
        raise Invalid([f"{year} 年{core.QUARTER_NAMES[quarter]}尚未结束，结束后再反馈"])
    rows = [r for r in year_of(session=session, site=site, year=year, as_of=today, deadline_md=deadline_md)
            if r.unit.id == unit_id]
    if not rows:
        raise Invalid(["本社区没有这个单位的在职党员"])
    unit = rows[0].unit
    if session.exec(select(LedgerFeedback.id).where(LedgerFeedback.site_id == site.id, LedgerFeedback.unit_id == unit_id,
                                                    LedgerFeedback.year == year,
                                                    LedgerFeedback.quarter == quarter)).first():
        raise LedgerError(f"{year} 年{core.QUARTER_NAMES[quarter]}已向{unit.name}反馈过")
    ratings = ratings or {}
    if quarter == 0:
        missing = [r.member.name for r in rows if (ratings.get(r.member.id) or ("", ""))[0] not in RATINGS]
        if missing:
            raise Invalid([f"请为 {'、'.join(missing)} 选择评议等次（{'、'.join(RATINGS)}）"])
    members = []
    for r in rows:
        t = r.tally
        rating, opinion = ratings.get(r.member.id, ("", ""))
        members.append({"id": r.member.id, "name": r.member.name, "post": r.member.service_post,
                        "times": t.times, "hours": t.hours, "suggestions": t.suggestions,
                        "public_welfare": t.public_welfare, "visits": sum(t.visits_by_month.values()),
                        "reported_on": r.member.reported_on.isoformat() if r.member.reported_on else "",
                        "missing": [c.missing for c in t.falls_short + t.warnings],
                        "rating": rating, "opinion": (opinion or "").strip()[:500]})
    content = {"site": site.name, "township": township_name(session=session, site=site), "unit": unit.name,
               "party_org": unit.party_org, "supervisor_org": unit.supervisor_org, "year": year,
               "quarter": quarter, "as_of": today.isoformat(), "members": members}
    row = LedgerFeedback(site_id=site.id, unit_id=unit_id, year=year, quarter=quarter, sent_on=today,
                         content=content, by_id=by.id)
    session.add(row)
    session.flush()
    audit.record(session=session, user_id=by.id, action="feedback", entity="ledgerfeedback", entity_id=row.id,
                 after={"unit": unit.name, "year": year, "quarter": quarter, "members": len(members)})
    return row


@dataclass
class FeedbackDue:
    """A unit's feedback letters in a year: the quarters due, those sent, the yearly card."""

    unit: LedgerUnit
    members: int
    due: list[int]
    sent: dict[int, LedgerFeedback]

    @property
    def missing(self) -> list[int]:
        """Quarters due and not sent."""
        return [q for q in self.due if q not in self.sent]


def feedback_status(*, session: Session, site: Site, year: int, as_of: date,
                    units: set[int] | None = None) -> list[FeedbackDue]:
    """Per unit with members here (these units only, when given): quarterly letters due by `as_of` and sent."""
    members = members_of(session=session, site=site, units=units)
    counts: dict[int, int] = defaultdict(int)
    for m in members:
        counts[m.unit_id] += 1
    units = units_of(session=session, ids=counts)
    sent: dict[int, dict[int, LedgerFeedback]] = defaultdict(dict)
    for f in feedback_of(session=session, site=site, year=year):
        sent[f.unit_id][f.quarter] = f
    due = core.quarters_due(year, as_of)
    return [FeedbackDue(units[u], counts[u], due, sent[u]) for u in sorted(units, key=lambda i: units[i].name)]


# ---------------------------------------------------------------- the November roll-up


@dataclass
class Summary:
    """The two summary tables of a region for a year."""

    year: int
    region: str
    as_of: date
    service: list[core.RollRow]
    report: list[core.RollRow]
    by_unit: list[core.RollRow]  # the service table by unit (各县级部门（系统）报本部门的汇总表)


def community_counts(rows: list[MemberYear], *, year: int, feedback_count: int,
                     deadline_md: tuple[int, int] = core.DEFAULT_DEADLINE) -> tuple[dict[str, int], dict[str, int]]:
    """One community's figures for both tables, from its members' year."""
    end = date(year, 12, 31)
    deadline = core.deadline_of(year, deadline_md)
    reported = [r for r in rows if r.member.reported_on and r.member.reported_on <= end]
    service = {"members": len(rows), "reported": len(reported),
               "posts": sum(1 for r in rows if r.member.service_post),
               "times": sum(r.tally.times for r in rows), "minutes": sum(r.tally.minutes for r in rows),
               "service_met": sum(1 for r in rows if r.tally.service_met),
               "suggestions": sum(r.tally.suggestions for r in rows),
               "public_welfare": sum(r.tally.public_welfare for r in rows),
               "paired": sum(1 for r in rows if r.member.pair_name),
               "visits": sum(sum(r.tally.visits_by_month.values()) for r in rows), "feedback": feedback_count}
    dept = [r for r in rows if r.unit.county_department]
    report = {"units": len({r.unit.id for r in rows}), "members": len(rows), "reported": len(reported),
              "on_time": sum(1 for r in rows if r.member.reported_on and r.member.reported_on <= deadline),
              "dept_members": len(dept),
              "dept_reported": sum(1 for r in dept if r.member.reported_on and r.member.reported_on <= end)}
    return service, report


def summary(*, session: Session, user: User, year: int, as_of: date,
            deadline_md: tuple[int, int] = core.DEFAULT_DEADLINE) -> Summary:
    """Both tables for the user's region: community → township subtotal → total (四、加强领导).

    Six statements whatever the number of communities (bench/ledger_summary.py counts them)."""
    rights.require(user, "ledger_summary")
    region = scope.region_of(session=session, user=user)
    sites = community_sites(session=session, user=user)
    names = {r.id: r for r in session.exec(select(Region).where(Region.path.startswith(region.path)))}
    years = years_of(session=session, sites=sites, year=year, as_of=as_of, deadline_md=deadline_md, records=False)
    per_letter = session.exec(select(LedgerFeedback.site_id, LedgerFeedback.unit_id, func.count()).where(
        LedgerFeedback.site_id.in_([s.id for s in sites] or [-1]), LedgerFeedback.year == year,
        LedgerFeedback.quarter > 0).group_by(LedgerFeedback.site_id, LedgerFeedback.unit_id)).all()
    letters: dict[int, int] = defaultdict(int)
    unit_letters: dict[int, int] = defaultdict(int)
    for site_id, unit_id, n in per_letter:
        letters[site_id] += n
        unit_letters[unit_id] += n
    service_rows: list[tuple[str, str, dict]] = []
    report_rows: list[tuple[str, str, dict]] = []
    for s in sorted(sites, key=lambda s: (names[s.region_id].path, s.name)):
        own = names[s.region_id]
        parent = names.get(own.parent_id)
        town = parent.name if parent is not None and parent.level == "township" else (
            own.name if own.level == "township" else "")
        service, report = community_counts(years[s.id], year=year, feedback_count=letters.get(s.id, 0),
                                           deadline_md=deadline_md)
        service_rows.append((town, s.name, service))
        report_rows.append((town, s.name, report))
    by_unit: dict[int, list[MemberYear]] = defaultdict(list)
    for rows in years.values():
        for r in rows:
            by_unit[r.unit.id].append(r)
    keys = [k for k, _l in core.SERVICE_COLUMNS]
    units = sorted(by_unit.values(), key=lambda rows: (not rows[0].unit.county_department, rows[0].unit.name))
    unit_rows = [core.RollRow("unit", rows[0].unit.name, community_counts(
        rows, year=year, feedback_count=unit_letters.get(rows[0].unit.id, 0), deadline_md=deadline_md)[0])
        for rows in units]
    unit_rows.append(core.RollRow("county", f"{region.name} 合计", core.add_counts((r.counts for r in unit_rows), keys)))
    return Summary(year, region.name, as_of,
                   core.roll_up(service_rows, keys, region.name),
                   core.roll_up(report_rows, [k for k, _l in core.REPORT_COLUMNS], region.name), unit_rows)


def summary_cells(row: core.RollRow, table: str) -> list[str]:
    """A roll-up row's cells as printed (hours from minutes, rates added to the reporting table)."""
    if table == "service":
        return [core.format_hours(row.counts[k]) if k == "minutes" else str(row.counts[k])
                for k, _l in core.SERVICE_COLUMNS]
    c = row.counts
    return [str(c["units"]), str(c["members"]), str(c["reported"]), core.rate(c["reported"], c["members"]),
            str(c["on_time"]), str(c["dept_members"]), str(c["dept_reported"]),
            core.rate(c["dept_reported"], c["dept_members"])]


SERVICE_HEADERS = [label for _k, label in core.SERVICE_COLUMNS]
REPORT_HEADERS = ["单位数", "应报到", "已报到", "报到率", "按期报到（5月15日前）", "县级部门应报到", "县级部门已报到",
                  "县级部门报到率（应达100%）"]
TITLES = {"service": "在职党员进社区服务群众情况汇总表", "report": "在职党员进社区报到情况汇总表",
          "by_unit": "在职党员进社区服务群众情况汇总表（按单位）"}


def summary_xlsx(data: Summary) -> bytes:
    """Both tables as one workbook, a sheet each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    book = Workbook()
    for index, (table, headers, rows) in enumerate((("service", SERVICE_HEADERS, data.service),
                                                    ("report", REPORT_HEADERS, data.report),
                                                    ("by_unit", SERVICE_HEADERS, data.by_unit))):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = {"service": "服务群众情况汇总表", "report": "报到情况汇总表", "by_unit": "按单位汇总"}[table]
        sheet.append([f"《{TITLES[table]}》 {data.region} {data.year} 年（截至 {data.as_of.isoformat()}）"])
        sheet.append(["单位" if table == "by_unit" else "社区", *headers])
        for row in rows:
            sheet.append([row.name, *[_number(c) for c in summary_cells(row, "service" if table == "by_unit" else table)]])
            if row.level not in ("community", "unit"):
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number(text: str) -> Any:
    """A cell's text as a number where it is one (Excel sums it then)."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


# ---------------------------------------------------------------- inspection items computed from the ledger


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


def compute_items(*, session: Session, site: Site, year: int, as_of: date,
                  deadline_md: tuple[int, int] = core.DEFAULT_DEADLINE) -> dict[str, Computed]:
    """The ledger checklist's items that the records answer, for a community and year.

    Nothing is computed for a community with no members registered: the ledger is then empty,
    and the inspector answers from the paper records as before.
    """
    rows = year_of(session=session, site=site, year=year, as_of=as_of, deadline_md=deadline_md)
    if not rows:
        return {}
    n = len(rows)
    out: dict[str, Computed] = {}

    def every(item_id: str, met: int, words: str, evidence: str = "members") -> None:
        ok = met == n
        out[item_id] = Computed(item_id, "pass" if ok else "fail", "pass" if ok else "fail",
                                f"{words}：{met} / {n} 人（{core.rate(met, n)}）", evidence)

    dept = [r for r in rows if r.unit.county_department]
    end = date(year, 12, 31)
    reported_dept = sum(1 for r in dept if r.member.reported_on and r.member.reported_on <= end)
    if dept:
        out["sl-report-rate"] = Computed("sl-report-rate", {"respondents": len(dept), "satisfied": reported_dept},
                                         "pass" if reported_dept == len(dept) else "fail",
                                         f"县级部门在职党员报到率 = 已报到 {reported_dept} / 应报到 {len(dept)}"
                                         f"（{core.rate(reported_dept, len(dept))}）", "summary")
    reported = [r for r in rows if r.member.reported_on]
    every("sl-service-post", sum(1 for r in rows if r.member.service_post), "已认领服务岗位")
    every("sl-service-activities", sum(1 for r in rows if r.tally.service_met), "全年服务≥2次或≥8小时")
    every("sl-suggestion", sum(1 for r in rows if r.tally.suggestions >= core.MIN_SUGGESTIONS),
          "提出意见建议≥1条（原则上）")
    every("sl-public-benefit", sum(1 for r in rows if r.tally.public_welfare >= core.MIN_PUBLIC_WELFARE),
          "参加公益活动≥1次")
    every("sl-pairing", sum(1 for r in rows if r.tally.check("pairing").met), "结对帮扶且逐月走访")
    every("sl-activity-card", sum(1 for r in rows if r.activities), "写实登记卡有记录")
    every("sl-pairing-card", sum(1 for r in rows if r.member.pair_name), "建立联系对象档案（结对对象）")
    every("sl-report-receipt", len(reported), "已报到（可出具报到回执）")
    complete = sum(1 for r in rows if r.member.phone and r.unit.name and r.member.service_post)
    every("sl-member-archive", complete, "档案信息齐全（单位、电话、岗位）")
    status = feedback_status(session=session, site=site, year=year, as_of=as_of)
    due = sum(len(s.due) for s in status)
    sent = sum(len([q for q in s.due if q in s.sent]) for s in status)
    ok = sent == due
    out["sl-quarterly-feedback"] = Computed(
        "sl-quarterly-feedback", "pass" if ok else "fail", "pass" if ok else "fail",
        f"季度反馈函：已发 {sent} / 应发 {due} 份（{len(status)} 个单位 × 已结束的 {len(core.quarters_due(year, as_of))} 个季度）",
        "feedback")
    yearly = sum(1 for s in status if 0 in s.sent)
    if as_of >= date(year, 11, 30) or yearly:
        ok = yearly == len(status)
        out["sl-yearly-feedback"] = Computed("sl-yearly-feedback", "pass" if ok else "fail", "pass" if ok else "fail",
                                             f"年度现实表现评议情况反馈卡：已发 {yearly} / {len(status)} 个单位",
                                             "feedback")
    return out


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
    from . import inspections
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
