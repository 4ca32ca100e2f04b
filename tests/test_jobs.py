"""Background jobs: export, import, batch issuing and notice PDFs as jobs with pages; rights and
regions; retries; idempotent runs; a real RQ worker killed in the middle of a job."""
from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from inspector.jobs import service
from inspector.models import Job, Report, Site, User
from inspector.services import dashboard, inspections, regions

from . import factories

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def area(app, db, specs):
    """A county with two townships; three submitted inspections in 龙固镇 failing two documents each."""
    c = factories.county(db)
    spec = specs["build-standard"]
    inspector = factories.user(db, c["county"], username="insp", role="inspector")
    docs = [i.id for i in spec.items() if i.kind == "document"][:2]
    sites, inspected = [], []
    for n in range(3):
        site = factories.site(db, c["village_a"], name=f"张庄{n}号党群服务中心")
        ins = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=inspector)
        for item in spec.items():
            if not item.applies("standard", "village"):
                continue
            rule = item.rule_for("standard", "village")
            value = {"check": "pass", "document": "missing" if item.id in docs else "present",
                     "choice": item.options[0].value if item.options else None,
                     "count": int(rule.threshold) + 10 if rule else 1,
                     "measure": rule.threshold + 20 if rule else 1}.get(item.kind)
            inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw=value, note=None, by=inspector)
        inspections.submit(session=db, inspection=ins, by=inspector)
        sites.append(site)
        inspected.append(ins)
    factories.site(db, c["village_b"], name="吴庄社区党群服务中心", site_type="community")
    people = {"county": factories.user(db, c["county"], username="county1", role="county_reviewer"),
              "county2": factories.user(db, c["county"], username="county2", role="county_reviewer"),
              "town_a": factories.user(db, c["town_a"], username="town-a", role="township"),
              "town_b": factories.user(db, c["town_b"], username="town-b", role="township"),
              "village": factories.user(db, c["village_a"], username="v-a", role="village"),
              "inspector": inspector}
    db.commit()
    return {"c": c, "sites": sites, "inspections": inspected, "users": people}


def job_of(response) -> str:
    """The public id of the job a start route redirected to."""
    assert response.status_code == 303, response.get_data(as_text=True)
    return re.search(r"/jobs/([\w-]+)$", response.headers["Location"]).group(1)


def fetch(client, url: str):
    """GET a URL and close the response (a result is sent as a file)."""
    r = client.get(url)
    r.data
    r.close()
    return r


