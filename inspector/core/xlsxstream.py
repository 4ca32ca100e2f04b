"""A one-sheet .xlsx written as it streams, in constant memory and fast.

Rows go straight into the deflated sheet part of the zip; strings are inline (`t="inlineStr"`),
so nothing grows with the number of distinct strings (openpyxl's shared-strings table keeps every
one in memory, and xlsxwriter's constant-memory mode writes about 15,000 cells/s here: an export
of 200,000 sites is 14 million cells). The workbook part is written last, when the row count is
known, with the autofilter's range. Numbers stay numbers; None is an empty cell; text is escaped
(and made safe from formulas by the caller, core/spreadsheet.py).

Only what the exports need: one sheet, a bold wrapped header row, column widths, a frozen
first row, an autofilter.
"""
from __future__ import annotations

import re
import zipfile
from functools import lru_cache
from typing import IO, Any, Iterable
from xml.sax.saxutils import escape

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet {_NS}><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment wrapText="1" vertical="top"/></xf></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def column_letter(n: int) -> str:
    """The letters of the n-th column (1 → A, 27 → AA)."""
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


@lru_cache(maxsize=8192)  # the words that repeat (合格, 不适用, township names): rendered once; bounded
def _text(value: str, style: str = "") -> str:
    text = _CONTROL.sub("", escape(value))
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c t="inlineStr"{style}><is><t{space}>{text}</t></is></c>'


def _cell(value: Any, style: str = "") -> str:
    kind = type(value)
    if kind is str:
        return _text(value, style) if value else "<c/>"
    if value is None:
        return "<c/>"
    if kind is bool:
        return f'<c t="b"{style}><v>{int(value)}</v></c>'
    if kind is int or kind is float:
        return f"<c{style}><v>{value!r}</v></c>"
    return _text(str(value), style)


class SheetWriter:
    """Write rows of one sheet to `out` (a path or a binary file), then close()."""

    def __init__(self, out: str | IO[bytes], *, title: str, header: list[str], widths: Iterable[float]):
        self.title = title
        self.columns = len(header)
        self.rows = 0
        self._zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
        self._put('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  f'<worksheet {_NS} xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0">'
                  '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                  '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                  f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>')
        self._put('<row r="1">' + "".join(_cell(h, ' s="1"') for h in header) + "</row>")
        self.rows = 1

    def _put(self, text: str) -> None:
        self._sheet.write(text.encode("utf-8"))

    def append(self, values: Iterable[Any]) -> None:
        """One row, cells in column order (None for an empty cell)."""
        self.rows += 1
        self._put(f'<row r="{self.rows}">' + "".join(map(_cell, values)) + "</row>")

    def close(self) -> None:
        """End the sheet (with its autofilter) and write the workbook parts."""
        ref = f"A1:{column_letter(self.columns)}{max(self.rows, 2)}"
        self._put(f'</sheetData><autoFilter ref="{ref}"/></worksheet>')
        self._sheet.close()
        absolute = f"'{self.title}'!$A$1:${column_letter(self.columns)}${max(self.rows, 2)}"
        self._zip.writestr("[Content_Types].xml", CONTENT_TYPES)
        self._zip.writestr("_rels/.rels", ROOT_RELS)
        self._zip.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        self._zip.writestr("xl/styles.xml", STYLES)
        self._zip.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook {_NS} xmlns:r="{_REL}"><sheets><sheet name="{escape(self.title)}" sheetId="1" r:id="rId1"/>'
            f'</sheets><definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
            f'{escape(absolute)}</definedName></definedNames></workbook>'))
        self._zip.close()
