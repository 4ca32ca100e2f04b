"""The server side of the offline phone: hashed static URLs, the service worker at /sw.js, each
item's rule as data for the phone's judgement, and an answer's capture time with its late flag."""
from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta, timezone

from sqlmodel import select

from inspector.models import Answer

from .test_field import field, item_url, start  # noqa: F401 - the fixture is used by name

CHINA = timezone(timedelta(hours=8))


def test_static_files_have_content_hashed_immutable_urls(client, field):  # noqa: F811
    ins_id = start(client, field)
    page = client.get(f"/inspections/{ins_id}?open=all").get_data(as_text=True)
    css = re.search(r'href="(/static/app\.css\?v=([0-9a-f]{12}))"', page)
    assert css and re.search(r'src="/static/bundle/walk\.js\?v=[0-9a-f]{12}"', page)
    r = client.get(css.group(1))
    r.close()
    assert r.status_code == 200 and r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = client.get("/static/app.css?v=000000000000")  # an old hash: served, but not promised forever
    stale.close()
    assert "immutable" not in stale.headers.get("Cache-Control", "")


def test_service_worker_is_served_at_the_root_with_its_shell(app, client):
    r = client.get("/sw.js")
    assert r.status_code == 200 and r.mimetype == "application/javascript"
    assert r.headers["Service-Worker-Allowed"] == "/"
    shell = json.loads(re.match(r"self\.SHELL = (\{.*?\});\n", r.get_data(as_text=True)).group(1))
    assert any(u.startswith("/static/inspect.js?v=") for u in shell["files"])
    assert any(u.startswith("/static/vendor/htmx.min.js?v=") for u in shell["files"])
    app.config["SW_BUILD"] = "next"  # a new deploy: a new worker version, so browsers install it
    again = json.loads(re.match(r"self\.SHELL = (\{.*?\});\n", client.get("/sw.js").get_data(as_text=True)).group(1))
    assert again["version"] != shell["version"] and again["files"] == shell["files"]


def test_items_carry_their_rule_for_the_phone(client, field):  # noqa: F811
    ins_id = start(client, field)
    page = client.get(f"/inspections/{ins_id}?open=all").get_data(as_text=True)
    area = re.search(r'<article id="item-premises-building-area"[^>]*>', page).group(0)
    assert 'data-kind="measure"' in area and 'data-unit="m²"' in area
    rule = json.loads(html.unescape(re.search(r'data-rule="([^"]*)"', area).group(1)))
    assert rule["op"] == ">=" and rule["t"] == 400 and rule["words"] == "≥ 400 m²"
    assert 'data-pass="pass"' in re.search(r'<article id="item-premises-exists"[^>]*>', page).group(0)
    assert re.search(r'id="progress" class="progress" data-earned="0" data-possible="\d+"', page)


def _save(client, ins_id, item_id, value, **extra):
    return client.post(item_url(ins_id, item_id), data={"value": value, "base_version": 0, "client_id": "c-" + value,
                                                        **extra}, headers={"HX-Request": "true"})


def test_an_answer_captured_offline_hours_ago_says_it_came_late(client, db, field):  # noqa: F811
    ins_id = start(client, field)
    taken = (datetime.now(CHINA) - timedelta(hours=3, minutes=10)).replace(microsecond=0)
    r = _save(client, ins_id, "premises-exists", "pass", captured_at=taken.isoformat())
    assert r.status_code == 200
    assert "离线采集，上传晚 3 小时" in r.get_data(as_text=True)
    row = db.exec(select(Answer).where(Answer.inspection_id == ins_id)).one()
    assert row.captured_at.astimezone(CHINA) == taken
    assert "离线采集，上传晚 3 小时" in client.get(f"/inspections/{ins_id}?open=all").get_data(as_text=True)


def test_an_answer_sent_at_once_has_no_late_flag_and_a_bad_time_is_refused(client, db, field):  # noqa: F811
    ins_id = start(client, field)
    r = _save(client, ins_id, "premises-exists", "pass", captured_at=datetime.now(CHINA).isoformat())
    assert r.status_code == 200 and "离线采集" not in r.get_data(as_text=True)
    bad = _save(client, ins_id, "premises-name-sign", "pass", captured_at="yesterday")
    assert bad.status_code == 400 and "captured_at" in bad.get_data(as_text=True)
    naive = _save(client, ins_id, "premises-name-sign", "pass", captured_at="2026-05-01T09:30:00")
    assert naive.status_code == 400 and "时区" in naive.get_data(as_text=True)
    assert [a.item_id for a in db.exec(select(Answer).where(Answer.inspection_id == ins_id)).all()] == ["premises-exists"]
