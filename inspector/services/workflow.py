"""The review workflow of an inspection, its sign-off and its rectification loop.

    draft ──submit──▶ submitted ──approve──▶ approved ──accept / every signature──▶ accepted
      ▲                   │  └──reject──▶ rejected (completion acceptance not passed: rectify, follow up)
      │                return (a reason per item)
      │                   ▼
      └── (edit) ──── returned ──submit──▶ resubmitted ──approve / reject / return── …

A completion acceptance is approved, signed and accepted only while its decision
(`inspections.decision`) passes: 002 篇六 三 pays "对验收合格的" and refuses a project that changed
its design without approval outright.

Who may do what is `services.rights`; where is `services.scope` (the views check both before
calling here, and every function here checks the role again so no caller can skip it).
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session, select

from ..core import scoring
from ..core.decision import Decision
from ..core.geo import Position
from ..core.workdays import Calendar
from ..models import (LABELS, Inspection, Region, RectificationTask, ReturnReason, SignOff, Site, User, utcnow)
from . import audit, notifications, rights, users, workcalendar
from .inspections import InspectionError, refresh_decision, spec_for

# action → {from status: to status}; anything else is refused with both statuses named.
TRANSITIONS = {
    "submit": {"draft": "submitted", "returned": "resubmitted"},
    "return": {"submitted": "returned", "resubmitted": "returned"},
    "approve": {"submitted": "approved", "resubmitted": "approved"},
    "accept": {"approved": "accepted"},
    "reject": {"submitted": "rejected", "resubmitted": "rejected"},
}
ACTION_LABELS = {"submit": "提交", "return": "退回", "approve": "审核通过", "accept": "验收",
                 "reject": "判定验收不通过"}

# Which roles may sign for each signature party of the checklist (build-standard 篇六 三:
# 乡镇相关同志、综合验收工作组全体成员、施工方负责人).
PARTY_ROLES = {
    "township-staff": ("township",),
    "acceptance-team": ("inspector", "county_reviewer"),
    "contractor-lead": ("contractor",),
}
RECTIFICATION_WORKING_DAYS = 20  # a county setting: the sources give no deadline for rectification
TEAM_MIN_DEFAULT = 2  # county setting ACCEPTANCE_TEAM_MIN: 篇六 三 names "综合验收工作组全体成员", no number
SIGNATURE_MAX_BYTES = 600_000  # a drawn signature PNG from the phone's canvas


def _refuse_unless_passed(decision: Decision, action: str) -> None:
    """A completion acceptance whose decision does not pass cannot be approved, signed or accepted."""
    if decision.passed:
        return
    why = "；".join(decision.reasons[:8]) or decision.headline
    more = f"（另有 {len(decision.reasons) - 8} 条）" if len(decision.reasons) > 8 else ""
    raise InspectionError(f"验收结论为“{decision.headline}”，不能{action}：{why}{more}。"
                          "请判定验收不通过、整改后复查")


def _next_status(inspection: Inspection, action: str) -> str:
    """The status an action leads to from the current one, or InspectionError naming both."""
    target = TRANSITIONS[action].get(inspection.status)
    if target is None:
        allowed = "、".join(LABELS[s] for s in TRANSITIONS[action])
        raise InspectionError(f"检查当前为“{LABELS.get(inspection.status, inspection.status)}”，不能{ACTION_LABELS[action]}"
                              f"（只有“{allowed}”的检查可以{ACTION_LABELS[action]}）")
    return target


def _move(session: Session, inspection: Inspection, action: str, by: User, **after) -> None:
    """Change the status and write the audit row (who, when, before, after)."""
    before = inspection.status
    inspection.status = _next_status(inspection, action)
    inspection.updated_at = utcnow()
    session.add(inspection)
    audit.record(session=session, user_id=by.id, action=action, entity="inspection", entity_id=inspection.id,
                 before={"status": before}, after={"status": inspection.status, **after})


# ---------------------------------------------------------------- return with reasons

def return_for_changes(*, session: Session, inspection: Inspection, reasons: dict[str, str], general: str,
                       by: User) -> list[ReturnReason]:
    """Send a submitted inspection back with a reason on each item concerned (and/or overall).

    At least one reason is required; item ids must belong to the checklist.
    """
    rights.require(by, "review", inspection.purpose)
    _next_status(inspection, "return")
    spec = spec_for(session=session, inspection=inspection)
    unknown = sorted(i for i in reasons if i not in spec.by_id)
    if unknown:
        raise InspectionError(f"清单中没有条目：{'、'.join(unknown)}")
    clean = {i: r.strip()[:2000] for i, r in reasons.items() if r and r.strip()}
    general = (general or "").strip()[:2000]
    if not clean and not general:
        raise InspectionError("退回时请至少填写一条退回原因（可针对具体条目）")
    inspection.round += 1
    rows = [ReturnReason(inspection_id=inspection.id, round=inspection.round, item_id=i, reason=r, by_id=by.id)
            for i, r in clean.items()]
    if general:
        rows.append(ReturnReason(inspection_id=inspection.id, round=inspection.round, item_id=None, reason=general,
                                 by_id=by.id))
    session.add_all(rows)
    inspection.reviewed_by_id = by.id
    _move(session, inspection, "return", by, round=inspection.round,
          reasons={(i or "*"): r for i, r in [(row.item_id, row.reason) for row in rows]})
    notifications.about_inspection(session=session, inspection=inspection, kind="returned", by=by,
                                   users=[notifications.author_of(session, inspection)],
                                   what=f"被退回修改（第 {inspection.round} 次，{len(rows)} 条原因），请按原因修改后重新提交")
    return rows


def reasons_of(*, session: Session, inspection: Inspection, latest_only: bool = True) -> list[ReturnReason]:
    """The return reasons (of the latest return by default), in the order given."""
    query = select(ReturnReason).where(ReturnReason.inspection_id == inspection.id)
    if latest_only:
        query = query.where(ReturnReason.round == inspection.round)
    return list(session.exec(query.order_by(ReturnReason.round, ReturnReason.id)))


# ---------------------------------------------------------------- approve, sign, accept

@dataclass(frozen=True)
class PartySlot:
    """A signature party of the checklist with the users who may sign for it."""

    id: str
    name: str
    each: bool
    candidates: tuple[User, ...]


def signature_parties(*, session: Session, inspection: Inspection) -> list[PartySlot]:
    """The checklist's signature parties, each with the active users of the right role whose region
    covers the site (a contractor is bound to the village they build for)."""
    spec = spec_for(session=session, inspection=inspection)
    if spec.signatures is None:
        return []
    site = session.get(Site, inspection.site_id)
    region = session.get(Region, site.region_id)
    ancestors = [int(x) for x in region.path.strip("/").split("/") if x]
    people = list(session.exec(select(User).where(User.region_id.in_(ancestors), User.active.is_(True))
                               .order_by(User.role, User.display_name)))
    return [PartySlot(p.id, p.name, p.each,
                      tuple(u for u in people if u.role in PARTY_ROLES.get(p.id, ()))) for p in spec.signatures.parties]


def approve(*, session: Session, inspection: Inspection, by: User, signers: dict[str, list[int]] | None = None,
            today: date, calendar: Calendar, named: dict[str, list[tuple[str, str]]] | None = None,
            team_min: int = TEAM_MIN_DEFAULT) -> list[RectificationTask]:
    """Approve a submitted inspection.

    Completion acceptance: only when its decision passes. `signers` names, per signature party,
    the users who must sign with their account and `named` the people without one (name, role),
    who sign by hand on the inspector's phone (one for a single party, at least one for an
    `each` party; the acceptance team at least `team_min`); the acceptance then stands only
    when all have signed. Failed items become rectification tasks due in RECTIFICATION_WORKING_DAYS
    working days; approving a follow-up closes the tasks it re-checked.
    """
    rights.require(by, "review", inspection.purpose)
    _next_status(inspection, "approve")
    verdict = refresh_decision(session=session, inspection=inspection)
    result = verdict.outcome
    slots: list[tuple[str, int | None, str, str]] = []
    if inspection.purpose == "completion_acceptance":
        _refuse_unless_passed(verdict, "审核通过")
        slots = _check_signers(session, inspection, signers or {}, named or {}, team_min)
    tasks = _close_rechecked(session, inspection, result, by)
    tasks += _open_tasks(session, inspection, result, today=today, calendar=calendar)
    inspection.approved_at = utcnow()
    inspection.reviewed_by_id = by.id
    for party, user_id, name, role in slots:
        session.add(SignOff(inspection_id=inspection.id, party=party, user_id=user_id, signer_name=name,
                            signer_role=role, method="password" if user_id else "handwritten",
                            assigned_by_id=by.id))
    _move(session, inspection, "approve", by, score=result.score, verdict=verdict.verdict, subsidy=verdict.subsidy,
          signers=[[p, u or n] for p, u, n, _r in slots], tasks=[t.item_id for t in tasks if t.status == "open"])
    notifications.approved(session=session, inspection=inspection, by=by, slots=slots, tasks=tasks)
    return tasks


def reject(*, session: Session, inspection: Inspection, by: User, today: date, calendar: Calendar,
           reason: str = "") -> list[RectificationTask]:
    """Record that a completion acceptance did not pass: 0 paid, failed items become rectification tasks.

    Refused when the decision passes (then approve it, or return it with reasons).
    """
    rights.require(by, "review", inspection.purpose)
    if inspection.purpose != "completion_acceptance":
        raise InspectionError("只有竣工验收需要判定验收不通过；其他检查请审核通过或退回")
    _next_status(inspection, "reject")
    verdict = refresh_decision(session=session, inspection=inspection)
    if verdict.passed:
        raise InspectionError("验收结论为合格，不能判定不通过；如有异议请退回并写明原因")
    if verdict.verdict == "incomplete":
        raise InspectionError("检查尚未完成，不能作出验收结论；请退回补查")
    result = verdict.outcome
    tasks = _close_rechecked(session, inspection, result, by)
    tasks += _open_tasks(session, inspection, result, today=today, calendar=calendar)
    inspection.reviewed_by_id = by.id
    _move(session, inspection, "reject", by, score=result.score, verdict=verdict.verdict, subsidy=0,
          reasons=list(verdict.reasons)[:20], note=(reason or "").strip()[:2000],
          tasks=[t.item_id for t in tasks if t.status == "open"])
    notifications.about_inspection(session=session, inspection=inspection, kind="rejected", by=by,
                                   users=[notifications.author_of(session, inspection)],
                                   what=f"判定验收不通过（不予拨付），{len(tasks)} 项转为整改任务，整改后复查")
    notifications.tasks_issued(session=session, inspection=inspection, tasks=tasks, by=by)
    return tasks


def _check_signers(session: Session, inspection: Inspection, signers: dict[str, list[int]],
                   named: dict[str, list[tuple[str, str]]], team_min: int) -> list[tuple[str, int | None, str, str]]:
    """The (party, user id or None, name, role) to sign, or InspectionError naming what is wrong."""
    out = []
    for slot in signature_parties(session=session, inspection=inspection):
        chosen = list(dict.fromkeys(int(u) for u in signers.get(slot.id, [])))
        people = _clean_named(slot.name, named.get(slot.id, []))
        allowed = {u.id for u in slot.candidates}
        count = len(chosen) + len(people)
        if not count:
            raise InspectionError(f"请指定签字人：{slot.name}（有账号的选账号，没有账号的填写姓名和单位职务）")
        if not slot.each and count > 1:
            raise InspectionError(f"“{slot.name}”只需一人签字")
        if slot.id == "acceptance-team" and count < team_min:
            raise InspectionError(f"综合验收工作组至少 {team_min} 人（县级设定），现只指定了 {count} 人")
        stray = [u for u in chosen if u not in allowed]
        if stray:
            raise InspectionError(f"所选人员不能代表“{slot.name}”签字（须为本站点所在地区的"
                                  f"{'、'.join(LABELS.get(r, r) if r != 'township' else '乡镇' for r in PARTY_ROLES.get(slot.id, ()))}账号）")
        out += [(slot.id, u, "", "") for u in chosen]
        out += [(slot.id, None, name, role) for name, role in people]
    return out


def _clean_named(party: str, people: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Named signers without an account: a name and a role each, no repeats."""
    out = []
    for name, role in people:
        name, role = (name or "").strip(), (role or "").strip()
        if not name and not role:
            continue
        if not name or not role:
            raise InspectionError(f"“{party}”的现场签字人须同时填写姓名和单位职务")
        if len(name) > 64 or len(role) > 100:
            raise InspectionError(f"“{party}”的签字人姓名不超过 64 字、单位职务不超过 100 字")
        if (name, role) in out:
            raise InspectionError(f"“{party}”重复填写了 {name}")
        out.append((name, role))
    return out


