"""A micro-project application against its scheme's limits, with the words saying by how much. Pure."""
from __future__ import annotations

from decimal import Decimal

from .spec import Limit, ProgramSpec


def fen(yuan: Decimal) -> int:
    """Yuan (Decimal) in fen."""
    return int(yuan * 100)


def money(fen_: int) -> str:
    """“12,345.67 元”."""
    whole, cents = divmod(abs(int(fen_)), 100)
    return f"{'-' if fen_ < 0 else ''}{whole:,}.{cents:02d} 元"


def check_limits(spec: ProgramSpec, *, size: str, budget_fen: int,
                 others: list[tuple[str, str, int]]) -> list[tuple[Limit, str]]:
    """Every limit an application breaks, with the words saying by how much.

    `others` are the village's other live projects of the year as (name, size, budget_fen).
    """
    out = []
    for limit in spec.limits:
        if limit.size not in ("any", size):
            continue
        same = [o for o in others if limit.size == "any" or o[1] == limit.size]
        if limit.measure == "item_budget" and budget_fen > fen(limit.max):
            out.append((limit, f"{limit.wording}：本项目预算 {money(budget_fen)}，超出 {money(budget_fen - fen(limit.max))}"))
        elif limit.measure == "year_total":
            used = sum(o[2] for o in same)
            if used + budget_fen > fen(limit.max):
                out.append((limit, f"{limit.wording}：本年度已申报 {money(used)}，加上本项目 {money(budget_fen)} "
                                   f"共 {money(used + budget_fen)}，超出 {money(used + budget_fen - fen(limit.max))}"))
        elif limit.measure == "year_count" and len(same) + 1 > int(limit.max):
            names = "、".join(f"“{o[0]}”" for o in same)
            out.append((limit, f"{limit.wording}，本年度已有{names}"))
    return out
