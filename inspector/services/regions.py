"""The administrative tree: city › county › township › village/community."""
from __future__ import annotations

from sqlmodel import Session, select

from ..models import REGION_LEVELS, Region


def add_region(*, session: Session, name: str, level: str, code: str, parent: Region | None = None) -> Region:
    """Create a region under a parent; its path lists its ancestors for subtree queries."""
    if level not in REGION_LEVELS:
        raise ValueError(f"未知的行政层级 {level!r}")
    if parent is not None and REGION_LEVELS.index(level) <= REGION_LEVELS.index(parent.level):
        raise ValueError(f"{name} 的层级（{level}）应低于上级 {parent.name}（{parent.level}）")
    region = Region(name=name, level=level, code=code, parent_id=parent.id if parent else None, path="")
    session.add(region)
    session.flush()
    region.path = f"{parent.path if parent else '/'}{region.id}/"
    return region


def by_code(*, session: Session, code: str) -> Region | None:
    """A region by its code."""
    return session.exec(select(Region).where(Region.code == code)).first()


def subtree(*, session: Session, region: Region) -> list[Region]:
    """The region and every region below it."""
    return list(session.exec(select(Region).where(Region.path.startswith(region.path)).order_by(Region.path)))


def ancestry(*, session: Session, region: Region) -> list[Region]:
    """The region's ancestors from the top down, then the region itself."""
    ids = [int(x) for x in region.path.strip("/").split("/") if x]
    rows = {r.id: r for r in session.exec(select(Region).where(Region.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def parent_names(*, session: Session, regions: list[Region]) -> dict[int, str]:
    """The parent's name per region id (a village's township), in one query."""
    parent_ids = {r.parent_id for r in regions if r.parent_id}
    if not parent_ids:
        return {}
    parents = {r.id: r.name for r in session.exec(select(Region).where(Region.id.in_(parent_ids)))}
    return {r.id: parents.get(r.parent_id, "") for r in regions}


def reachable(*, session: Session) -> bool:
    """The database answers and holds the regions table (a failure raises, for the 503 page)."""
    session.exec(select(Region.id).limit(1)).all()
    return True
