"""Red-landmark rankings: 5.13 (the village's place in its town, computed or entered with a file) and 7.2
(the county ranks every waiting application and recommends the best ones, 择优推荐)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from ..models import RedLandmarkApplication, Region, Site, User
from . import rights
from .landmark_read import search, self_assessments
from .landmark_steps import (LandmarkError, StepOrder, audit_event, close_step, expect_step, open_step, procedure,
                             required_text, touch)

BASIS = {True: "全镇（街道）各村（社区）最近一次“红色地标”自评得分",  # computed by the app
         False: "申报村（社区）填报，附镇（街道）排名文件"}        # entered by the village with a file


def town_rank_of(*, session: Session, site: Site) -> dict[str, Any] | None:
    """The site's rank in its town from every site's latest red-landmark self-assessment score (5.13).

    None when some site of the town has no scored self-assessment: the app does not have the town's
    results, and the village enters its rank with evidence instead. Equal scores share a rank.
    """
    village = session.get(Region, site.region_id)
    if village is None or village.parent_id is None:
        return None
    town_sites = session.exec(select(Site).join(Region, Site.region_id == Region.id)
                              .where(Region.parent_id == village.parent_id)).all()
    scores: dict[int, float] = {}
    for s in town_sites:
        latest = next((i for i in self_assessments(session=session, site=s) if i.score is not None), None)
        if latest is None:
            return None
        scores[s.id] = latest.score
    mine = scores[site.id]
    rank = 1 + sum(1 for v in scores.values() if v > mine)
    top = procedure().parameter("town-rank-top")
    return {"rank": rank, "total": len(scores), "computed": True, "holds": top.top_share_holds(rank, len(scores)),
            "basis": BASIS[True],
            "scores": sorted(scores.values(), reverse=True)}


def entered_rank(rank: str, total: str, has_file: bool) -> tuple[dict[str, Any] | None, list[str]]:
    """The rank a village enters (with a file) when the app lacks the town's results."""
    top = procedure().parameter("town-rank-top")
    rank, total = (rank or "").strip(), (total or "").strip()
    if not (rank.isdigit() and total.isdigit() and 1 <= int(rank) <= int(total) <= 10_000):
        return None, [f"5.13 {top.wording}：本应用没有全镇（街道）各村（社区）的评定结果，请填写本村（社区）在镇（街道）的"
                      f"名次和参评村（社区）总数（002 篇五 5.13）"]
    if not has_file:
        return None, ["5.13 填写的名次须附证明材料（镇（街道）年度考核排名文件的照片或 PDF，002 篇五 5.13）"]
    r, n = int(rank), int(total)
    return {"rank": r, "total": n, "computed": False, "holds": top.top_share_holds(r, n),
            "basis": BASIS[False]}, []


def record_town_rank(application: RedLandmarkApplication, rank: dict[str, Any]) -> None:
    """Keep the 5.13 rank on the application (the town's scores behind a computed one in `details`)."""
    application.town_rank, application.town_total = rank["rank"], rank["total"]
    application.town_rank_computed, application.town_rank_holds = rank["computed"], rank["holds"]
    if "scores" in rank:
        application.details = {**(application.details or {}), "town_scores": rank["scores"]}


def town_rank_basis(application: RedLandmarkApplication) -> str:
    """What the application's 5.13 rank rests on, in words ("" when none was recorded)."""
    return "" if application.town_rank is None else BASIS[bool(application.town_rank_computed)]


def rank_problem(application: RedLandmarkApplication) -> str | None:
    """Why 5.13 is not met by the application's town rank, or None when it is (or was not recorded)."""
    if application.town_rank is None or application.town_rank_holds is not False:
        return None
    top = procedure().parameter("town-rank-top")
    how = "据全镇各村自评得分计算" if application.town_rank_computed else "申报村填报"
    return (f"不符合 5.13 {top.wording}：全镇（街道）{application.town_total} 个村（社区）中列第 "
            f"{application.town_rank} 名（{how}，002 篇五 5.13）")


