"""Micro projects (微实事 / 微小事): the rules of application, routing, spending, notice and fund. Pure.

No Flask, no database. The rules live in one module per job; this module names them together, so
callers write `from ..core import micro as rules` and read `rules.parse_money`, `rules.Route` …

- core/micro_terms.py        seed sources, labels, statuses and their transitions, `Problem`
- core/micro_money.py        money read exactly (fen), the members' fund (000 二 1)
- core/micro_route.py        the approval route (the program's band) and the yearly limits (“1 + N”)
- core/micro_application.py  the application form (000 附件1)
- core/micro_completion.py   notice periods, the completion form (000 附件2), the survey (001 二 7)
"""
from __future__ import annotations

from .micro_application import (LABELS, LIMITS, Application, Household, Member, Reading, SpendingLine, read_application,
                                read_households, read_members, read_spending, spending_problem)
from .micro_completion import (Completion, Satisfaction, check_notice_days, read_completion, read_notice_start,
                               read_satisfaction, read_working_days)
from .micro_money import MoneyError, check_commitment, format_money, parse_money, remaining
from .micro_route import (OVERRIDE_STEP, LimitBreach, Route, Step, YearItem, check_quota, route_for, route_of_band,
                          with_override)
from .micro_terms import (ACTION_LABELS, CATEGORIES, MEMBER_KINDS, MIN_HOUSEHOLDS, SEED_000, SEED_001, SEED_003, SIZES,
                          SRC_COMPLETION_NOTICE, SRC_EVALUATION, SRC_FORM, SRC_FUND, SRC_NOTICE_FORM, SRC_PLAN_NOTICE,
                          SRC_QUOTA, SRC_ROUTING, SRC_SPENDING, STATUS_LABELS, TRANSITIONS, Problem, transition_error,
                          valid_phone, yuan)

__all__ = [
    "ACTION_LABELS", "Application", "CATEGORIES", "check_commitment", "check_notice_days", "check_quota",
    "Completion", "format_money", "Household", "LABELS", "LimitBreach", "LIMITS", "Member", "MEMBER_KINDS",
    "MIN_HOUSEHOLDS", "MoneyError", "OVERRIDE_STEP", "parse_money", "Problem", "read_application", "read_completion",
    "read_households", "read_members", "read_notice_start", "read_satisfaction", "read_spending", "read_working_days",
    "Reading", "remaining", "Route", "route_for", "route_of_band", "Satisfaction", "SEED_000", "SEED_001", "SEED_003",
    "SIZES", "spending_problem", "SpendingLine", "SRC_COMPLETION_NOTICE", "SRC_EVALUATION", "SRC_FORM", "SRC_FUND",
    "SRC_NOTICE_FORM", "SRC_PLAN_NOTICE", "SRC_QUOTA", "SRC_ROUTING", "SRC_SPENDING", "STATUS_LABELS", "Step",
    "transition_error", "TRANSITIONS", "valid_phone", "with_override", "YearItem", "yuan"
]
