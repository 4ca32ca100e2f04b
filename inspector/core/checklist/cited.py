"""What every checklist and program entry shares: a strict frozen model, ids, texts, and a source
cited as "seed file › clause" from the Chinese originals. Pure."""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

ID_RE = r"^[a-z0-9][a-z0-9._-]*$"
SOURCE_RE = re.compile(r"^(\d{3}_[0-9a-f]{16}\.txt) › \S.*$")
SEEDS = {  # the Chinese originals every clause is cited from (shared/seeds/)
    "000_7a80efa72703d9ff.txt": "荷花街道“党员微服务、群众大满意”活动实施方案（2023）",
    "001_ce2f6b89bf5be0ba.txt": "“党建+网格+微小事”工作机制",
    "002_a83f9f6db4fc39eb.txt": "党群服务中心建设标准（篇一至篇六）",
    "003_f5bd2b5e7d78f097.txt": "党群服务中心服务项目化管理",
    "004_540c324c00d562d2.txt": "在职党员到社区报到服务",
}

Id = Annotated[str, Field(pattern=ID_RE, max_length=80)]
Text = Annotated[str, Field(min_length=1)]


def check_source(value: str) -> str:
    """A source names a seed file and a clause: `002_a83f9f6db4fc39eb.txt › 篇五 5.4`."""
    m = SOURCE_RE.match(value)
    if not m:
        raise ValueError(f"source 应形如 \"002_a83f9f6db4fc39eb.txt › 篇五 5.4\"（种子文件名 › 条款），而不是 {value!r}")
    if m.group(1) not in SEEDS:
        raise ValueError(f"source 中的文件 {m.group(1)!r} 不是已知的标准原文（{', '.join(sorted(SEEDS))}）")
    return value


class Strict(BaseModel):
    """Unknown fields refused, instances frozen, aliases accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