def signoffs(*, session: Session, inspection: Inspection) -> list[tuple[SignOff, User | None]]:
    """Required signatures with their users (None for a signer without an account), by assignment."""
    rows = session.exec(select(SignOff, User).join(User, SignOff.user_id == User.id, isouter=True)
                        .where(SignOff.inspection_id == inspection.id).order_by(SignOff.id)).all()
    return [(s, u) for s, u in rows]


def signer_name(signoff: SignOff, user: User | None) -> str:
    """Who signs: the account's name, or the name given for a signer without one."""
    return user.display_name if user is not None else signoff.signer_name


def sign(*, session: Session, inspection: Inspection, by: User, password: str) -> bool:
    """Sign a completion acceptance with one's own account (password re-entered).

    Returns True when this was the last signature: the acceptance then stands (status accepted).
    """
    if inspection.status != "approved":
        raise InspectionError(f"检查当前为“{LABELS.get(inspection.status, inspection.status)}”，不在签字阶段")
    _refuse_unless_passed(refresh_decision(session=session, inspection=inspection), "签字")
    mine = [s for s, u in signoffs(session=session, inspection=inspection) if u is not None and u.id == by.id]
    if not mine:
        raise InspectionError("您不是本次验收的签字人")
    pending = [s for s in mine if s.signed_at is None]
    if not pending:
        raise InspectionError("您已签字，无需重复签字")
    if not users.check_password(by, password or ""):
        raise InspectionError("密码不正确，未签字")
    now = utcnow()
    for s in pending:
        s.signed_at = now
        session.add(s)
        audit.record(session=session, user_id=by.id, action="sign", entity="inspection", entity_id=inspection.id,
                     after={"party": s.party, "at": now.isoformat()})
    return _stand_if_all_signed(session, inspection, by, now)


