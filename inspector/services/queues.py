"""Work queues: each role's to-do list on its home page, every entry leading to the work.

One read, `todo_for(user)`, scoped to the user's region like every other read (services/scope.py);
which sections a user gets follows from their rights (services/rights.py), not from the role's name:

- 待我签字: acceptances approved and waiting for this account's signature (every signer);
- 待审核: submissions of purposes this role reviews, from the day they were submitted;
- 被退回 / 待完成: returned and unfinished inspections of purposes this role fills in (an inspector's
  own; a village's or township's whole unit, whose accounts share the work);
- 待现场手写签名: the inspector's approved acceptances with signers without an account (their phone);
- 待各方签字: the reviewer's approved acceptances still missing signatures;
- 整改期限: open rectification tasks, soonest first (overdue and due within DUE_SOON_DAYS flagged);
- 待办环节: red-landmark and micro-project steps that wait on this role, by due date;
- 公示中: notices running on the region's sites.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func
from sqlmodel import Session, select

from ..models import (LABELS, Inspection, Notice, RectificationTask, Region, ReturnReason, SignOff, Site, User)
from . import landmark, rights, scope
from .due import due as due_steps
from .inspections import spec_for

DUE_SOON_DAYS = 5  # a rectification deadline within this many days is flagged
LIMIT = 50  # entries per section (the section says how many there are in all)
CHINA = timezone(timedelta(hours=8))
SHARED_ROLES = ("village", "township")  # a unit's accounts share its inspections (the whole unit's queue)


@dataclass(frozen=True)
class Entry:
    """One piece of work: what, its state, where it leads (target as in services/notifications)."""

    text: str
    detail: str
    target: str
    key: int | str
    urgent: bool = False


@dataclass(frozen=True)
class Section:
    """A heading of the to-do list with its entries (at most LIMIT) and how many there are."""

    key: str
    title: str
    entries: tuple[Entry, ...]
    total: int
    empty: str


def _in_region(session: Session, user: User):
    path = scope.region_of(session=session, user=user).path
    return (select(Site.id).join(Region, Site.region_id == Region.id)
            .where(Region.path.startswith(path)).scalar_subquery())


def _day(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA).date()


def _waited(moment: datetime | None, today: date) -> str:
    day = _day(moment)
    if day is None:
        return ""
    days = (today - day).days
    return "今天提交" if days <= 0 else f"已等待 {days} 天"


def _what(site: Site, ins: Inspection) -> str:
    return f"{site.name} · {LABELS.get(ins.purpose, ins.purpose)}"


def _section(key: str, title: str, entries: list[Entry], empty: str) -> Section:
    return Section(key, title, tuple(entries[:LIMIT]), len(entries), empty)


def _inspections(session: Session, user: User, statuses: tuple[str, ...], purposes: list[str], *,
                 own: bool) -> list[tuple[Inspection, Site]]:
    query = (select(Inspection, Site).join(Site, Inspection.site_id == Site.id)
             .where(Inspection.site_id.in_(_in_region(session, user)), Inspection.status.in_(statuses),
                    Inspection.purpose.in_(purposes)))
    if own:
        query = query.where(Inspection.created_by_id == user.id)
    return list(session.exec(query.order_by(Inspection.submitted_at, Inspection.updated_at, Inspection.id)))


def to_sign(session: Session, user: User) -> Section:
    """Acceptances approved and waiting for this account's signature."""
    rows = session.exec(select(Inspection, Site).join(SignOff, SignOff.inspection_id == Inspection.id)
                        .join(Site, Inspection.site_id == Site.id)
                        .where(SignOff.user_id == user.id, SignOff.signed_at.is_(None), Inspection.status == "approved",
                               Inspection.site_id.in_(_in_region(session, user)))
                        .order_by(Inspection.approved_at, Inspection.id)).all()
    unique = {i.id: (i, s) for i, s in rows}  # one entry even when signing for two parties
    entries = [Entry(_what(s, i), "已审核通过，请用本人账号和密码签字", "sign", i.id, True) for i, s in unique.values()]
    return _section("sign", "待我签字", entries, "没有待您签字的验收。")


def to_review(session: Session, user: User, purposes: list[str], today: date) -> Section:
    """Submissions this role reviews, oldest first, from the day they were submitted."""
    rows = _inspections(session, user, ("submitted", "resubmitted"), purposes, own=False)
    entries = [Entry(_what(s, i), f"{LABELS[i.status]} · {_waited(i.submitted_at, today)}"
                     + (f" · 第 {i.round + 1} 次提交" if i.round else ""), "review", i.id) for i, s in rows]
    return _section("review", "待审核", entries, "没有待审核的提交。")


