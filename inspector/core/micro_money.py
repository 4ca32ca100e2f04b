"""Micro projects: money read and written exactly, and the members' fund (000 二 1). Pure.

Money is integer fen (1/100 CNY) everywhere; amounts typed in forms are read exactly (Decimal).
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .errors import DomainError
from .micro_terms import SRC_FUND, Problem


class MoneyError(DomainError):
    """An amount that is not a plain CNY amount with at most two decimals (a refusal read as typed: 422)."""

    status = 422


_MONEY = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$")


def parse_money(text: str) -> int:
    """Fen from “12,345.67”, “12345”, “12345.6” (a trailing 元 is allowed); MoneyError otherwise."""
    s = (text or "").strip().replace("，", ",").replace("．", ".")
    s = s.removesuffix("元").strip()
    if not s:
        raise MoneyError("请填写金额")
    if not _MONEY.match(s):
        raise MoneyError(f"金额“{text.strip()}”格式不对，应写作 12345 或 12,345.67（元，最多两位小数）")
    try:
        return int(Decimal(s.replace(",", "")) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise MoneyError(f"金额“{text.strip()}”格式不对") from None


def positive_money(form, field: str, label: str, source: str, problems: list[Problem]) -> int | None:
    """A form's amount in fen, which must be more than 0; None with the problem named by its label."""
    try:
        fen = parse_money(form.get(field) or "")
    except MoneyError as exc:
        problems.append(Problem(field, f"{label}：{exc}", source))
        return None
    if fen <= 0:
        problems.append(Problem(field, f"{label}应大于 0", source))
        return None
    return fen


def format_money(fen: int | None) -> str:
    """“12,345.67 元” from fen (two decimals always)."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d} 元"


def remaining(allocation_fen: int, committed_fen: int) -> int:
    """What a member may still commit this year."""
    return allocation_fen - committed_fen


def check_commitment(amount_fen: int, remaining_fen: int, *, member: str = "", allocation_fen: int = 20000,
                     source: str = SRC_FUND) -> list[Problem]:
    """A member commits a positive amount no larger than what remains of their allocation (000: 200 CNY)."""
    if amount_fen <= 0:
        return [Problem("amount", "出资金额应大于 0", source)]
    whole = f"{allocation_fen // 100:,}" if allocation_fen % 100 == 0 else f"{allocation_fen / 100:,.2f}"
    if amount_fen > remaining_fen:
        return [Problem("amount", (f"每名党员、村（居）民代表的微服务资金支配额度为 {whole} 元，{member}本年度剩余 "
                                   f"{format_money(remaining_fen)}，不能支配 {format_money(amount_fen)}"), source)]
    return []