def wait(client, public_id: str, timeout: float = 120) -> str:
    """Poll the job's status partial (as the page's htmx does) until it stops; its last HTML."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/jobs/{public_id}/status", headers={"HX-Request": "true"})
        html = r.get_data(as_text=True)
        if 'data-status="done"' in html or 'data-status="failed"' in html:
            return html
        time.sleep(0.2)
    raise AssertionError(f"job {public_id} still running: {html}")


def test_export_runs_as_a_job_and_its_workbook_downloads(app, client, db, login_as, area):
    login_as(area["users"]["county"])
    page = client.get("/dashboard/").get_data(as_text=True)
    assert 'action="/jobs/export"' in page and "导出 Excel" in page
    public_id = job_of(client.post("/jobs/export", data={"checklist": "build-standard"}))
    show = client.get(f"/jobs/{public_id}").get_data(as_text=True)
    assert "导出 Excel" in show and "<progress" in show
    html = wait(client, public_id)
    assert 'data-status="done"' in html and "已导出 4 个站点" in html and "hx-trigger" not in html
    r = fetch(client, f"/jobs/{public_id}/result")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet") and "attachment" in r.headers[
        "Content-Disposition"]
    names = sorted(row[2] for row in load_workbook(io.BytesIO(r.data)).active.iter_rows(min_row=2, values_only=True))
    assert names == sorted(s.name for s in db.exec(select(Site)))
    job = db.exec(select(Job).where(Job.public_id == public_id)).one()
    assert job.result_path.startswith("jobs/exports/") and (Path(app.config["MEDIA_DIR"]) / job.result_path).is_file()


def test_a_running_page_polls_and_carries_no_inline_script_or_style(app, client, db, login_as, area):
    login_as(area["users"]["county"])
    job, _ = service.create(session=db, kind_id="export", params={}, by=area["users"]["county"],
                            region=area["c"]["county"])
    db.commit()  # queued, not handed to a worker: the page shows it waiting
    page = client.get(f"/jobs/{job.public_id}").get_data(as_text=True)
    assert f'hx-get="/jobs/{job.public_id}/status"' in page and 'hx-trigger="every 1s"' in page
    assert "排队中" in page and 'value="0"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page) and " style=" not in page and "<style" not in page
    assert fetch(client, f"/jobs/{job.public_id}/result").status_code == 404


def test_asking_twice_reuses_the_live_job(app, client, db, login_as, area):
    login_as(area["users"]["county"])
    first, created = service.create(session=db, kind_id="export", params={"filters": {}}, by=area["users"]["county"],
                                    region=area["c"]["county"])
    again, created_again = service.create(session=db, kind_id="export", params={"filters": {}},
                                          by=area["users"]["county"], region=area["c"]["county"])
    assert created and not created_again and again.id == first.id


def test_a_job_is_seen_only_in_its_region_and_by_roles_that_may(app, client, db, login_as, area):
    login_as(area["users"]["town_a"])
    public_id = job_of(client.post("/jobs/export", data={}))
    wait(client, public_id)
    assert fetch(client, f"/jobs/{public_id}/result").status_code == 200
    for who, code in (("county2", 200), ("town_b", 404), ("village", 404)):
        client.post("/logout")
        login_as(area["users"][who])
        assert client.get(f"/jobs/{public_id}").status_code == code, who
        assert fetch(client, f"/jobs/{public_id}/result").status_code == code, who
    client.post("/logout")
    login_as(area["users"]["inspector"])  # in the county, but inspectors may not export: 403 with the reason
    r = fetch(client, f"/jobs/{public_id}/result")
    assert r.status_code == 403 and "导出数据" in r.get_data(as_text=True)


def test_a_bad_import_fails_in_chinese_with_every_row_and_stores_nothing(app, client, db, login_as, area):
    login_as(area["users"]["county"])
    assert 'action="/jobs/import"' in client.get("/dashboard/import").get_data(as_text=True)
    data = "名称,类型,乡镇（街道）\n新庄村党群服务中心,村,不存在镇\n,村,龙固镇\n".encode()
    public_id = job_of(client.post("/jobs/import", data={"file": (io.BytesIO(data), "s.csv")},
                                   content_type="multipart/form-data"))
    html = wait(client, public_id)
    assert 'data-status="failed"' in html and "一个站点也没有导入" in html and "找不到乡镇" in html
    assert "<td>2</td>" in html and "<td>3</td>" in html  # the file's lines
    assert db.exec(select(Site).where(Site.name == "新庄村党群服务中心")).first() is None
    job = db.exec(select(Job).where(Job.public_id == public_id)).one()
    assert job.attempts == 1  # a refused file is not retried


def test_a_good_import_creates_the_sites_once(app, client, db, login_as, area):
    login_as(area["users"]["county"])
    data = "名称,类型,乡镇（街道）\n新庄村党群服务中心,村,龙固镇\n".encode()
    public_id = job_of(client.post("/jobs/import", data={"file": (io.BytesIO(data), "s.csv")},
                                   content_type="multipart/form-data"))
    html = wait(client, public_id)
    assert "已导入 1 个站点" in html
    assert len(db.exec(select(Site).where(Site.name == "新庄村党群服务中心")).all()) == 1
    job = db.exec(select(Job).where(Job.public_id == public_id)).one()
    assert service.perform(app, job.id, lambda _i: None) == "skipped"  # delivered twice: nothing more happens
    assert len(db.exec(select(Site).where(Site.name == "新庄村党群服务中心")).all()) == 1


def test_an_import_without_a_file_is_a_422_in_chinese(client, login_as, area):
    login_as(area["users"]["county"])
    r = client.post("/jobs/import", data={})
    assert r.status_code == 422 and "请选择要上传的文件" in r.get_data(as_text=True)


def test_a_township_issues_many_notices_in_one_job_and_again_changes_nothing(app, client, db, login_as, area):
    login_as(area["users"]["town_a"])
    page = client.get("/jobs/batch-issue?kind=rectification").get_data(as_text=True)
    for site in area["sites"]:
        assert site.name in page
    assert "吴庄社区" not in page  # another township
    ids = [i.id for i in area["inspections"]]
    form = {"kind": "rectification", "inspection": [str(i) for i in ids], "deadline_days": "20"}
    public_id = job_of(client.post("/jobs/batch-issue", data=form))
    html = wait(client, public_id, timeout=300)
    assert 'data-status="done"' in html and "已签发 3 份整改通知书" in html
    reports_ = db.exec(select(Report).where(Report.kind == "rectification")).all()
    assert sorted(r.inspection_id for r in reports_) == ids and {r.version for r in reports_} == {1}
    archive = zipfile.ZipFile(io.BytesIO(fetch(client, f"/jobs/{public_id}/result").data))
    assert len(archive.namelist()) == 3 and all(archive.read(n).startswith(b"%PDF") for n in archive.namelist())
    again = job_of(client.post("/jobs/batch-issue", data=form))
    assert again != public_id  # the first is over: a new job, which issues nothing new
    wait(client, again, timeout=300)
    assert len(db.exec(select(Report).where(Report.kind == "rectification")).all()) == 3


def test_batch_issue_refuses_an_empty_choice_and_other_townships(client, login_as, area):
    login_as(area["users"]["town_b"])
    r = client.post("/jobs/batch-issue", data={"kind": "rectification",
                                                "inspection": [str(i.id) for i in area["inspections"]]})
    assert r.status_code == 422 and "请至少选择一次检查" in r.get_data(as_text=True)  # not theirs: dropped
    client.post("/logout")
    login_as(area["users"]["village"])
    assert client.get("/jobs/batch-issue").status_code == 403


def test_a_transient_error_is_retried_and_the_job_completes(app, client, db, login_as, area, monkeypatch):
    real, calls = dashboard.export_xlsx, []

    def flaky(**kw):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk briefly unavailable")
        return real(**kw)
    monkeypatch.setattr(dashboard, "export_xlsx", flaky)
    login_as(area["users"]["county"])
    public_id = job_of(client.post("/jobs/export", data={}))
    html = wait(client, public_id)
    assert 'data-status="done"' in html and "第 2 次尝试" in html and len(calls) == 2


def test_a_job_failing_every_attempt_says_so_in_chinese(app, client, db, login_as, area, monkeypatch):
    def broken(**kw):
        raise OSError("disk gone")
    monkeypatch.setattr(dashboard, "export_xlsx", broken)
    login_as(area["users"]["county"])
    public_id = job_of(client.post("/jobs/export", data={}))
    html = wait(client, public_id)
    assert 'data-status="failed"' in html and "已尝试 3 次仍未完成" in html and "请稍后重新发起" in html


def test_a_silent_running_job_is_queued_again_then_failed_after_its_last_attempt(app, db, area):
    app.config["JOBS_STALE_S"] = 1
    job, _ = service.create(session=db, kind_id="export", params={}, by=area["users"]["county"],
                            region=area["c"]["county"])
    db.commit()
    assert service.claim(app.extensions["engine"], job.id) == 1  # a worker took it, then died
    time.sleep(1.2)
    queued = []
    assert service.recover(app, queued.append) == [job.id] == queued
    db.refresh(job)
    assert job.status == "queued" and "意外中断" in job.error
    for attempt in (2, 3):
        assert service.claim(app.extensions["engine"], job.id) == attempt
        time.sleep(1.2)
        service.recover(app, queued.append)
    db.refresh(job)
    assert job.status == "failed" and "已尝试 3 次仍未完成" in job.error and job.finished_at is not None


# ---------------------------------------------------------------- a real worker on Redis

def _redis_or_skip():
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except RedisDown as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"Redis unreachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {exc}")


def _worker(app, queue_name: str) -> subprocess.Popen:
    """`python -m inspector.jobs.worker` as its own process group, on the test's database and media."""
    env = dict(os.environ, DATABASE_URL=app.config["DATABASE_URL"], MEDIA_DIR=app.config["MEDIA_DIR"],
               REDIS_URL=REDIS_URL, JOBS_QUEUE=queue_name, SECRET_KEY="test", JOBS_STALE_S="10",
               JOBS_HEARTBEAT_S="0.5")
    return subprocess.Popen([sys.executable, "-m", "inspector.jobs.worker"], cwd=ROOT, env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _tree(pid: int) -> list[int]:
    """A process and all its descendants (RQ's work horse runs in a session of its own)."""
    out = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for child in children:
        out += _tree(int(child))
    return out


def _kill(proc: subprocess.Popen) -> None:
    """SIGKILL the worker and its work horse, as when the machine dies: no chance to clean up."""
    for pid in reversed(_tree(proc.pid)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(10)


def test_a_worker_killed_mid_job_leaves_a_job_that_is_retried_not_stuck(app, client, db, login_as, area):
    _redis_or_skip()
    name = f"test-{uuid.uuid4().hex[:8]}"
    # stale after 10 s: longer than SQLite's write lock held while a notice renders (a heartbeat waits on it)
    app.config.update(REDIS_URL=REDIS_URL, JOBS_QUEUE=name, JOBS_STALE_S=10)
    login_as(area["users"]["town_a"])
    ids = [str(i.id) for i in area["inspections"]]
    first = _worker(app, name)
    try:
        public_id = job_of(client.post("/jobs/batch-issue", data={"kind": "rectification", "inspection": ids}))
        job = db.exec(select(Job).where(Job.public_id == public_id)).one()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until the worker is in the middle: one notice issued of three
            db.refresh(job)
            if job.status == "running" and job.done >= 1:
                break
            time.sleep(0.05)
        assert job.status == "running" and job.done >= 1, (job.status, job.stage)
    finally:
        _kill(first)
    db.refresh(job)
    assert job.status == "running"  # what a dead worker leaves behind …
    second = _worker(app, name)
    try:
        html = wait(client, public_id, timeout=240)  # … is noticed (silent heartbeat) and run again
    finally:
        _kill(second)
    db.refresh(job)
    assert job.status == "done" and job.attempts == 2 and "已签发 3 份" in html
    reports_ = db.exec(select(Report).where(Report.kind == "rectification")).all()
    assert sorted(r.inspection_id for r in reports_) == sorted(int(i) for i in ids)  # none twice
    assert {r.version for r in reports_} == {1}
    from redis import Redis
    Redis.from_url(REDIS_URL).delete(f"rq:queue:{name}")


def test_a_notice_pdf_runs_as_a_job_for_its_region_only(app, client, db, login_as):
    from .test_notices import posted as make_notice  # the notice fixture's body, called directly
    notice, _content, _photos = make_notice.__wrapped__(app, db)
    poster = db.exec(select(User).where(User.username == "poster")).one()
    stranger_region = regions.add_region(session=db, name="宿迁市", level="city", code="T9")
    stranger = factories.user(db, stranger_region, username="far-away", role="city_reviewer")
    db.commit()
    login_as(stranger)
    assert client.post(f"/jobs/notice/{notice.public_id}").status_code == 404
    client.post("/logout")
    login_as(poster)
    public_id = job_of(client.post(f"/jobs/notice/{notice.public_id}"))
    html = wait(client, public_id, timeout=120)
    assert 'data-status="done"' in html
    r = fetch(client, f"/jobs/{public_id}/result")
    assert r.status_code == 200 and r.data.startswith(b"%PDF") and r.mimetype == "application/pdf"


def test_the_notice_page_offers_the_pdf_job_to_who_may_issue_it(app, client, db, login_as):
    from .test_notices import posted as make_notice
    notice, _content, _photos = make_notice.__wrapped__(app, db)
    poster = db.exec(select(User).where(User.username == "poster")).one()
    with app.test_request_context():
        from flask import url_for
        page_url = url_for("notices.public", public_id=notice.public_id)
    assert "data-notice-job" not in client.get(page_url).get_data(as_text=True)  # the public: the PDF link only
    login_as(poster)
    page = client.get(page_url).get_data(as_text=True)
    assert "data-notice-job" in page and f'action="/jobs/notice/{notice.public_id}"' in page


def test_a_member_list_imports_as_a_job_all_rows_or_none(app, client, db, login_as):
    from .test_ledger import HEADER, xlsx
    from .test_ledger import world as make_world
    from sqlmodel import func

    from inspector.models import LedgerMember
    world = make_world.__wrapped__(app, db)
    login_as(world["county"])
    page = client.get("/ledger/import").get_data(as_text=True)
    assert 'action="/jobs/import-members"' in page  # the form starts the job
    bad = xlsx([HEADER, ["李二", "沛县教育局", "", "否", "不存在社区", "13905160012", "", ""]])
    html = wait(client, job_of(client.post("/jobs/import-members", data={"file": (io.BytesIO(bad), "list.xlsx")},
                                           content_type="multipart/form-data")))
    assert 'data-status="failed"' in html and "一人也没有导入" in html and "不是本辖区的社区" in html
    assert db.exec(select(func.count()).select_from(LedgerMember)).one() == 0
    good = xlsx([HEADER, ["张一", "沛县教育局", "教育局机关党委", "是", "吴庄社区党群服务中心", "13905160011",
                          "2026-05-01", "文明劝导"]])
    html = wait(client, job_of(client.post("/jobs/import-members", data={"file": (io.BytesIO(good), "list.xlsx")},
                                           content_type="multipart/form-data")))
    assert 'data-status="done"' in html and "已导入 1 人" in html and "张一（沛县教育局）→ 吴庄社区党群服务中心" in html
    db.expire_all()
    assert db.exec(select(func.count()).select_from(LedgerMember)).one() == 1
