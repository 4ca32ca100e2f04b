"""Inspections: start one on a fixed checklist version, record answers, score them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, lambda_stmt
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..core import scoring
from ..core.checklist import ChecklistSpec
from ..core.decision import Decision, decide
from ..core.errors import DomainError
from ..core.geo import Position
from ..models import LABELS, PURPOSES, Answer, ChecklistVersion, Inspection, Region, Site, User, utcnow
from . import answer_rows, audit, notifications, prebuilt, rights, scope, tally, users
from .answer_rows import answers_of, notes_of, values_of  # the answers as the decision reads them
from .tally import Progress, approval_of
from .checklists import cached_spec, ensure_version, spec_of


class InspectionError(DomainError):
    """A request that breaks a rule of inspections (wrong purpose, no tier, unfinished items...): 422."""

    status = 422


class NotEditable(InspectionError):
    """A change the inspection's state no longer takes (submitted, closed, an item a follow-up does
    not re-check): 409, a conflict with the state, not a wrong form."""

    status = 409


class Conflict(DomainError):
    """A save based on a stale version: someone else saved this item first (409, with both values)."""

    status = 409

    def __init__(self, current: Answer | None, submitted: Any):
        version = f"（第 {current.version} 版）" if current is not None else ""
        super().__init__(f"另一台设备刚保存了这一项{version}，未保存；请刷新后再试")
        self.current, self.submitted = current, submitted


def start(*, session: Session, site: Site, spec: ChecklistSpec, purpose: str, tier: str | None,
          by: User, position: Position | None = None, flags: list[dict] | None = None) -> Inspection:
    """Start an inspection of a site with this checklist; the checklist version is fixed now.

    `position` is the device's position at start and `flags` what was found about it.
    """
    if purpose not in PURPOSES:
        raise InspectionError(f"未知的检查目的 {purpose!r}")
    rights.require(by, "start", purpose)
    if purpose not in spec.purposes:
        raise InspectionError(f"清单“{spec.title}”不用于该目的")
    if site.site_type not in spec.site_types:
        raise InspectionError(f"清单“{spec.title}”不适用于{site.site_type}")
    if purpose == "completion_acceptance" and spec.tiers:
        tier = _approved_category(site, spec, tier)
    if spec.tiers and tier not in {t.id for t in spec.tiers}:
        raise InspectionError("请选择等级")
    if not spec.tiers:
        tier = None
    version = ensure_version(session=session, spec=spec)
    inspection = Inspection(site_id=site.id, checklist_version_id=version.id, purpose=purpose, tier=tier,
                            created_by_id=by.id, start_flags=flags or [],
                            start_lat=position.lat if position else None, start_lon=position.lon if position else None,
                            start_accuracy_m=position.accuracy_m if position else None)
    inspection.tally = tally.fresh(spec, inspection, site)
    session.add(inspection)
    session.flush()
    audit.record(session=session, user_id=by.id, action="start", entity="inspection", entity_id=inspection.id,
                 after={"site": site.id, "checklist": spec.id, "hash": spec.content_hash, "purpose": purpose})
    return inspection


def _approved_category(site: Site, spec: ChecklistSpec, chosen: str | None) -> str:
    """The tier a completion acceptance is judged at: the site's approved category, never another."""
    approved = spec.tier(site.tier_applied)
    if approved is None:
        raise InspectionError("站点还没有县级事先批准的建设类别（新建示范村、新建达标村或改扩建），"
                              "请县委组织部先在站点页录入类别、批准文号和日期（002 篇六 一、三）")
    if not site.category_doc_number or site.category_doc_date is None:
        raise InspectionError(f"站点的建设类别“{approved.name}”未录入批准文号和日期，请先在站点页补录")
    if chosen and chosen != approved.id:
        other = spec.tier(chosen)
        raise InspectionError(f"竣工验收只能按批准类别“{approved.name}”开展，不能改按“{other.name if other else chosen}”")
    return approved.id


def spec_for(*, session: Session, inspection: Inspection) -> ChecklistSpec:
    """The checklist the inspection was started with.

    Within one session the version is looked up once; across sessions only its content hash is
    read (the parsed spec is cached by hash in services.checklists).
    """
    cache = session.info.setdefault("checklist_specs", {})
    spec = cache.get(inspection.checklist_version_id)
    if spec is None:
        content_hash = session.exec(select(ChecklistVersion.content_hash)
                                    .where(ChecklistVersion.id == inspection.checklist_version_id)).one()
        spec = _spec_by_hash(session, inspection.checklist_version_id, content_hash)
    return spec


