"""Micro projects (微实事): application, routing by amount, notices, acceptance, evaluation, archive; the fund.

Life of a project (status): applied → (each step of its route) → approved | rejected;
approved → [optional plan notice, 003] → started → noticed (before/after photos and the completion
notice, 000 二 4) → accepting (acceptance inspection on the program's checklist, after the
notice period) → evaluated (residents' satisfaction, 001 二 7 “先验收、后评价”) → archived.
Every change writes the audit log; the rules themselves live in core/micro.py.

One module per job; this one names them together, so callers write `micro.apply`, `micro.MicroError` …

- services/micro_state.py       errors, rights, status changes, every read of a project
- services/micro_decide.py      the application and its route of decisions
- services/micro_notices.py     the plan notice and the start of work
- services/micro_completion.py  before/after photos and the completion notice
- services/micro_acceptance.py  acceptance, the residents' survey, the archive
- services/micro_fund.py        the members' micro-service fund
- services/micro_documents.py   the documents printed from the project record
"""
from __future__ import annotations

from .micro_acceptance import archive, record_satisfaction, start_acceptance
from .micro_completion import CAPTIONS, Upload, complete, photo_path, photos_of
from .micro_decide import apply, decide
from .micro_documents import REPORT_KINDS, of_acceptance, project_record, report_fields, report_record
from .micro_fund import FundLine, add_member, commit, commitments, fund, fund_of
from .micro_notices import post_plan_notice, start
from .micro_state import (LEGACY_PROGRAM, LIVE, PROGRAM, PURPOSE, Invalid, MicroError, accepted, acceptance,
                          checklist_for, completion_definition, completion_notice, get, listing, may, may_decide,
                          overrides_of, plan_notice, program_of, region_names, require, route_of, site_program,
                          steps_of, warnings_of, year_items, years)

__all__ = [
    "acceptance", "accepted", "add_member", "apply", "archive", "CAPTIONS", "checklist_for", "commit", "commitments",
    "complete", "completion_definition", "completion_notice", "decide", "fund", "fund_of", "FundLine", "get",
    "Invalid", "LEGACY_PROGRAM", "listing", "LIVE", "may", "may_decide", "MicroError", "of_acceptance",
    "overrides_of", "photo_path", "photos_of", "plan_notice", "post_plan_notice", "PROGRAM", "program_of",
    "project_record", "PURPOSE", "record_satisfaction", "region_names", "report_fields", "REPORT_KINDS",
    "report_record", "require", "route_of", "site_program", "start", "start_acceptance", "steps_of", "Upload",
    "warnings_of", "year_items", "years"
]
