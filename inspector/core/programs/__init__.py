"""Program definitions: each locality's procedure rules as data (`checklists/programs/*.yaml`). Pure.

A program file declares one scheme: a town's micro-project scheme (fund per member, approval
chain by amount band, limits and their force, notices and their periods, acceptance, evaluation,
plaque), the red-landmark procedure (篇五 7.x) or the build-standard acceptance (篇六 三): the
steps, who owns each, and each period. A bad file stops the app at start with file:line: item:
what, exactly like a checklist (core/checklist). A new town's scheme is a new file.

Force of a limit, as the source words it:
- `hard`: the application is refused (422 with the rule and its clause);
- `as_a_rule` (“原则上”): the application is kept with a warning, and cannot go on until the
  role named in `override` records an override with its reason (001 二 5 “统筹调剂”).

`spec` holds the model, `limits` the checks of an application against it, `loader` the files.
"""
from ..yamllines import ChecklistError, Problem
from .limits import check_limits, fen, money
from .loader import checklist_problems, load_dir, load_file, main, parse_text
from .spec import (KINDS, MEASURES, NOTICE_KINDS, ROLES, SETTING, SIZES, Approval, Band, Fund, Limit, Notice,
                   Override, Parameter, Period, Plaque, ProgramSpec, Stage, Step)

__all__ = ["KINDS", "MEASURES", "NOTICE_KINDS", "ROLES", "SETTING", "SIZES", "Approval", "Band", "ChecklistError",
           "Fund", "Limit", "Notice", "Override", "Parameter", "Period", "Plaque", "Problem", "ProgramSpec", "Stage",
           "Step", "check_limits", "checklist_problems", "fen", "load_dir", "load_file", "main", "money",
           "parse_text"]