def _stand_if_all_signed(session: Session, inspection: Inspection, by: User, now) -> bool:
    """When every signature is in, the acceptance stands (accepted); True then."""
    session.flush()
    if all(s.signed_at is not None for s, _u in signoffs(session=session, inspection=inspection)):
        inspection.accepted_at = now
        _move(session, inspection, "accept", by, by_signatures=True)
        notifications.about_inspection(session=session, inspection=inspection, kind="accepted", by=by,
                                       what="各方均已签字，验收生效",
                                       users=[notifications.author_of(session, inspection),
                                              session.get(User, inspection.reviewed_by_id)])
        return True
    return False


def sign_by_hand(*, session: Session, inspection: Inspection, signoff_id: int, image: bytes, by: User,
                 media_root: Path, position: Position | None) -> bool:
    """A signer without an account signs on the inspector's phone: the drawn PNG, time and position.

    The PNG is checked (a real PNG, not blank, not huge) and stored by its SHA-256 under
    media/signatures/. Only someone who fills in this acceptance (rights.START) holds the phone.
    Returns True when this was the last signature (the acceptance stands).
    """
    rights.require(by, "start", inspection.purpose)
    if inspection.status != "approved":
        raise InspectionError(f"检查当前为“{LABELS.get(inspection.status, inspection.status)}”，不在签字阶段")
    _refuse_unless_passed(refresh_decision(session=session, inspection=inspection), "签字")
    row = session.get(SignOff, signoff_id)
    if row is None or row.inspection_id != inspection.id or row.user_id is not None:
        raise InspectionError("没有这位现场签字人（有账号的签字人请用本人账号和密码签字）")
    if row.signed_at is not None:
        raise InspectionError(f"{row.signer_name} 已签字，无需重复签字")
    sha, rel = store_signature(image, media_root)
    now = utcnow()
    row.signed_at, row.image_sha256, row.image_path, row.collected_by_id = now, sha, rel, by.id
    if position is not None:
        row.lat, row.lon, row.accuracy_m = position.lat, position.lon, position.accuracy_m
    session.add(row)
    audit.record(session=session, user_id=by.id, action="sign", entity="inspection", entity_id=inspection.id,
                 after={"party": row.party, "name": row.signer_name, "role": row.signer_role, "method": "handwritten",
                        "sha256": sha, "at": now.isoformat(), "lat": row.lat, "lon": row.lon})
    return _stand_if_all_signed(session, inspection, by, now)


