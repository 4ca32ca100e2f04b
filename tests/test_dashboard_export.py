"""The streamed Excel export: the subsidy its decision pays (issue 13), measured values beside
pass/fail (issue 16), an autofilter, no cell that runs as a formula."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from .test_dashboard import SCRIPT, county  # noqa: F401 - the fixture


def _sheet(client):
    r = client.get("/dashboard/export.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    header = [c.value for c in ws[1]]
    rows = {row[2]: dict(zip(header, row)) for row in ws.iter_rows(min_row=2, values_only=True)}
    return ws, header, rows


def test_export_carries_the_subsidy_measured_values_and_an_autofilter(client, db, login_as, county):  # noqa: F811
    i2 = county["i2"]
    i2.subsidy = 0  # a decision that pays nothing
    db.add(i2)
    first = county["sites"][0]
    from sqlmodel import select

    from inspector.models import Inspection
    i1 = db.exec(select(Inspection).where(Inspection.site_id == first.id)).first()
    i1.subsidy = 200000
    db.add(i1)
    db.commit()
    login_as(county["users"]["county"])
    ws, header, rows = _sheet(client)
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}{len(rows) + 1}"
    assert rows["张庄村党群服务中心"]["奖补金额（元）"] == 200000 and rows["张庄村党群服务中心"]["拨付"] == "拨付"
    assert rows["龙固村党群服务中心"]["奖补金额（元）"] == 0 and rows["龙固村党群服务中心"]["拨付"] == "不予拨付"
    assert rows["苗洼村党群服务中心"]["奖补金额（元）"] is None  # never inspected: no decision, no money
    area = next(h for h in header if h.startswith("实测：premises-building-area"))
    assert area.endswith("（m²）")
    value = rows["张庄村党群服务中心"][area]
    assert isinstance(value, (int, float)) and value > 0  # the measured number, not only 合格
    assert rows[SCRIPT]["站点名称"] == SCRIPT  # text stays text
