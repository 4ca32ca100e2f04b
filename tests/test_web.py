"""The first web face: home, site list with search (page or htmx fragment), site page, checklist browser."""
import pytest

from inspector import demo

from . import factories


@pytest.fixture
def county(app, db, specs, client):
    """The demo county, with the client signed in as the county organization department."""
    demo.load(session=db, specs=specs)
    db.commit()
    page = client.post("/login", data={"username": "county", "password": demo.DEMO_PASSWORD})
    assert page.status_code == 303


def test_home_shows_counts_in_chinese(client, county):
    page = client.get("/").get_data(as_text=True)
    assert "党群服务中心检查" in page and "<strong>20</strong><span>个站点</span>" in page


def test_site_list_search_and_htmx_fragment(client, county):
    full = client.get("/sites/?q=龙固").get_data(as_text=True)
    assert full.startswith("<!doctype html>") and "龙固村党群服务中心" in full and "共 4 个站点" in full
    fragment = client.get("/sites/?q=龙固村", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="site-results"')
    assert "龙固村党群服务中心" in fragment and "张庄村" not in fragment and "共 1 个站点" in fragment


def test_search_with_no_match_says_so(client, county):
    assert "没有找到站点" in client.get("/sites/?q=不存在的村").get_data(as_text=True)


def test_site_page_shows_region_chain_and_inspections(client, db, county):
    from sqlmodel import select
    from inspector.models import Site
    site = db.exec(select(Site).where(Site.name == "汉源社区党群服务中心")).one()
    page = client.get(f"/sites/{site.id}").get_data(as_text=True)
    assert "徐州市" in page and "沛县" in page and "沛城街道" in page
    assert "竣工验收" in page and "自评" in page and "申报等级" in page


@pytest.mark.parametrize("url", ["/sites/999999", "/checklists/nope", "/nope"])
def test_unknown_ids_answer_404_with_a_reason(client, county, url):
    r = client.get(url)
    assert r.status_code == 404 and "找不到页面" in r.get_data(as_text=True)


def test_checklist_browser_lists_every_checklist(client):
    page = client.get("/checklists/").get_data(as_text=True)
    for title in ("十二个一", "红色地标", "微实事", "6+N", "台账"):
        assert title in page, title


def test_checklist_detail_shows_rules_by_tier_and_sources(client):
    demo_page = client.get("/checklists/build-standard?tier=demo&type=village").get_data(as_text=True)
    std_page = client.get("/checklists/build-standard?tier=standard&type=village").get_data(as_text=True)
    assert "≥ 600 m²" in demo_page and "≥ 400 m²" in std_page
    # sources by the document's title and clause (issue 16); the record opens on a tap, no seed file name
    assert "《振兴重点村党群服务中心建设项目实施方案》附件1 第1项" in std_page and ".txt" not in std_page
    assert '<details class="source cite">' in std_page and "收于《党群服务中心建设标准（六篇汇编）》" in std_page
    assert "否决项" in std_page and "1,000,000 元" in std_page
    assert "施工方负责人" in std_page  # the signature rule


def test_red_landmark_shows_gates_and_rates(client):
    page = client.get("/checklists/red-landmark").get_data(as_text=True)
    assert "前置条件" in page and "比例 ≥ 90%" in page


def test_checklist_detail_refuses_a_forged_tier(client):
    r = client.get("/checklists/build-standard?tier=gold")
    assert r.status_code == 400 and "等级无效" in r.get_data(as_text=True)


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"ok": True}


def test_json_clients_get_json_errors(client, county):
    r = client.get("/sites/999999", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.get_json()["reason"] == "没有这个站点"


def test_site_with_no_position_says_so(client, db, login_as):
    c = factories.county(db)
    site = factories.site(db, c["village_a"], lat=None, lon=None)
    who = factories.user(db, c["county"])
    db.commit()
    login_as(who)
    assert "未登记" in client.get(f"/sites/{site.id}").get_data(as_text=True)


def test_no_page_a_person_reads_shows_a_seed_file_name(app, client, db, specs, county):
    """Sources read as 《title》clause everywhere in the app (issue 16), not as 002_a83f….txt."""
    import re
    from datetime import date
    from pathlib import Path

    from sqlmodel import select

    from inspector.demo import county as demo_county
    from inspector.models import Inspection, MicroProject
    from inspector.services import workcalendar
    demo_county.load_programs(session=db, specs=specs, calendar=workcalendar.calendar(session=db),
                              today=date(2026, 12, 1), media_root=Path(app.config["MEDIA_DIR"]))
    db.commit()
    urls = ["/", "/sites/", "/checklists/", "/micro/", "/micro/programs", "/landmark/", "/dashboard/"]
    urls += [f"/checklists/{cid}" for cid in specs]
    for ins in db.exec(select(Inspection)).all():
        urls += [f"/inspections/{ins.id}", f"/inspections/{ins.id}/summary", f"/inspections/{ins.id}/review"]
    urls += [f"/micro/{p.id}" for p in db.exec(select(MicroProject)).all()]
    file_name = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")
    for url in urls:
        r = client.get(url)
        assert r.status_code in (200, 403, 404), (url, r.status_code)
        found = file_name.findall(r.get_data(as_text=True))
        assert not found, (url, found[:3])
