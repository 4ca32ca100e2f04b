"""Micro projects: the members' micro-service fund (000 二 1: each member's yearly allocation)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from ..core import micro as rules
from ..models import FundCommitment, FundMember, MicroProject, Site, User
from . import audit
from .micro_state import Invalid, MicroError, require, site_program


@dataclass(frozen=True)
class FundLine:
    """A fund member's year: allocation, committed, remaining (fen)."""

    member: FundMember
    committed_fen: int

    @property
    def remaining_fen(self) -> int:
        return rules.remaining(self.member.allocation_fen, self.committed_fen)


def fund_of(site: Site):
    """The fund rule of the site's program; MicroError when its scheme gives members no fund."""
    program = site_program(site)
    if program.fund is None:
        raise MicroError(f"“{program.title}”未设党员、村（居）民代表个人微服务资金")
    return program.fund


def fund(*, session: Session, site: Site, year: int) -> list[FundLine]:
    """The site's fund members of a year with what each committed and has left."""
    members = session.exec(select(FundMember).where(FundMember.site_id == site.id, FundMember.year == year)
                           .order_by(FundMember.id)).all()
    sums = dict(session.exec(select(FundCommitment.member_id, func.sum(FundCommitment.amount_fen))
                             .where(FundCommitment.member_id.in_([m.id for m in members]))
                             .group_by(FundCommitment.member_id)).all()) if members else {}
    return [FundLine(m, int(sums.get(m.id) or 0)) for m in members]


def commitments(*, session: Session, site: Site, year: int) -> list[tuple[FundCommitment, FundMember, MicroProject]]:
    """Every commitment of the site's members in a year, oldest first."""
    stmt = (select(FundCommitment, FundMember, MicroProject)
            .join(FundMember, FundCommitment.member_id == FundMember.id)
            .join(MicroProject, FundCommitment.project_id == MicroProject.id)
            .where(FundMember.site_id == site.id, FundMember.year == year).order_by(FundCommitment.id))
    return list(session.exec(stmt).all())


def add_member(*, session: Session, site: Site, year: int, name: str, phone: str, kind: str, by: User) -> FundMember:
    """Give a Party member or residents' representative their allocation for a year (the program's fund, 000 二 1)."""
    require(by, "fund")
    fund_rule = fund_of(site)
    p: list[rules.Problem] = []
    name, phone = (name or "").strip(), (phone or "").strip()
    if not name or len(name) > 64:
        p.append(rules.Problem("name", "请填写姓名（不超过 64 字）", rules.SRC_FUND))
    if phone and not rules.valid_phone(phone):
        p.append(rules.Problem("phone", f"电话“{phone}”格式不对", rules.SRC_FUND))
    if kind not in rules.MEMBER_KINDS:
        p.append(rules.Problem("kind", "请选择身份：党员或村（居）民代表", rules.SRC_FUND))
    if not 2000 <= year <= 2100:
        p.append(rules.Problem("year", f"年度 {year} 不对", rules.SRC_FUND))
    if not p and session.exec(select(FundMember).where(FundMember.site_id == site.id, FundMember.year == year,
                                                       FundMember.name == name, FundMember.phone == phone)).first():
        p.append(rules.Problem("name", f"{year} 年已登记“{name}”", rules.SRC_FUND))
    if p:
        raise Invalid(p)
    member = FundMember(site_id=site.id, year=year, name=name, phone=phone, kind=kind,
                        allocation_fen=int(fund_rule.per_member_yuan * 100))
    session.add(member)
    session.flush()
    audit.record(session=session, user_id=by.id, action="fund_member", entity="fundmember", entity_id=member.id,
                 after={"site": site.id, "year": year, "name": name, "kind": kind,
                        "allocation_fen": member.allocation_fen})
    return member


def _pair_problems(site: Site, member: FundMember | None, project: MicroProject | None) -> list[rules.Problem]:
    """The member and the project belong to this site, and to the same year; the project still takes funds."""
    p: list[rules.Problem] = []
    if member is None or member.site_id != site.id:
        p.append(rules.Problem("member_id", "请选择本村（社区）登记的党员或村（居）民代表", rules.SRC_FUND))
    if project is None or project.site_id != site.id:
        p.append(rules.Problem("project_id", "请选择本村（社区）的微实事项目", rules.SRC_FUND))
    elif project.status in ("rejected", "archived"):
        p.append(rules.Problem("project_id", f"项目“{project.name}”{rules.STATUS_LABELS[project.status]}，不能再出资",
                               rules.SRC_FUND))
    if member is not None and project is not None and not p and member.year != project.year:
        p.append(rules.Problem("project_id", f"{member.name}的额度属于 {member.year} 年，项目属于 {project.year} 年",
                               rules.SRC_FUND))
    return p


def _amount_problems(session: Session, member: FundMember, project: MicroProject, fen: int) -> list[rules.Problem]:
    """One commitment per member and project, within what remains of the member's allocation."""
    if session.exec(select(FundCommitment).where(FundCommitment.member_id == member.id,
                                                 FundCommitment.project_id == project.id)).first():
        return [rules.Problem("member_id", f"{member.name}已为“{project.name}”出资", rules.SRC_FUND)]
    used = session.exec(select(func.coalesce(func.sum(FundCommitment.amount_fen), 0))
                        .where(FundCommitment.member_id == member.id)).one()
    return rules.check_commitment(fen, rules.remaining(member.allocation_fen, int(used)), member=member.name,
                                  allocation_fen=member.allocation_fen)


def commit(*, session: Session, site: Site, member_id: int, project_id: int, amount: str, by: User) -> FundCommitment:
    """A member commits part of their remaining allocation to a project of the same site and year."""
    require(by, "fund")
    member = session.get(FundMember, member_id) if member_id else None
    project = session.get(MicroProject, project_id) if project_id else None
    p = _pair_problems(site, member, project)
    fen = None
    try:
        fen = rules.parse_money(amount)
    except rules.MoneyError as exc:
        p.append(rules.Problem("amount", str(exc), rules.SRC_FUND))
    if not p:
        p += _amount_problems(session, member, project, fen)
    if p:
        raise Invalid(p)
    row = FundCommitment(member_id=member.id, project_id=project.id, amount_fen=fen)
    session.add(row)
    session.flush()
    audit.record(session=session, user_id=by.id, action="fund_commit", entity="fundcommitment", entity_id=row.id,
                 after={"member": member.id, "project": project.id, "amount_fen": fen})
    return row