def _spec_by_hash(session: Session, version_id: int, content_hash: str) -> ChecklistSpec:
    """The spec of a checklist version whose content hash is known, kept for the session."""
    spec = cached_spec(content_hash) or spec_of(session.get(ChecklistVersion, version_id))
    session.info.setdefault("checklist_specs", {})[version_id] = spec
    return spec


# The columns a save reads, by model, in the read's order: plain columns, made into loaded objects
# without the ORM's loading machinery (prebuilt.loaded: docs/saves.md §8 and §10).
# The rest are expired on those objects and load together on first use (one statement, as a
# refusal's re-render may need); the statement count of tests/test_save_speed.py fails if a saved
# reply starts reading one left out.
_SAVE_READS = (
    (User, ("id", "username", "display_name", "role", "region_id", "active")),
    (Inspection, ("id", "checklist_version_id", "purpose", "status", "scope_items", "tier", "follow_up_of_id",
                  "tally", "tally_rev")),
    (Site, ("id", "site_type", "tier_applied", "category_doc_number", "category_doc_date")),
    (Answer, tuple(c.name for c in Answer.__table__.columns)),
)


def _for_save_statement():
    """The query of `for_save`, built once (building it is a good part of a save's CPU)."""
    mine, region = aliased(Region), aliased(Region)
    columns = [getattr(model, name) for model, names in _SAVE_READS for name in names]
    return (sa_select(*columns, ChecklistVersion.content_hash, tally.PHOTO_COUNTS_TEXT,
                      scope.within(path=region.path, mine=mine.path).label("in_scope"))
            .select_from(User).join(users.SESSION_TABLE, users.SESSION_MATCH).join(mine, mine.id == User.region_id)
            .outerjoin(Inspection, Inspection.id == bindparam("inspection_id"))
            .outerjoin(Site, Site.id == Inspection.site_id).outerjoin(region, region.id == Site.region_id)
            .outerjoin(ChecklistVersion, ChecklistVersion.id == Inspection.checklist_version_id)
            .outerjoin(Answer, and_(Answer.inspection_id == Inspection.id, Answer.item_id == bindparam("item_id"))))


_FOR_SAVE_BUILT = _for_save_statement()
# Run on the driver's cursor under PostgreSQL (services/prebuilt.py). Elsewhere, as a lambda statement
# whose SQL cache key is this line alone, not the statement's whole structure (four tables' columns,
# seven joins): SQLAlchemy hashes that key on every execution, about 0.1 ms a save (docs/saves.md).
# The statement never changes once built, so nothing else needs tracking.
_FOR_SAVE = prebuilt.Prebuilt(_FOR_SAVE_BUILT, lambda_stmt(lambda: _FOR_SAVE_BUILT, track_closure_variables=False))


@dataclass
class SaveRead:
    """What a save reads first: the signed-in user, and the inspection with what the save needs
    (None when there is no such inspection in the user's scope)."""

    user: User | None
    found: tuple[Inspection, Site, ChecklistSpec, Answer | None, dict[str, int]] | None = None


def for_save(*, session: Session, claim: users.Claim, lifetime, inspection_id: int, item_id: str) -> SaveRead:
    """What a save needs in one query: the user of the session's claim (users.SESSION_MATCH, the
    rule of every request's sign-in check: an open, unexpired session of an active account; None
    otherwise), the inspection (as scope.inspection:
    only in the user's scope), its site, its checklist, the stored answer to the item and the
    counted photos by item (for tally.standing)."""
    row = _FOR_SAVE.first(session, {**claim.params(lifetime), "inspection_id": inspection_id, "item_id": item_id})
    if row is None:
        return SaveRead(None)
    objects, at = [], 0
    for model, names in _SAVE_READS:
        values = row[at:at + len(names)]
        at += len(names)
        objects.append(None if values[0] is None else prebuilt.loaded(session, model, names, values))
    user, inspection, site, answer = objects
    content_hash, photos, in_scope = row[at:]
    if inspection is None or not in_scope:
        return SaveRead(user)
    spec = _spec_by_hash(session, inspection.checklist_version_id, content_hash)
    return SaveRead(user, (inspection, site, spec, answer, tally.photo_counts_of(photos)))


_UNREAD = object()


