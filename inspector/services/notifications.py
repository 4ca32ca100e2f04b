"""In-app notifications: whoever acts, the person it concerns is told (the bell in the header).

Notifications are added to the caller's session, so they are committed with the action itself
or not at all. Each carries the region of what it is about (the site's); a recipient whose
region does not cover it is skipped, and a user reads only notifications inside their own
region, so none ever crosses regions. The actor is never told about their own action.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, select

from ..models import LABELS, Inspection, Notification, Region, Site, User, utcnow

TARGETS = ("inspection", "review", "sign", "walk", "micro", "landmark")
LIST_LIMIT = 100


def _covers(session: Session, user: User, region: Region) -> bool:
    home = session.get(Region, user.region_id)
    return home is not None and region.path.startswith(home.path)


def notify(*, session: Session, users: Iterable[User | None], region_id: int, kind: str, text: str,
           target: str, target_id: int | None, by: User | None) -> list[Notification]:
    """One notification per active user (no repeats, not the actor) whose region covers `region_id`."""
    if target not in TARGETS:
        raise ValueError(f"unknown notification target {target!r}")
    region = session.get(Region, region_id)
    if region is None:
        return []
    out, seen = [], set()
    for user in users:
        if user is None or user.id in seen or not user.active or (by is not None and user.id == by.id):
            continue
        seen.add(user.id)
        if not _covers(session, user, region):
            continue
        row = Notification(user_id=user.id, region_id=region.id, kind=kind[:32], text=text[:500], target=target,
                           target_id=target_id, by_id=by.id if by is not None else None)
        session.add(row)
        out.append(row)
    return out


def people(*, session: Session, region_id: int, roles: Iterable[str]) -> list[User]:
    """Active users of these roles bound to the region or one of its ancestors (who covers it)."""
    region = session.get(Region, region_id)
    if region is None:
        return []
    ancestors = [int(x) for x in region.path.strip("/").split("/") if x]
    return list(session.exec(select(User).where(User.region_id.in_(ancestors), User.role.in_(tuple(roles)),
                                                User.active.is_(True)).order_by(User.id)))


def about_inspection(*, session: Session, inspection: Inspection, users: Iterable[User | None], kind: str,
                     what: str, target: str = "inspection", by: User | None) -> list[Notification]:
    """Tell users about an inspection: "<site>的<purpose>" + what; scoped to the site's region."""
    site = session.get(Site, inspection.site_id)
    text = f"{site.name}的{LABELS.get(inspection.purpose, inspection.purpose)}{what}"
    return notify(session=session, users=users, region_id=site.region_id, kind=kind, text=text, target=target,
                  target_id=inspection.id, by=by)


def author_of(session: Session, inspection: Inspection) -> User | None:
    """Who filled in the inspection (started it)."""
    return session.get(User, inspection.created_by_id)


def approved(*, session: Session, inspection: Inspection, by: User, slots: list, tasks: list) -> None:
    """After an approval: the author is told (and how many sign by hand on the inspector's phone), each
    signer with an account that their signature is awaited, the village of its rectification tasks.
    `slots` are workflow's (party, user id or None, name, role)."""
    by_hand = sum(1 for _p, u, _n, _r in slots if u is None)
    what = "已审核通过" + ("，待各方签字" if slots else "")
    if by_hand:
        what += f"；{by_hand} 位无账号签字人须在检查员手机上现场手写签名"
    about_inspection(session=session, inspection=inspection, kind="approved", what=what, by=by,
                     users=[author_of(session, inspection)], target="sign" if slots else "inspection")
    signers = [session.get(User, u) for _p, u, _n, _r in slots if u is not None]
    about_inspection(session=session, inspection=inspection, kind="sign", users=signers, by=by,
                     what="已审核通过，待您签字确认", target="sign")
    tasks_issued(session=session, inspection=inspection, tasks=tasks, by=by)


def tasks_issued(*, session: Session, inspection: Inspection, tasks: list, by: User) -> None:
    """The village is told of the rectification tasks issued on its site, with the earliest deadline."""
    open_ = [t for t in tasks if t.status == "open"]
    if not open_:
        return
    site = session.get(Site, inspection.site_id)
    due = min(t.due_date for t in open_)
    village = people(session=session, region_id=site.region_id, roles=("village",))
    about_inspection(session=session, inspection=inspection, kind="tasks", users=village, by=by,
                     what=f"有 {len(open_)} 项整改任务，请于 {due.year}年{due.month}月{due.day}日前整改")


def submitted(*, session: Session, inspection: Inspection, reviewers: Iterable[str], by: User) -> None:
    """A submission is waiting: its nearest reviewers are told (of the roles that may review it, the
    accounts covering the site at the level closest to it: the township for a village's self-assessment)."""
    site = session.get(Site, inspection.site_id)
    users = people(session=session, region_id=site.region_id, roles=reviewers)
    depth = {u.id: session.get(Region, u.region_id).path.count("/") for u in users}
    users = [u for u in users if depth[u.id] == max(depth.values())]
    again = "重新提交" if inspection.status == "resubmitted" else "提交"
    about_inspection(session=session, inspection=inspection, kind="submitted", users=users, by=by,
                     what=f"已{again}，待您审核", target="review")


def step_opened(*, session: Session, region_id: int, role: str, target: str, target_id: int, what: str,
                by: User | None) -> None:
    """A programme step (red landmark, micro project) now waits on a role: its users covering the site."""
    notify(session=session, users=people(session=session, region_id=region_id, roles=(role,)),
           region_id=region_id, kind="step", text=what, target=target, target_id=target_id, by=by)


# ---------------------------------------------------------------- reading (always the user's own, in region)

def _mine(session: Session, user: User):
    home = session.get(Region, user.region_id)
    inside = select(Region.id).where(Region.path.startswith(home.path if home else "\0")).scalar_subquery()
    return (Notification.user_id == user.id) & Notification.region_id.in_(inside)


def unread_count(*, session: Session, user: User) -> int:
    """How many of the user's notifications are unread (the bell's number)."""
    return session.exec(select(func.count()).select_from(Notification)
                        .where(_mine(session, user), Notification.read_at.is_(None))).one()


def listing(*, session: Session, user: User, limit: int = LIST_LIMIT) -> list[Notification]:
    """The user's notifications, unread first, newest first."""
    return list(session.exec(select(Notification).where(_mine(session, user))
                             .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(),
                                       Notification.id.desc()).limit(limit)))


def get(*, session: Session, user: User, notification_id: int) -> Notification | None:
    """One of the user's own notifications, or None (someone else's is as if it did not exist)."""
    return session.exec(select(Notification).where(_mine(session, user),
                                                   Notification.id == notification_id)).first()


def mark_read(*, session: Session, row: Notification) -> None:
    """Mark one notification read (once)."""
    if row.read_at is None:
        row.read_at = utcnow()
        session.add(row)


def mark_all_read(*, session: Session, user: User) -> int:
    """Mark all of the user's unread notifications read; how many."""
    rows = list(session.exec(select(Notification).where(_mine(session, user), Notification.read_at.is_(None))))
    for row in rows:
        mark_read(session=session, row=row)
    return len(rows)