def store_signature(image: bytes, media_root: Path) -> tuple[str, str]:
    """Check a drawn signature PNG and store it by content hash; (sha256, media-relative path)."""
    from PIL import Image, UnidentifiedImageError
    if not image:
        raise InspectionError("没有收到签名，请在签名框内手写签名")
    if len(image) > SIGNATURE_MAX_BYTES:
        raise InspectionError("签名图片过大")
    if not image.startswith(b"\x89PNG\r\n\x1a\n"):
        raise InspectionError("签名应为 PNG 图片")
    try:
        with Image.open(io.BytesIO(image)) as img:
            img.load()
            width, height = img.size
            flat = Image.new("RGBA", img.size, "white")
            flat.alpha_composite(img.convert("RGBA"))
            inked = sum(flat.convert("L").histogram()[:200])  # dark pixels drawn on the white pad
    except (UnidentifiedImageError, OSError, ValueError):
        raise InspectionError("签名图片无法读取，请重新签名") from None
    if not (100 <= width <= 4000 and 50 <= height <= 2000):
        raise InspectionError("签名图片尺寸不对，请重新签名")
    if inked < 30:
        raise InspectionError("签名框是空的，请手写签名后再确认")
    sha = hashlib.sha256(image).hexdigest()
    rel = f"signatures/{sha[:2]}/{sha}.png"
    target = media_root / rel
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(image)
        tmp.replace(target)
    return sha, rel