def record_answer(*, session: Session, inspection: Inspection, item_id: str, raw: Any, note: str | None,
                  by: User, base_version: int | None = None, client_id: str | None = None,
                  device_id: str | None = None, site: Site | None = None, stored: Any = _UNREAD,
                  captured_at: Any = _UNREAD) -> Answer:
    """Store an answer: normalized, judged, versioned, counted. Safe to repeat and safe under concurrency.

    - the same client_id again (a retry, a double tap) returns the stored answer unchanged;
    - base_version older than the stored answer raises Conflict, unless this same device saved
      the newer version (its own retry whose reply was lost);
    - scoring.AnswerError for a value that does not fit the item, NotEditable (409) when the
      inspection or the item no longer takes answers;
    - the running totals, score, verdict and subsidy change with it (services.tally).
    `site` and `stored` (the stored answer or None) may come from `for_save`; `captured_at` (the
    phone's clock at capture, None for a live save) is written with the answer, kept when not given.
    """
    spec = spec_for(session=session, inspection=inspection)
    item = spec.by_id.get(item_id)
    check_editable(inspection=inspection, by=by, item_id=item_id, spec=spec)
    site = site or session.get(Site, inspection.site_id)
    value = scoring.normalize(item, raw)
    result = scoring.judge(item, value, tier=inspection.tier, site_type=site.site_type).result
    clean_note = None if note is None else note.strip()[:2000]
    fields = {"value": value, "result": result, "by_id": by.id, "client_id": client_id, "device_id": device_id,
              **({} if captured_at is _UNREAD else {"captured_at": captured_at})}
    for attempt in range(3):
        current = stored if attempt == 0 and stored is not _UNREAD else answer_rows.current(session, inspection.id, item_id)
        if _repeated(current, client_id=client_id, base_version=base_version, device_id=device_id, value=value):
            return current
        before = _side(session, inspection, current, item_id)
        now = utcnow()
        row = {**fields, "at": now}
        after = (value, answer_rows.kept_note(current, clean_note), True)
        counts = answer_rows.counts_with_the_write(session) and tally.planned(
            inspection=inspection, spec=spec, site=site, item=item, before=before, after=after, now=now)
        if counts:  # PostgreSQL: the answer, its audit row and the counts in one statement
            saved, counted = answer_rows.write_counted(session, inspection, current, item_id, row, clean_note, counts)
            if counted:
                tally.settle(inspection, counts)
                return saved
        else:
            saved = (answer_rows.insert(session, inspection, item_id, row, clean_note) if current is None
                     else answer_rows.update(session, current, row, clean_note))
        if saved is not None:
            tally.count_save(session=session, inspection=inspection, spec=spec, site=site, item=item, before=before,
                             after=after, now=now, stale=bool(counts))
            return saved
        # someone saved this item first: judge against their row
    raise Conflict(answer_rows.current(session, inspection.id, item_id), value)


def _repeated(current: Answer | None, *, client_id, base_version, device_id, value) -> bool:
    """Whether the stored answer is this very save again (its client id); Conflict when the save
    was based on an older version from another device."""
    if current is None:
        return False
    if client_id and current.client_id == client_id:
        return True
    if base_version is not None and base_version != current.version and not (device_id and current.device_id == device_id):
        raise Conflict(current, value)
    return False


def _side(session: Session, inspection: Inspection, current: Answer | None, item_id: str) -> tally.Side:
    """What an item counted as before this save: its own answer, else (a follow-up) its original's."""
    if current is not None:
        return current.value, current.note, True
    if inspection.follow_up_of_id is None:
        return None, None, False
    original = session.get(Inspection, inspection.follow_up_of_id)
    return (values_of(session=session, inspection=original).get(item_id),
            notes_of(session=session, inspection=original).get(item_id), False)


EDITABLE = ("draft", "returned")


def check_editable(*, inspection: Inspection, by: User, item_id: str | None = None,
                   spec: ChecklistSpec | None = None) -> None:
    """Raise unless `by` may change this inspection (and this item) now.

    The role must be one that fills in this purpose (rights.START), the status draft or returned,
    the item one of the checklist's, and for a follow-up one of the items it re-checks.
    """
    rights.require(by, "start", inspection.purpose)
    if inspection.status not in EDITABLE:
        raise NotEditable(f"检查已{LABELS.get(inspection.status, inspection.status)}，不能再修改")
    if item_id is not None:
        if spec is not None and item_id not in spec.by_id:
            raise InspectionError(f"清单中没有条目 {item_id!r}")
        if inspection.scope_items and item_id not in inspection.scope_items:
            raise NotEditable("整改复查只复查整改项，此条目沿用原检查结果")


def may_edit(inspection: Inspection, by: User) -> bool:
    """Whether the user may change the inspection now (for showing forms, not for deciding)."""
    return inspection.status in EDITABLE and rights.can(by, "start", inspection.purpose)