def _first_reasons(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(ReturnReason, Inspection).join(Inspection, ReturnReason.inspection_id == Inspection.id)
                        .where(ReturnReason.inspection_id.in_(ids), ReturnReason.round == Inspection.round)
                        .order_by(ReturnReason.id)).all()
    out: dict[int, list[str]] = {}
    for r, _i in rows:
        out.setdefault(r.inspection_id, []).append(r.reason)
    return {k: f"{len(v)} 条原因：{v[0][:40]}" for k, v in out.items()}


def returned(session: Session, user: User, purposes: list[str]) -> Section:
    """Inspections returned for changes, with the latest return's first reason."""
    rows = _inspections(session, user, ("returned",), purposes, own=user.role not in SHARED_ROLES)
    reasons = _first_reasons(session, [i.id for i, _s in rows])
    entries = [Entry(_what(s, i), f"第 {i.round} 次退回 · {reasons.get(i.id, '')}", "walk", i.id, True)
               for i, s in rows]
    return _section("returned", "被退回，待修改", entries, "没有被退回的检查。")


def drafts(session: Session, user: User, purposes: list[str], today: date) -> Section:
    """Inspections started and not yet submitted."""
    rows = _inspections(session, user, ("draft",), purposes, own=user.role not in SHARED_ROLES)
    entries = []
    for i, s in rows:
        started = _day(i.started_at)
        words = f"{started.month}月{started.day}日开始" if started else ""
        entries.append(Entry(_what(s, i), f"填写中 · {words}" + (" · 整改复查" if i.follow_up_of_id else ""),
                             "walk", i.id))
    return _section("drafts", "待完成", entries, "没有未完成的检查。")


