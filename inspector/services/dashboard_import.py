"""Sites in from Excel or CSV (the dashboard's import, also run as a job): every row or none,
every bad row named with its column and value; and the blank import workbook."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlmodel import Session

from ..core.errors import DomainError
from ..models import Region, Site, User
from . import rights, scope, sites as site_service

IMPORT_HEADERS = ("名称", "类型", "乡镇（街道）", "地址", "纬度", "经度", "申报等级", "代码")
FIELD_LABELS = {"name": "名称", "site_type": "类型", "township": "乡镇（街道）", "address": "地址", "lat": "纬度",
                "lon": "经度", "tier_applied": "申报等级", "code": "代码"}
IMPORT_NOTES = (
    ("名称", "必填。站点名称，如“张庄村党群服务中心”；同一乡镇内不能重名"),
    ("类型", "必填。村 或 社区"),
    ("乡镇（街道）", "必填。所属乡镇（街道）的名称或区划代码，须在您的管辖范围内"),
    ("地址", "选填"),
    ("纬度", "选填。WGS-84 十进制度数（3–54），与经度同时填写"),
    ("经度", "选填。WGS-84 十进制度数（73–136），与纬度同时填写"),
    ("申报等级", "选填。示范村 / 达标村 / 改扩建，或留空"),
    ("代码", "选填。村（社区）区划代码；留空则按乡镇代码自动编号"),
)


@dataclass(frozen=True)
class ImportProblem:
    """One bad cell (or row) of an import file, as shown to the person who uploaded it."""

    row: int
    column: str
    value: str
    reason: str


class ImportRefused(DomainError):
    """The file was refused; nothing was stored (422, every bad row in `problems`)."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__("\n".join(f"第 {p.row} 行 {p.column}：{p.reason}" for p in problems))


def _problem(error: site_service.RowError, rows: list[dict[str, str]]) -> ImportProblem:
    """An import error with the column and the value it is about (as services.sites names them)."""
    field_ = error.column
    row = next((r for n, r in enumerate(rows, start=2) if int(r.get("_line") or n) == error.row), {})
    value = error.value
    if value is None:
        value = row.get(field_, "") if field_ else ""
    return ImportProblem(error.row, FIELD_LABELS.get(field_, field_ or "—"), str(value), error.message)


def import_region(*, session: Session, user: User) -> Region:
    """The region a user imports sites into; rights.Forbidden when the role may not import."""
    rights.require(user, "import_sites")
    return scope.region_of(session=session, user=user)


def import_file(*, session: Session, filename: str, data: bytes, by: User, within: Region) -> list[Site]:
    """Create the sites of an uploaded .xlsx or .csv inside a region: all rows or none.

    The file is read by services.sites.read_rows and stored by services.sites.import_rows (the
    same code as `flask sites import`); ImportRefused lists every bad row with its column and value.
    """
    rights.require(by, "import_sites")
    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ImportRefused([ImportProblem(0, "文件", filename or "（未选择文件）", "请上传 .xlsx 或 .csv 文件")])
    try:
        rows = site_service.read_rows(f"upload{suffix}", data=data)
    except site_service.ImportError_ as exc:
        raise ImportRefused([_problem(e, []) for e in exc.errors]) from None
    except Exception as exc:  # noqa: BLE001 - a damaged file fails in many ways (zip, XML, CSV); all are "unreadable"
        raise ImportRefused([ImportProblem(0, "文件", filename, f"无法读取文件（{exc.__class__.__name__}），"
                                                               "请确认是 Excel 另存的 .xlsx 或 UTF-8 编码的 .csv")]) from None
    if not rows:
        raise ImportRefused([ImportProblem(2, "—", "", "文件里没有站点（只有表头）")])
    try:
        return site_service.import_rows(session=session, rows=rows, by=by.id, within=within)
    except site_service.ImportError_ as exc:
        raise ImportRefused([_problem(e, rows) for e in exc.errors]) from None


def template_xlsx(out: IO[bytes], *, by: User | None = None) -> None:
    """A blank import workbook: the expected headers, and a second sheet explaining each column
    (for `by`: rights.Forbidden when that user's role may not import)."""
    if by is not None:
        rights.require(by, "import_sites")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "站点"
    ws.append(list(IMPORT_HEADERS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (28, 8, 14, 36, 12, 12, 10, 14)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "说明"])
    for row in IMPORT_NOTES:
        notes.append(list(row))
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 70
    wb.save(out)


def read_bytes(stream: IO[bytes], limit: int) -> bytes:
    """An upload's bytes, refusing more than `limit`."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ImportRefused([ImportProblem(0, "文件", "", f"文件超过 {limit // (1024 * 1024)} MB")])
    return data
