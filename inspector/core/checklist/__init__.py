"""Checklist schema and loader: YAML files in, validated immutable specs out.

A bad file is reported with its file name, line, item id and what is wrong; `load_dir`
collects every problem of every file before it raises, so one run shows them all.

- `cited`: the strict base model, ids, and sources cited from the seed originals;
- `items`: an item, its rule per tier and site type, its force;
- `spec`: the checklist (sections, tiers, signatures, parameters), its content hash;
- `loader` and `crosschecks`: files in, every problem with its file:line out.
"""
from ..yamllines import ChecklistError, Problem
from .cited import ID_RE, SEEDS, SOURCE_RE, Id, Text
from .items import CONSEQUENCES, KINDS, Evidence, Item, Option
from .loader import load_dir, load_file, main, parse_text
from .spec import PURPOSES, SITE_TYPES, ChecklistSpec, Parameter, Party, Section, Signatures, Tier

__all__ = ["CONSEQUENCES", "KINDS", "PURPOSES", "SITE_TYPES", "ID_RE", "SEEDS", "SOURCE_RE", "Id", "Text",
           "ChecklistError", "Problem", "ChecklistSpec", "Evidence", "Item", "Option", "Parameter", "Party",
           "Section", "Signatures", "Tier", "load_dir", "load_file", "main", "parse_text"]