def accept(*, session: Session, inspection: Inspection, by: User) -> None:
    """Accept an approved inspection (completion acceptance is accepted by its signatures)."""
    if inspection.purpose == "completion_acceptance":
        _next_status(inspection, "accept")
        _refuse_unless_passed(refresh_decision(session=session, inspection=inspection), "验收")
        missing = [f"{signer_name(s, u)}（{s.party}）" for s, u in signoffs(session=session, inspection=inspection)
                   if s.signed_at is None]
        raise InspectionError("竣工验收须各方签字后自动生效" + (f"，尚未签字：{'、'.join(missing)}" if missing else ""))
    rights.require(by, "accept", inspection.purpose)
    _next_status(inspection, "accept")
    inspection.accepted_at = utcnow()
    _move(session, inspection, "accept", by)
    notifications.about_inspection(session=session, inspection=inspection, kind="accepted", what="已验收", by=by,
                                   users=[notifications.author_of(session, inspection)])


# ---------------------------------------------------------------- rectification loop

def _open_tasks(session: Session, inspection: Inspection, result: scoring.Outcome, *, today: date,
                calendar: Calendar) -> list[RectificationTask]:
    """A task per failed item (of the follow-up's scope, for a follow-up), due in working days."""
    failed = [i for i in result.failed if not inspection.scope_items or i in inspection.scope_items]
    if not failed:
        return []
    due = calendar.deadline(today, RECTIFICATION_WORKING_DAYS)
    tasks = [RectificationTask(inspection_id=inspection.id, item_id=i, due_date=due.date) for i in failed]
    for task in tasks:
        workcalendar.store_due(task, due)
    session.add_all(tasks)
    session.flush()
    return tasks


def _close_rechecked(session: Session, follow_up: Inspection, result: scoring.Outcome, by: User) -> list:
    """Approving a follow-up closes the original's tasks it re-checked: fixed or not fixed."""
    if follow_up.follow_up_of_id is None:
        return []
    tasks = session.exec(select(RectificationTask).where(RectificationTask.follow_up_id == follow_up.id)).all()
    now = utcnow()
    for t in tasks:
        t.status = "fixed" if result.judgements[t.item_id].result in (scoring.PASS, scoring.NA) else "not_fixed"
        t.closed_at = now
        session.add(t)
    audit.record(session=session, user_id=by.id, action="close_tasks", entity="inspection",
                 entity_id=follow_up.follow_up_of_id, after={t.item_id: t.status for t in tasks})
    return []


def tasks_of(*, session: Session, inspection: Inspection) -> list[RectificationTask]:
    """The rectification tasks raised by an inspection, in checklist order of creation."""
    return list(session.exec(select(RectificationTask).where(RectificationTask.inspection_id == inspection.id)
                             .order_by(RectificationTask.id)))


def start_follow_up(*, session: Session, original: Inspection, by: User) -> Inspection:
    """A follow-up inspection that re-checks only the original's open rectification tasks.

    Same site, checklist version, purpose and tier; linked to the original; the tasks point to it.
    """
    rights.require(by, "rectify")
    rights.require(by, "start", original.purpose)
    if original.status not in ("approved", "accepted", "rejected"):
        raise InspectionError("检查审核通过或判定验收不通过后才能整改复查")
    tasks = [t for t in tasks_of(session=session, inspection=original) if t.status == "open"]
    if not tasks:
        raise InspectionError("没有待复查的整改项")
    busy = [t for t in tasks if t.follow_up_id is not None]
    if busy:
        return session.get(Inspection, busy[0].follow_up_id)
    follow_up = Inspection(site_id=original.site_id, checklist_version_id=original.checklist_version_id,
                           purpose=original.purpose, tier=original.tier, created_by_id=by.id,
                           follow_up_of_id=original.id, scope_items=[t.item_id for t in tasks], start_flags=[])
    session.add(follow_up)
    session.flush()
    for t in tasks:
        t.follow_up_id = follow_up.id
        session.add(t)
    audit.record(session=session, user_id=by.id, action="follow_up", entity="inspection", entity_id=follow_up.id,
                 after={"of": original.id, "items": follow_up.scope_items})
    return follow_up
