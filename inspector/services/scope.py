"""Regional scoping: a user sees and changes only what lies in their own region's subtree.

Every read of a site, an inspection, a photo or a report goes through here; anything outside the
user's region is answered as if it did not exist (the web layer turns None into 404).
"""
from __future__ import annotations

from sqlmodel import Session, select

from ..models import Inspection, Photo, Region, Report, Site, User


def region_of(*, session: Session, user: User) -> Region:
    """The region a user is bound to."""
    return session.get(Region, user.region_id)


def covers(*, session: Session, user: User, region_id: int) -> bool:
    """Whether a region lies inside the user's region (or is it)."""
    mine = region_of(session=session, user=user)
    region = session.get(Region, region_id)
    return region is not None and mine is not None and region.path.startswith(mine.path)


def site(*, session: Session, user: User, site_id: int) -> Site | None:
    """A site the user may see, or None."""
    found = session.get(Site, site_id)
    return found if found is not None and covers(session=session, user=user, region_id=found.region_id) else None


def inspection(*, session: Session, user: User, inspection_id: int | None) -> Inspection | None:
    """An inspection of a site the user may see, or None (None too for no id: a micro project's photo)."""
    if inspection_id is None:
        return None
    found = session.get(Inspection, inspection_id)
    if found is None or site(session=session, user=user, site_id=found.site_id) is None:
        return None
    return found


def media_path(*, session: Session, user: User, path: str) -> bool:
    """Whether a stored media file belongs to a photo or report the user may see."""
    inspection_ids = set(session.exec(select(Photo.inspection_id).where(
        (Photo.original == path) | (Photo.display == path) | (Photo.thumb == path))).all())
    inspection_ids |= set(session.exec(select(Report.inspection_id).where(Report.path == path)).all())
    return any(inspection(session=session, user=user, inspection_id=i) is not None for i in inspection_ids)


def covered(*, region_id, path):
    """SQL for `covers`: the region whose path column is `path` lies in the user's region (`region_id`:
    the user's region id, or a bind parameter for it), or is it."""
    return within(path=path, mine=select(Region.path).where(Region.id == region_id).scalar_subquery())


def within(*, path, mine):
    """SQL: the region path `path` lies in the region whose path is `mine`, or is it (`covers`'s rule)."""
    from sqlalchemy import func
    return func.substr(path, 1, func.length(mine)) == mine