def decision(*, session: Session, inspection: Inspection, answers: dict[str, Answer] | None = None) -> Decision:
    """THE decision of an inspection: verdict, reasons, subsidy or title, and the rule used.

    Every page, report, the dashboard's stored verdict, the export and the verify page read this;
    a follow-up is judged on its original's answers overlaid with its own re-checks.
    """
    spec = spec_for(session=session, inspection=inspection)
    site = session.get(Site, inspection.site_id)
    if answers is None:
        answers = answers_of(session=session, inspection=inspection)
    return decide(spec, values_of(session=session, inspection=inspection, answers=answers),
                  notes=notes_of(session=session, inspection=inspection, answers=answers),
                  purpose=inspection.purpose, tier=inspection.tier, site_type=site.site_type,
                  approval=approval_of(site))


def outcome(*, session: Session, inspection: Inspection) -> scoring.Outcome:
    """The per-item judgement behind the inspection's decision."""
    return decision(session=session, inspection=inspection).outcome


def store_score(*, session: Session, inspection: Inspection, result: Decision) -> Decision:
    """Keep a decision's score, verdict and subsidy on the inspection (for lists and dashboards)."""
    inspection.score = result.score
    inspection.verdict = result.verdict
    inspection.subsidy = result.subsidy
    session.add(inspection)
    return result


def refresh_decision(*, session: Session, inspection: Inspection) -> Decision:
    """Recompute and store the inspection's decision."""
    return store_score(session=session, inspection=inspection, result=decision(session=session, inspection=inspection))


def refresh_score(*, session: Session, inspection: Inspection) -> scoring.Outcome:
    """Recompute and store the decision; return its per-item outcome (for callers that read items)."""
    return refresh_decision(session=session, inspection=inspection).outcome


def unfinished(*, session: Session, site: Site) -> list[Inspection]:
    """The site's inspections still being filled in (draft or returned), newest first."""
    return list(session.exec(select(Inspection).where(Inspection.site_id == site.id,
                                                      Inspection.status.in_(EDITABLE))
                             .order_by(Inspection.updated_at.desc())))


def progress(spec: ChecklistSpec, result: scoring.Outcome, photo_counts: dict[str, int], *,
             site_type: str | None, scope: list[str] | None = None, answered: dict | None = None) -> Progress:
    """Progress of an outcome, counting required photos not yet taken.

    For a follow-up (`scope` = the items it re-checks) only those items count, answered by the
    follow-up itself (`answered`), not by the inspection it follows up.
    """
    tier = result.tier
    applicable = [i for i in spec.items() if i.applies(tier, site_type) and (not scope or i.id in scope)]
    if scope:
        done = sum(1 for i in applicable if i.id in (answered or {}))
        critical_open = sum(1 for i in applicable if i.id not in (answered or {}) and (i.gate or i.is_critical(tier)))
    else:
        done = result.answered
        critical_open = sum(1 for i in applicable if i.id in result.open_items and (i.gate or i.is_critical(tier)))
    missing = tuple(i.id for i in applicable if result.judgements[i.id].result != scoring.NA
                    and photo_counts.get(i.id, 0) < i.evidence.photos)
    return Progress(done, len(applicable) if scope else result.applicable, critical_open,
                    sum(spec.by_id[i].evidence.photos - photo_counts.get(i, 0) for i in missing), missing)


def submit(*, session: Session, inspection: Inspection, by: User) -> scoring.Outcome:
    """Submit a finished inspection (draft → submitted, returned → resubmitted)."""
    rights.require(by, "start", inspection.purpose)
    if inspection.status not in EDITABLE:
        raise NotEditable(f"检查已{LABELS.get(inspection.status, inspection.status)}，不能重复提交")
    verdict = refresh_decision(session=session, inspection=inspection)
    result = verdict.outcome
    if inspection.scope_items:
        own = answers_of(session=session, inspection=inspection)
        missing = [i for i in inspection.scope_items if i not in own]
        if missing:
            raise InspectionError(f"还有 {len(missing)} 个整改项未复查，请完成后再提交")
    if result.open_items:
        raise InspectionError(f"还有 {len(result.open_items)} 项未检查，请完成后再提交")
    if result.unexplained:
        spec = spec_for(session=session, inspection=inspection)
        names = "、".join(spec.by_id[i].text[:30] for i in result.unexplained)
        raise InspectionError(f"以下要求原文为建议性措辞，未符合时须在备注中说明原因：{names}")
    before = inspection.status
    inspection.status = "submitted" if before == "draft" else "resubmitted"
    inspection.submitted_at = utcnow()
    session.add(inspection)
    audit.record(session=session, user_id=by.id, action="submit", entity="inspection", entity_id=inspection.id,
                 before={"status": before}, after={"status": inspection.status, "score": result.score,
                                                   "verdict": verdict.verdict, "subsidy": verdict.subsidy})
    notifications.submitted(session=session, inspection=inspection, reviewers=rights.REVIEW.get(inspection.purpose, ()),
                            by=by)
    return result