def county_queue(*, session: Session, region: Region, year: int) -> list[tuple[RedLandmarkApplication, Site]]:
    """The region's applications of a year waiting for the county's verification and recommendation (7.2)."""
    rows = search(session=session, region=region, year=year, status="township_recommended")
    return sorted(rows, key=lambda r: r[0].id)


@dataclass(frozen=True)
class Ranked:
    """The county's place for one application in its ranking, and whether it is recommended."""

    application_id: int
    rank: int
    recommend: bool


def county_rank(*, session: Session, region: Region, year: int, ranking: list[Ranked], opinion: str, by: User,
                today: date) -> list[RedLandmarkApplication]:
    """The county ranks every waiting application and recommends the best ones (7.2 择优推荐).

    Every application waiting in the county that year is ranked 1..n, each rank once; the recommended
    ones are the best-ranked (no unrecommended one ranks above a recommended one). Recommended
    applications go on to the city's receipt; the others end “县级未推荐”. Nothing is stored on a refusal.
    """
    rights.require(by, "landmark_county_recommend")
    queue = {a.id: a for a, _s in county_queue(session=session, region=region, year=year)}
    if not queue:
        raise StepOrder(f"{year} 年没有待县级推荐的申报")
    opinion = required_text(opinion, "县级推荐意见（县级推荐材料）")
    ordered = _checked_ranking(ranking, set(queue))
    batch = [r.application_id for r in ordered]
    for r in ordered:
        expect_step(session, queue[r.application_id], "county_recommend", what="由县级推荐")
    return [_rank_one(session, queue[r.application_id], r, batch=batch, opinion=opinion, by=by, today=today)
            for r in ordered]


def _checked_ranking(ranking: list[Ranked], waiting: set[int]) -> list[Ranked]:
    """The ranking in rank order, once every waiting application has one rank of 1..n and the
    recommended ones rank first; LandmarkError naming what is wrong otherwise."""
    given = {r.application_id for r in ranking}
    if given != waiting:
        raise LandmarkError(f"请为全县 {len(waiting)} 份待推荐申报逐一排序（缺 {len(waiting - given)} 份）："
                            f"县级组织部门在全县范围内择优推荐（002 篇五 7.2）")
    if sorted(r.rank for r in ranking) != list(range(1, len(waiting) + 1)):
        raise LandmarkError(f"名次应为 1 至 {len(waiting)}，每个名次一份")
    ordered = sorted(ranking, key=lambda r: r.rank)
    chosen = [r for r in ordered if r.recommend]
    if chosen and ordered[:len(chosen)] != chosen:
        raise LandmarkError("择优推荐：推荐的申报应是排名靠前的（未推荐的申报不能排在推荐的之前，002 篇五 7.2）")
    return ordered


def _rank_one(session: Session, application: RedLandmarkApplication, r: Ranked, *, batch: list[int], opinion: str,
              by: User, today: date) -> RedLandmarkApplication:
    """Record one application's place: recommended → the city's receipt opens; else it ends here."""
    of = len(batch)
    application.county_rank, application.county_rank_of, application.county_recommended = r.rank, of, r.recommend
    application.county_recommended_on = today
    application.details = {**(application.details or {}), "county_batch": batch}
    if r.recommend:
        application.county_opinion = opinion
        close_step(session, application, "county_recommend", by, outcome="recommended",
                   note=f"全县第 {r.rank} 名（共 {of} 份），择优推荐")
        touch(application, session, "county_recommended")
        # No deadline in the sources for the city's receipt: the 30 days run from it (7.3).
        open_step(session, application, session.get(Site, application.site_id), "city_receive", None, by)
    else:
        application.decision_reason = f"全县第 {r.rank} 名（共 {of} 份），县级未择优推荐（002 篇五 7.2）"
        close_step(session, application, "county_recommend", by, outcome="not_recommended",
                   note=f"全县第 {r.rank} 名（共 {of} 份），未推荐")
        touch(application, session, "not_recommended")
    audit_event(session, application, by, "county_recommend" if r.recommend else "county_not_recommended",
                after={"rank": r.rank, "of": of, "recommended": r.recommend, "opinion": opinion[:200]})
    return application
