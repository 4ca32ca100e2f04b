"""The signatures of a completion acceptance (build-standard 篇六 三: 乡镇相关同志、综合验收工作组全体
成员、施工方负责人): who may sign for each party, the signers a reviewer names on approval, and the
signing itself — with one's own account (password re-entered) or by hand on the inspector's phone.
The acceptance stands (accepted) when the last signature is in."""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from ..core.geo import Position
from ..core.storage import LocalStorage
from ..models import LABELS, Inspection, Region, SignOff, Site, User, utcnow
from . import audit, notifications, rights, users
from .inspections import refresh_decision, spec_for
from .transitions import ReviewError, move, refuse_unless_passed, refuse_unless_signing

# Which roles may sign for each signature party of the checklist.
PARTY_ROLES = {
    "township-staff": ("township",),
    "acceptance-team": ("inspector", "county_reviewer"),
    "contractor-lead": ("contractor",),
}
TEAM_MIN_DEFAULT = 2  # county setting ACCEPTANCE_TEAM_MIN: 篇六 三 names "综合验收工作组全体成员", no number
SIGNATURE_MAX_BYTES = 600_000  # a drawn signature PNG from the phone's canvas

Slot = tuple[str, "int | None", str, str]  # (party, user id or None, name, role)


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


def _party_roles(slot: PartySlot) -> str:
    return "、".join(LABELS.get(r, r) if r != "township" else "乡镇" for r in PARTY_ROLES.get(slot.id, ()))


def _check_slot(slot: PartySlot, chosen: list[int], count: int, team_min: int) -> None:
    """One party's signers: someone, one for a single party, the team's minimum, the right accounts."""
    if not count:
        raise ReviewError(f"请指定签字人：{slot.name}（有账号的选账号，没有账号的填写姓名和单位职务）")
    if not slot.each and count > 1:
        raise ReviewError(f"“{slot.name}”只需一人签字")
    if slot.id == "acceptance-team" and count < team_min:
        raise ReviewError(f"综合验收工作组至少 {team_min} 人（县级设定），现只指定了 {count} 人")
    allowed = {u.id for u in slot.candidates}
    if any(u not in allowed for u in chosen):
        raise ReviewError(f"所选人员不能代表“{slot.name}”签字（须为本站点所在地区的{_party_roles(slot)}账号）")


def check_signers(session: Session, inspection: Inspection, signers: dict[str, list[int]],
                  named: dict[str, list[tuple[str, str]]], team_min: int) -> list[Slot]:
    """The (party, user id or None, name, role) to sign, or ReviewError naming what is wrong."""
    out: list[Slot] = []
    for slot in signature_parties(session=session, inspection=inspection):
        chosen = list(dict.fromkeys(int(u) for u in signers.get(slot.id, [])))
        people = _clean_named(slot.name, named.get(slot.id, []))
        _check_slot(slot, chosen, len(chosen) + len(people), team_min)
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
            raise ReviewError(f"“{party}”的现场签字人须同时填写姓名和单位职务")
        if len(name) > 64 or len(role) > 100:
            raise ReviewError(f"“{party}”的签字人姓名不超过 64 字、单位职务不超过 100 字")
        if (name, role) in out:
            raise ReviewError(f"“{party}”重复填写了 {name}")
        out.append((name, role))
    return out


def assign(session: Session, inspection: Inspection, slots: list[Slot], by: User) -> None:
    """The signatures an approval asks for, one row per signer."""
    for party, user_id, name, role in slots:
        session.add(SignOff(inspection_id=inspection.id, party=party, user_id=user_id, signer_name=name,
                            signer_role=role, method="password" if user_id else "handwritten",
                            assigned_by_id=by.id))


def signoffs(*, session: Session, inspection: Inspection) -> list[tuple[SignOff, User | None]]:
    """Required signatures with their users (None for a signer without an account), by assignment."""
    rows = session.exec(select(SignOff, User).join(User, SignOff.user_id == User.id, isouter=True)
                        .where(SignOff.inspection_id == inspection.id).order_by(SignOff.id)).all()
    return [(s, u) for s, u in rows]


