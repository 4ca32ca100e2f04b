"""Regional scoping: a township user never sees, changes or downloads another township's records."""
import io
from pathlib import Path

import pytest
from sqlmodel import select

from inspector.core.geo import Position
from inspector.models import Photo, Report
from inspector.services import evidence, inspections

from . import factories, samples


@pytest.fixture
def two_towns(app, db, specs):
    """Township B's site with an inspection, a photo and an issued report; a user of township A."""
    c = factories.county(db)
    own = factories.site(db, c["village_a"], name="张庄村党群服务中心")
    other = factories.site(db, c["village_b"], name="吴庄社区党群服务中心", site_type="community")
    town_a = factories.user(db, c["town_a"], username="town-a", role="inspector")
    town_b = factories.user(db, c["town_b"], username="town-b", role="inspector")
    ins = inspections.start(session=db, site=other, spec=specs["build-standard"], purpose="completion_acceptance",
                            tier="standard", by=town_b)
    photo, _ = evidence.attach_photo(session=db, inspection=ins, item_id="premises-exists", data=samples.jpeg(),
                                     device=Position(34.6, 116.9, 5), by=town_b,
                                     media_root=Path(app.config["MEDIA_DIR"]), accuracy_limit_m=100)
    ins.status = "submitted"
    db.commit()
    return {"own": own, "other": other, "ins": ins, "photo": photo, "town_a": town_a, "town_b": town_b}


def _issue(app, client, login_as, t):
    """Township B issues a report (so there is a PDF to try to reach)."""
    login_as(t["town_b"])
    assert client.post(f"/inspections/{t['ins'].id}/reports/acceptance").status_code == 303
    client.post("/logout")


ROUTES = [
    ("get", "/sites/{site}"), ("get", "/sites/{site}/location"), ("post", "/sites/{site}/location"),
    ("get", "/sites/{site}/inspections/new"), ("post", "/sites/{site}/inspections"),
    ("get", "/inspections/{ins}"), ("get", "/inspections/{ins}/summary"),
    ("get", "/inspections/{ins}/items/premises-exists"), ("post", "/inspections/{ins}/items/premises-exists"),
    ("post", "/inspections/{ins}/items/premises-exists/photos"), ("post", "/inspections/{ins}/submit"),
    ("get", "/inspections/{ins}/reports"), ("get", "/inspections/{ins}/reports/acceptance"),
    ("post", "/inspections/{ins}/reports/acceptance"), ("get", "/reports/{report}.pdf"),
    ("get", "/media/{thumb}"), ("get", "/media/{original}"), ("get", "/media/{pdf}"),
]


@pytest.mark.parametrize("method, url", ROUTES)
def test_another_townships_records_answer_404(app, client, db, login_as, two_towns, method, url):
    t = two_towns
    _issue(app, client, login_as, t)
    report = db.exec(select(Report)).one()
    login_as(t["town_a"])
    target = url.format(site=t["other"].id, ins=t["ins"].id, report=report.public_id, thumb=t["photo"].thumb,
                        original=t["photo"].original, pdf=report.path)
    data = {"photos": (io.BytesIO(samples.jpeg()), "x.jpg")} if url.endswith("/photos") else {"value": "pass", "base_version": "0"}
    response = getattr(client, method)(target, data=data if method == "post" else None)
    assert response.status_code == 404, (method, target, response.status_code)
    assert db.exec(select(Photo)).all() == [t["photo"]]  # nothing was added
    assert len(db.exec(select(Report)).all()) == 1


def test_the_same_routes_work_for_the_owning_township(app, client, db, login_as, two_towns):
    t = two_towns
    _issue(app, client, login_as, t)
    report = db.exec(select(Report)).one()
    login_as(t["town_b"])
    for url in (f"/sites/{t['other'].id}", f"/inspections/{t['ins'].id}", f"/inspections/{t['ins'].id}/reports",
                f"/media/{t['photo'].thumb}", f"/reports/{report.public_id}.pdf", f"/media/{report.path}"):
        with client.get(url) as response:
            assert response.status_code == 200, url


def test_site_list_and_home_show_only_the_users_region(client, db, login_as, two_towns):
    login_as(two_towns["town_a"])
    page = client.get("/sites/").get_data(as_text=True)
    assert "张庄村党群服务中心" in page and "吴庄社区党群服务中心" not in page and "共 1 个站点" in page
    assert "<strong>1</strong><span>个站点</span>" in client.get("/").get_data(as_text=True)


def test_the_county_sees_both_townships(client, db, login_as, two_towns):
    from inspector.services import regions
    county = factories.user(db, regions.by_code(session=db, code="T320322"), username="county-1",
                            role="county_reviewer")
    db.commit()
    login_as(county)
    page = client.get("/sites/").get_data(as_text=True)
    assert "张庄村党群服务中心" in page and "吴庄社区党群服务中心" in page
