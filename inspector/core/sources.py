"""The source documents' records (checklists/sources/documents.yaml) and citations a reader understands.

Checklist items store a source as "seed file › clause" (`002_a83f9f6db4fc39eb.txt › 篇六 附件1 序号2`).
Nothing a person reads shows the file name: `cite` turns it into the document's title and clause,
"《振兴重点村党群服务中心建设项目实施方案》附件1 第2项", with the record (issuer, number, date) for
a tap or hover. The file is validated like the checklists: every problem with its file:line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
import datetime as dt
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .checklist.cited import SEEDS, SOURCE_RE
from .yamllines import ChecklistError, Problem, line_for as _line_for, lines_of as _lines, message as _message

FILE = Path(__file__).resolve().parents[2] / "checklists" / "sources" / "documents.yaml"
PART_RE = re.compile(r"^(篇[一二三四五六七八九十]+)\s*(.*)$")
NUMBER_RE = re.compile(r"序号\s*(\d+)")


class Document(BaseModel):
    """One source document: what a county officer knows it by."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    title: str = Field(min_length=1)
    issuer: str | None = None
    number: str | None = None
    date: dt.date | None = None
    note: str | None = None
    parts: dict[str, str] | None = None

    @field_validator("file")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SEEDS:
            raise ValueError(f"{value!r} 不是已知的标准原文（{', '.join(sorted(SEEDS))}）")
        return value

    @field_validator("title")
    @classmethod
    def _bare(cls, value: str) -> str:
        if "《" in value or "》" in value:
            raise ValueError("标题不带书名号（引用时自动加上）")
        return value

    @model_validator(mode="after")
    def _explained(self):
        if None in (self.issuer, self.number, self.date) and not (self.note or "").strip():
            raise ValueError("制发单位、文号或日期写了 null，就要在 note 中说明原文为何没有")
        return self


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    documents: list[Document]


@dataclass(frozen=True)
class Citation:
    """A source as a reader sees it: the document's title, the clause, and the record behind it."""

    title: str
    clause: str
    document: Document

    @property
    def words(self) -> str:
        """《title》clause — what an item row shows."""
        return f"《{self.title}》{self.clause}".strip() if self.title else self.clause

    @property
    def record(self) -> str:
        """Issuer, number and date (or why the original has none) — what a tap shows."""
        d = self.document
        bits = [d.issuer, d.number, cn_date(d.date) if d.date else None]
        text = "，".join(b for b in bits if b)
        if d.parts and self.title != d.title:
            text = f"收于《{d.title}》" + (f"，{text}" if text else "")
        return text + (f"（{d.note}）" if d.note else "")


def cn_date(value: date | str | None) -> str:
    """A date as an official document writes it: 2026年12月2日."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.year}年{value.month}月{value.day}日"


def parse_text(text: str, file: str) -> dict[str, Document]:
    """The documents of a sources file by seed file name; ChecklistError lists every problem."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ChecklistError([Problem(file, mark.line + 1 if mark else None, None,
                                      f"YAML 语法错误：{getattr(exc, 'problem', exc)}")]) from None
    if node is None or not isinstance(data, dict):
        raise ChecklistError([Problem(file, 1, None, "文件应以 documents: 开头，列出每份原文")])
    lines, dups = _lines(node)
    problems = [Problem(file, line, None, f"重复的键 {path[-1]!r}") for path, line in dups]
    catalog = None
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as exc:
        problems += [Problem(file, _line_for(lines, tuple(e["loc"])), None, _message(e)) for e in exc.errors()]
    if catalog is not None:
        problems += _coverage(catalog, lines, file)
    if problems:
        raise ChecklistError(sorted(problems, key=lambda p: p.line or 0))
    return {d.file: d for d in catalog.documents}


def _coverage(catalog: Catalog, lines: dict, file: str) -> list[Problem]:
    """Each seed file exactly once."""
    problems, seen = [], set()
    for i, d in enumerate(catalog.documents):
        if d.file in seen:
            problems.append(Problem(file, _line_for(lines, ("documents", i, "file")), None, f"{d.file} 重复"))
        seen.add(d.file)
    for missing in sorted(set(SEEDS) - seen):
        problems.append(Problem(file, _line_for(lines, ("documents",)), None, f"缺少原文 {missing} 的记录"))
    return problems


@lru_cache(maxsize=1)
def documents() -> dict[str, Document]:
    """The records of checklists/sources/documents.yaml (loaded once)."""
    return parse_text(FILE.read_text(encoding="utf-8"), FILE.name)


def _clause(text: str) -> str:
    """A clause in a reader's words: "序号2" → "第2项"."""
    return NUMBER_RE.sub(lambda m: f"第{m.group(1)}项", text.strip())


@lru_cache(maxsize=4096)
def cite(source: str | None) -> Citation | None:
    """The citation of a stored source; None for empty text. Text that is not a seed citation
    (a county setting) is returned as the clause of an untitled document."""
    if not source:
        return None
    m = SOURCE_RE.match(source)
    if not m or m.group(1) not in documents():
        return Citation("", source, Document(file=next(iter(SEEDS)), title="县级设定", note="非原文条款"))
    doc = documents()[m.group(1)]
    clause = source.split(" › ", 1)[1]
    title = doc.title
    part = PART_RE.match(clause)
    if doc.parts and part and part.group(1) in doc.parts:
        title, clause = doc.parts[part.group(1)], part.group(2)
    return Citation(title, _clause(clause), doc)


def words(source: str | None) -> str:
    """Every citation in a text ("a；b" of several files stays readable), file names replaced."""
    c = cite(source)
    return c.words if c else ""


def scrub(text: Any) -> str:
    """Any text with seed citations inside it ("…（000_7a80….txt › 附件4）") in readable form."""
    pattern = re.compile(r"\d{3}_[0-9a-f]{16}\.txt › [^）)；;，。\n]+")
    return pattern.sub(lambda m: words(m.group(0)), str(text or ""))