def signer_name(signoff: SignOff, user: User | None) -> str:
    """Who signs: the account's name, or the name given for a signer without one."""
    return user.display_name if user is not None else signoff.signer_name


def unsigned(*, session: Session, inspection: Inspection) -> list[str]:
    """Who has not signed yet, as "name（party）"."""
    return [f"{signer_name(s, u)}（{s.party}）" for s, u in signoffs(session=session, inspection=inspection)
            if s.signed_at is None]


def sign(*, session: Session, inspection: Inspection, by: User, password: str) -> bool:
    """Sign a completion acceptance with one's own account (password re-entered).

    Returns True when this was the last signature: the acceptance then stands (status accepted).
    """
    refuse_unless_signing(inspection)
    refuse_unless_passed(refresh_decision(session=session, inspection=inspection), "签字")
    mine = [s for s, u in signoffs(session=session, inspection=inspection) if u is not None and u.id == by.id]
    if not mine:
        raise ReviewError("您不是本次验收的签字人")
    pending = [s for s in mine if s.signed_at is None]
    if not pending:
        raise ReviewError("您已签字，无需重复签字")
    if not users.check_password(by, password or ""):
        raise ReviewError("密码不正确，未签字")
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
        move(session, inspection, "accept", by, by_signatures=True)
        notifications.about_inspection(session=session, inspection=inspection, kind="accepted", by=by,
                                       what="各方均已签字，验收生效",
                                       users=[notifications.author_of(session, inspection),
                                              session.get(User, inspection.reviewed_by_id)])
        return True
    return False


def _hand_slot(session: Session, inspection: Inspection, signoff_id: int) -> SignOff:
    """The slot of a signer without an account that is still to sign, or ReviewError."""
    row = session.get(SignOff, signoff_id)
    if row is None or row.inspection_id != inspection.id or row.user_id is not None:
        raise ReviewError("没有这位现场签字人（有账号的签字人请用本人账号和密码签字）")
    if row.signed_at is not None:
        raise ReviewError(f"{row.signer_name} 已签字，无需重复签字")
    return row


def sign_by_hand(*, session: Session, inspection: Inspection, signoff_id: int, image: bytes, by: User,
                 media_root: Path, position: Position | None) -> bool:
    """A signer without an account signs on the inspector's phone: the drawn PNG, time and position.

    The PNG is checked (a real PNG, not blank, not huge) and stored by its SHA-256 under
    media/signatures/. Only someone who fills in this acceptance (rights.START) holds the phone.
    Returns True when this was the last signature (the acceptance stands).
    """
    rights.require(by, "start", inspection.purpose)
    refuse_unless_signing(inspection)
    refuse_unless_passed(refresh_decision(session=session, inspection=inspection), "签字")
    row = _hand_slot(session, inspection, signoff_id)
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


def _inked(image: bytes) -> tuple[int, int, int]:
    """(width, height, dark pixels drawn on the white pad) of a PNG, or ReviewError when unreadable."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(io.BytesIO(image)) as img:
            img.load()
            flat = Image.new("RGBA", img.size, "white")
            flat.alpha_composite(img.convert("RGBA"))
            return img.size[0], img.size[1], sum(flat.convert("L").histogram()[:200])
    except (UnidentifiedImageError, OSError, ValueError):
        raise ReviewError("签名图片无法读取，请重新签名") from None


def store_signature(image: bytes, media_root: Path) -> tuple[str, str]:
    """Check a drawn signature PNG and store it by content hash; (sha256, media-relative path)."""
    if not image:
        raise ReviewError("没有收到签名，请在签名框内手写签名")
    if len(image) > SIGNATURE_MAX_BYTES:
        raise ReviewError("签名图片过大")
    if not image.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ReviewError("签名应为 PNG 图片")
    width, height, inked = _inked(image)
    if not (100 <= width <= 4000 and 50 <= height <= 2000):
        raise ReviewError("签名图片尺寸不对，请重新签名")
    if inked < 30:
        raise ReviewError("签名框是空的，请手写签名后再确认")
    sha = hashlib.sha256(image).hexdigest()
    rel = f"signatures/{sha[:2]}/{sha}.png"
    LocalStorage(media_root).put_at(rel, image)
    return sha, rel