def _signature_counts(session: Session, ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per inspection: (signed, all, unsigned without an account)."""
    out: dict[int, list[int]] = {}
    for s in session.exec(select(SignOff).where(SignOff.inspection_id.in_(ids))) if ids else ():
        c = out.setdefault(s.inspection_id, [0, 0, 0])
        c[0] += s.signed_at is not None
        c[1] += 1
        c[2] += s.signed_at is None and s.user_id is None
    return {k: tuple(v) for k, v in out.items()}


def signatures(session: Session, user: User, *, own: bool) -> Section:
    """Approved acceptances still missing signatures: the inspector's own (hand signatures on their phone)
    or, for a reviewer, every one in the region."""
    rows = _inspections(session, user, ("approved",), ["completion_acceptance"], own=own)
    counts = _signature_counts(session, [i.id for i, _s in rows])
    entries = []
    for i, s in rows:
        signed, total, by_hand = counts.get(i.id, (0, 0, 0))
        if not total or signed == total or (own and not by_hand):
            continue
        extra = f" · {by_hand} 位须现场手写签名" if by_hand else ""
        entries.append(Entry(_what(s, i), f"已签 {signed}/{total}{extra}", "sign", i.id, own))
    if own:
        return _section("hand", "待现场手写签名", entries, "没有待采集的现场签名。")
    return _section("awaiting", "待各方签字", entries, "没有待签字的验收。")


def deadlines(session: Session, user: User, today: date) -> Section:
    """Open rectification tasks per inspection, the earliest deadline first (the inspector: their own)."""
    query = (select(RectificationTask, Inspection, Site).join(Inspection, RectificationTask.inspection_id == Inspection.id)
             .join(Site, Inspection.site_id == Site.id)
             .where(RectificationTask.status == "open", Inspection.site_id.in_(_in_region(session, user))))
    if user.role == "inspector":
        query = query.where(Inspection.created_by_id == user.id)
    grouped: dict[int, list] = {}
    for t, i, s in session.exec(query.order_by(RectificationTask.due_date, RectificationTask.id)):
        grouped.setdefault(i.id, [i, s, []])[2].append(t)
    entries = []
    for i, s, tasks in sorted(grouped.values(), key=lambda g: g[2][0].due_date):
        due = tasks[0].due_date
        left = (due - today).days
        words = f"已逾期 {-left} 天" if left < 0 else ("今天到期" if left == 0 else f"剩 {left} 天")
        detail = f"{len(tasks)} 项整改 · 期限 {due.year}年{due.month}月{due.day}日（{words}）"
        if any(t.follow_up_id for t in tasks):
            detail += " · 复查中"
        entries.append(Entry(_what(s, i), detail, "inspection", i.id, left <= DUE_SOON_DAYS))
    return _section("deadlines", "整改期限", entries, "没有未完成的整改任务。")


def steps(session: Session, user: User, today: date) -> Section:
    """Red-landmark and micro-project steps that wait on this role, overdue first."""
    region = scope.region_of(session=session, user=user)
    rows = [r for r in due_steps(session=session, region=region, today=today) if r.step.owner_role == user.role]
    entries = [Entry(f"{r.program_label} · {r.subject}", f"{r.label} · {r.countdown.words}",
                     "landmark" if r.step.program == landmark.PROGRAM else "micro", r.step.program_id,
                     r.countdown.days_left <= DUE_SOON_DAYS) for r in rows]
    return _section("steps", "待办环节", entries, "没有待您办理的环节。")


def notices_running(session: Session, user: User, today: date) -> Section:
    """Notices posted on the region's sites whose period has not ended."""
    rows = session.exec(select(Notice, Site).join(Site, Notice.site_id == Site.id)
                        .where(Notice.site_id.in_(_in_region(session, user)), Notice.status == "posted",
                               Notice.end_date >= today).order_by(Notice.end_date, Notice.id)).all()
    entries = [Entry(f"{s.name} · {n.title}",
                     ("将于 " if n.start_date > today else "公示中，至 ")
                     + (f"{n.start_date.month}月{n.start_date.day}日开始" if n.start_date > today
                        else f"{n.end_date.month}月{n.end_date.day}日结束"), "notice", n.public_id)
               for n, s in rows]
    return _section("notices", "公示中", entries, "没有正在公示的事项。")


def todo_for(*, session: Session, user: User, today: date) -> list[Section]:
    """The user's to-do list: the sections their rights call for, in the order they act on them."""
    starts = [p for p, roles in rights.START.items() if user.role in roles]
    reviews = [p for p, roles in rights.REVIEW.items() if user.role in roles]
    out = [to_sign(session, user)]
    if reviews:
        out.append(to_review(session, user, reviews, today))
    if starts:
        out += [returned(session, user, starts), drafts(session, user, starts, today)]
    if "completion_acceptance" in starts:
        out.append(signatures(session, user, own=True))
    if "completion_acceptance" in reviews:
        out.append(signatures(session, user, own=False))
    if user.role == "village" or rights.can(user, "rectify") or rights.can(user, "due_list"):
        out.append(deadlines(session, user, today))
    if user.role not in ("inspector", "contractor", "unit"):
        out.append(steps(session, user, today))
    if user.role in ("village", "township"):
        out.append(notices_running(session, user, today))
    if user.role == "contractor" or not (starts or reviews):  # a signer only: just what waits on them
        out = [s for s in out if s.key == "sign" or s.total]
    return out


def overview(*, session: Session, user: User) -> tuple[int, dict[str, int]]:
    """How many sites the user's region holds, and its inspections by status."""
    in_region = _in_region(session, user)
    sites = session.exec(select(func.count()).select_from(Site).where(Site.id.in_(in_region))).one()
    by_status = dict(session.exec(select(Inspection.status, func.count()).where(Inspection.site_id.in_(in_region))
                                  .group_by(Inspection.status)).all())
    return sites, by_status


def issuable(*, session: Session, user: User, statuses: tuple[str, ...], purposes: tuple[str, ...] = (),
             checklists: frozenset[str] | set[str] | None = None, limit: int) -> list[tuple[Inspection, Site]]:
    """Inspections in the user's region a report can be issued from: of these statuses (and purposes,
    and checklists, when given), the latest per site, by site name."""
    region = scope.region_of(session=session, user=user)
    query = (select(Inspection, Site).join(Site, Site.id == Inspection.site_id)
             .join_from(Site, Region, Region.id == Site.region_id)
             .where(Region.path.startswith(region.path), Inspection.status.in_(statuses))
             .order_by(Site.name, Inspection.id.desc()))
    if purposes:
        query = query.where(Inspection.purpose.in_(purposes))
    seen, out = set(), []
    for inspection, site in session.exec(query):
        if site.id in seen:
            continue
        if checklists is None or spec_for(session=session, inspection=inspection).id in checklists:
            seen.add(site.id)
            out.append((inspection, site))
    return out[:limit]
