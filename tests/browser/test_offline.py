"""Offline in the field: the page reopens without a link, answers and photos wait in the phone's
outbox (IndexedDB) through a reload, a browser restart and a service-worker update, and reach the
server once, in order, when the link returns (docs/offline.md).

The "network" is cut for real: the app's server is stopped (and the context set offline), so the
service worker's own requests fail too. Contexts are persistent (a profile directory), so what the
browser stores outlives the page and the browser."""
from __future__ import annotations

import io
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select
from werkzeug.serving import make_server

from inspector.models import Answer, Photo
from inspector.services import inspections

from .. import factories, samples
from .conftest import CHROMIUM, OPEN_ALL, PHONE

pytestmark = pytest.mark.browser
SITE = (34.870000, 116.860000)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHINA = timezone(timedelta(hours=8))


class Server:
    """The app on one fixed port that can be stopped (no network) and started again; POSTs can be
    refused with 503 (a server that is there but cannot take saves yet)."""

    def __init__(self, app):
        self.app, self.refuse_posts, self.server, self.port = app, False, None, 0

    def wsgi(self, environ, start_response):
        if self.refuse_posts and environ["REQUEST_METHOD"] == "POST":
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"busy"]
        return self.app(environ, start_response)

    def start(self):
        self.server = make_server("127.0.0.1", self.port, self.wsgi, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def server(app):
    s = Server(app)
    s.start()
    yield s
    if s.server is not None:
        try:
            s.stop()
        except Exception:  # noqa: BLE001 - already stopped
            pass


@pytest.fixture
def field(db, app):
    c = factories.county(db)
    site = factories.site(db, c["village_a"], lat=SITE[0], lon=SITE[1])
    a = factories.user(db, c["county"], username="wangfang")
    b = factories.user(db, c["county"], username="lijun")
    db.commit()
    spec = app.extensions["checklists"]["build-standard"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier="standard", by=a)
    db.commit()
    return site, a, b, ins.id


def launch(browser, server, profile, *, no_service_worker=False, open_all=True):
    """A persistent phone context (its storage lives in `profile`) with geolocation at the site."""
    ctx = browser.browser_type.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=ARGS, base_url=server.url, **PHONE)
    # background-sync as a phone's Chrome has it by default (granting only geolocation denies it)
    ctx.grant_permissions(["geolocation", "background-sync"], origin=server.url)
    if open_all:
        ctx.add_init_script(OPEN_ALL)  # "全部展开", as conftest.signed_in_phone
    ctx.set_geolocation({"latitude": SITE[0], "longitude": SITE[1], "accuracy": 8})
    if no_service_worker:  # as in some in-app browsers
        ctx.add_init_script("delete Navigator.prototype.serviceWorker;")
    return ctx


def page_of(ctx):
    return ctx.pages[0] if ctx.pages else ctx.new_page()


def sign_in(page, user):
    page.goto("/login")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill("correct-horse-1")
    page.get_by_role("button", name="登录").tap()
    expect(page.locator("h1")).to_have_text("党群服务中心检查")


def until(page, check, arg=None, *, seconds=30):
    """Wait until the JS function `check(arg)` gives (or resolves to) a truthy value. page.evaluate
    awaits a promise; page.wait_for_function does not (a predicate returning one passes at once)."""
    end = time.monotonic() + seconds
    while not page.evaluate(check, arg):
        assert time.monotonic() < end, f"still not true after {seconds} s: {check}"
        page.wait_for_timeout(200)


def open_walk(page, ins_id, *, kept=True):
    page.goto(f"/inspections/{ins_id}")
    expect(page.locator("[data-inspection]")).to_be_visible()
    if kept:  # the worker runs and has kept this page
        until(page, """async () => navigator.serviceWorker && navigator.serviceWorker.controller &&
            !!(await caches.open('pages').then(c => c.match(location.href)))""")


def cut(ctx, server):
    server.stop()
    ctx.set_offline(True)


def restore(ctx, server):
    server.start()
    ctx.set_offline(False)


def status(page):
    return page.locator("[data-outbox-status]")


def photo(lat=SITE[0], lon=SITE[1], taken=None, color=(180, 190, 200)):
    taken = taken or datetime.now(CHINA).strftime("%Y:%m:%d %H:%M:%S")
    return samples.jpeg(800, 600, lat=lat, lon=lon, taken=taken, color=color)


def open_all(page):
    """Open every section of a folded walk page (build-standard folds too) and wait for its items."""
    page.evaluate("() => document.querySelectorAll('details.section').forEach(d => { d.open = true; })")
    page.wait_for_function("() => [...document.querySelectorAll('details.section')].every(d => d.hasAttribute('data-loaded'))")


def check_items(page, n):
    open_all(page)
    ids = page.locator("article.item[data-kind=check]").evaluate_all("els => els.map(e => e.dataset.item)")
    return ids[:n]


def answer(page, item_id, label="符合"):
    page.locator(f"#item-{item_id}").get_by_role("radio", name=label, exact=True).tap()


def attach(page, item_id, data, name):
    page.locator(f"#photos-{item_id} input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "image/jpeg", "buffer": data}])


def test_inspection_reopens_offline_from_a_closed_tab(browser, server, field, tmp_path):
    site, a, _b, ins_id = field
    ctx = launch(browser, server, tmp_path / "profile")
    page = page_of(ctx)
    sign_in(page, a)
    open_walk(page, ins_id)
    page.get_by_role("button", name="离线可用").tap()
    expect(page.locator("[data-offline-note]")).to_contain_text("已离线可用")
    cut(ctx, server)
    page.close()
    page = ctx.new_page()
    page.goto(f"/inspections/{ins_id}")
    expect(page.locator("h1")).to_contain_text("村级党群服务中心建设标准")
    expect(page.locator("article.item").first).to_be_visible()
    page.locator(".crumbs a").first.tap()  # the site page was kept by "离线可用"
    expect(page.locator("h1")).to_contain_text(site.name)
    ctx.close()


def test_a_folded_section_never_opened_still_opens_offline(browser, server, app, db, field, tmp_path):
    """Opened once, online, without "离线可用": the sections kept in the background open offline."""
    site, a, _b, _ins_id = field
    spec = app.extensions["checklists"]["function-rooms"]  # 136 items: its sections are folded
    ins_id = inspections.start(session=db, site=site, spec=spec, purpose="inspection", tier=None, by=a).id
    db.commit()
    ctx = launch(browser, server, tmp_path / "profile", open_all=False)
    page = page_of(ctx)
    sign_in(page, a)
    open_walk(page, ins_id)
    last = page.locator("details.section").last
    expect(last).not_to_have_attribute("data-loaded", "")  # folded: its items are not in the page
    url = last.get_attribute("data-section-url")
    until(page, """u => caches.open('pages')
        .then(c => c.match(new URL(u + '?__fragment=1', location.href).href)).then(Boolean)""", url)  # kept in the background
    cut(ctx, server)
    page.reload()
    last.locator("summary").tap()
    expect(last.locator("article.item").first).to_be_visible()
    expect(last.locator(".error")).to_have_count(0)
    ctx.close()


def _capture_offline(page, items, photo_items):
    for it in items:
        answer(page, it)
    for i, it in enumerate(photo_items):
        attach(page, it, photo(color=(100 + 20 * i, 120, 140)), f"IMG_{i}.jpg")
    expect(status(page)).to_have_text(f"待上传 {len(photo_items)} 张照片 · {len(items)} 项（无网络，恢复后自动上传）")


def _offline_then_reload(page, items, photo_items):
    """Capture offline, see the phone's own judgement, reload: everything comes back."""
    _capture_offline(page, items, photo_items)
    first = page.locator(f"#item-{items[0]}")
    expect(first.locator(".result")).to_have_text("符合")
    expect(first.locator("[data-pending]")).to_have_text("待同步")
    expect(page.locator("[data-progress-answered]")).to_contain_text("已查 20/")
    expect(page.locator("[data-progress-answered]")).to_contain_text("待同步")
    expect(page.locator(f"#photos-{items[0]} [data-queued-photo]")).to_have_count(1)
    page.reload()  # offline: the kept page, and the outbox puts everything back
    expect(status(page)).to_contain_text("待上传 5 张照片 · 20 项")
    expect(first.locator("[data-pending]")).to_have_text("待同步")
    expect(first.get_by_role("radio", name="符合", exact=True)).to_be_checked()


def _deploy_new_worker_while_saves_are_refused(page, app, ctx, server, db, ins_id):
    """The link returns but the server refuses saves (503) while a new worker version is deployed."""
    version = page.evaluate("() => caches.keys()")
    app.config["SW_BUILD"] = "second"
    server.refuse_posts = True
    restore(ctx, server)
    page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => r.update())")
    until(page, """old => caches.keys().then(k => k.filter(n => n.startsWith('static-')))
        .then(s => s.length === 1 && !old.includes(s[0]))""", version)  # the old shell is gone
    assert "pages" in page.evaluate("() => caches.keys()")  # the kept inspection pages are not
    page.reload()
    expect(status(page)).to_contain_text("待上传 5 张照片 · 20 项")
    assert db.exec(select(Answer).where(Answer.inspection_id == ins_id)).all() == []


def _assert_all_arrived_once(db, ins_id, items, photo_items):
    db.expire_all()
    answers = db.exec(select(Answer).where(Answer.inspection_id == ins_id)).all()
    assert sorted(x.item_id for x in answers) == sorted(items) and all(x.version == 1 for x in answers)
    assert all(x.captured_at is not None and x.result == "pass" for x in answers)
    photos = db.exec(select(Photo).where(Photo.inspection_id == ins_id)).all()
    assert sorted(p.item_id for p in photos) == sorted(photo_items)  # 5 photos, one per item, none twice
    for p in photos:  # EXIF GPS and time kept; at the site, taken now: no flags
        assert abs(p.exif_lat - SITE[0]) < 1e-4 and abs(p.exif_lon - SITE[1]) < 1e-4
        assert p.exif_time is not None and p.device_lat is not None
        assert not p.flags, p.flags


def test_answers_and_photos_wait_through_reload_restart_and_worker_update(browser, server, app, db, field, tmp_path):
    _site, a, _b, ins_id = field
    profile = tmp_path / "profile"
    ctx = launch(browser, server, profile)
    page = page_of(ctx)
    sign_in(page, a)
    open_walk(page, ins_id)
    page.get_by_role("button", name="定位").tap()
    expect(page.locator("[data-geo-status]")).to_have_text("定位 ±8 米")
    items = check_items(page, 20)
    photo_items = items[:5]
    cut(ctx, server)
    _offline_then_reload(page, items, photo_items)
    ctx.close()

    ctx = launch(browser, server, profile)  # the browser restarts, still without a link
    ctx.set_offline(True)
    page = page_of(ctx)
    page.goto(f"/inspections/{ins_id}")
    expect(status(page)).to_contain_text("待上传 5 张照片 · 20 项")
    _deploy_new_worker_while_saves_are_refused(page, app, ctx, server, db, ins_id)

    server.refuse_posts = False
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(status(page)).to_have_text("全部已上传", timeout=60000)
    expect(page.locator(f"#item-{items[0]} .saved")).to_have_text("已保存 · 第 1 版")
    expect(page.locator(f"#photos-{items[0]} .thumbs img")).to_have_count(1)
    _assert_all_arrived_once(db, ins_id, items, photo_items)
    ctx.close()


def test_a_full_quota_is_said_on_screen(browser, server, field, tmp_path):
    _site, a, _b, ins_id = field
    ctx = launch(browser, server, tmp_path / "profile")
    page = page_of(ctx)
    sign_in(page, a)
    open_walk(page, ins_id)
    # CDP Storage.overrideQuotaForOrigin is not applied to a page target in this Chromium: the
    # outbox's test hook makes its IndexedDB write fail as a full disk does.
    page.evaluate("() => { window.__outboxFailPut = 'QuotaExceededError'; }")
    items = check_items(page, 1)
    cut(ctx, server)
    attach(page, items[0], photo(), "IMG_1.jpg")
    expect(page.locator("[data-outbox-warn]")).to_contain_text("手机存储空间已满")
    expect(page.locator(f"#photos-{items[0]} [data-queued-photo]")).to_have_count(1)  # kept in the page
    answer(page, items[0])
    expect(status(page)).to_contain_text("待上传 1 张照片 · 1 项")
    page.reload()  # the answer was kept in localStorage; the photo only lived in the page, as it said
    expect(status(page)).to_contain_text("待上传 1 项")
    ctx.close()


def _conflict(browser, server, field, tmp_path):
    """Phone a saves 符合 and phone b 不符合 on one item, both offline; a syncs first, b gets the panel."""
    _site, a, b, ins_id = field
    phones = []
    for who, name in ((a, "a"), (b, "b")):
        ctx = launch(browser, server, tmp_path / name)
        page = page_of(ctx)
        sign_in(page, who)
        open_walk(page, ins_id)
        phones.append((ctx, page))
    item = check_items(phones[0][1], 1)[0]
    server.stop()
    for (ctx, page), label in zip(phones, ("符合", "不符合")):
        ctx.set_offline(True)
        answer(page, item, label)
        expect(status(page)).to_contain_text("待上传 1 项")
    server.start()
    (ctx_a, page_a), (ctx_b, page_b) = phones
    ctx_a.set_offline(False)
    expect(status(page_a)).to_have_text("全部已上传")
    ctx_b.set_offline(False)
    panel = page_b.locator(f"#item-{item} .conflict")
    expect(panel).to_contain_text("此项已被")
    expect(status(page_b)).to_contain_text("1 条未能上传")  # not retried forever
    return phones, item, panel


def test_two_phones_editing_one_item_offline_get_the_conflict_panel(browser, server, db, field, tmp_path):
    ins_id = field[3]
    phones, item, panel = _conflict(browser, server, field, tmp_path)
    page_b = phones[1][1]
    panel.get_by_role("button", name="用我的覆盖").tap()
    expect(page_b.locator(f"#item-{item} .saved")).to_have_text("已保存 · 第 2 版")
    db.expire_all()
    assert db.exec(select(Answer).where(Answer.inspection_id == ins_id)).one().value == "fail"
    for ctx, _page in phones:
        ctx.close()


def test_keeping_theirs_shows_the_stored_answer_and_drops_the_refused_one(browser, server, db, field, tmp_path):
    ins_id = field[3]
    phones, item, panel = _conflict(browser, server, field, tmp_path)
    page_b = phones[1][1]
    panel.get_by_role("link", name="保留对方的").tap()
    expect(page_b.locator(f"#item-{item} .conflict")).to_have_count(0)
    expect(page_b.locator(f"#item-{item} .saved")).to_have_text("已保存 · 第 1 版")
    expect(page_b.locator(f"#item-{item}").get_by_role("radio", name="符合", exact=True)).to_be_checked()
    expect(status(page_b)).to_have_text("全部已上传")  # the refused answer is gone from the phone
    db.expire_all()
    assert db.exec(select(Answer).where(Answer.inspection_id == ins_id)).one().value == "pass"
    for ctx, _page in phones:
        ctx.close()


def test_a_reply_the_page_cannot_show_does_not_hold_the_outbox(browser, server, db, field, tmp_path):
    """The server took the answer: a page that fails to show its reply still sends the rest."""
    _site, a, _b, ins_id = field
    ctx = launch(browser, server, tmp_path / "profile")
    page = page_of(ctx)
    sign_in(page, a)
    open_walk(page, ins_id)
    items = check_items(page, 3)
    cut(ctx, server)
    for it in items:
        answer(page, it)
    expect(status(page)).to_contain_text("待上传 3 项")
    page.evaluate("() => { window.InspectorPage.swap = () => { throw new Error('test: the reply cannot be shown'); }; }")
    restore(ctx, server)
    expect(status(page)).to_have_text("全部已上传", timeout=30000)
    db.expire_all()
    assert sorted(x.item_id for x in db.exec(select(Answer).where(Answer.inspection_id == ins_id)).all()) == sorted(items)
    ctx.close()


def test_an_open_walk_page_with_nothing_to_send_stays_idle(browser, server, field, tmp_path):
    """Page and worker must not wake each other: a Background Sync that asks the page to send, and a
    page that asks for Background Sync each time it sends, kept a phone's CPU busy for ever."""
    _site, a, _b, ins_id = field
    ctx = launch(browser, server, tmp_path / "profile")
    page = page_of(ctx)
    sign_in(page, a)
    open_walk(page, ins_id)
    page.wait_for_timeout(1000)
    page.evaluate("""() => { const O = window.InspectorOutbox, f = O.flush; window.__flushes = 0;
        O.flush = function () { window.__flushes += 1; return f.apply(this, arguments); }; }""")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # one try, as when the link returns
    page.wait_for_timeout(3000)
    assert page.evaluate("() => window.__flushes") <= 2
    ctx.close()


def test_without_service_workers_the_outbox_still_keeps_everything(browser, server, db, field, tmp_path):
    _site, a, _b, ins_id = field
    profile = tmp_path / "profile"
    ctx = launch(browser, server, profile, no_service_worker=True)
    page = page_of(ctx)
    sign_in(page, a)
    open_walk(page, ins_id, kept=False)
    expect(page.locator("[data-offline-note]")).to_contain_text("此浏览器不能离线打开页面")
    items = check_items(page, 3)
    cut(ctx, server)
    _capture_offline(page, items, items[:1])
    ctx.close()
    server.start()
    ctx = launch(browser, server, profile, no_service_worker=True)
    page = page_of(ctx)
    page.goto(f"/inspections/{ins_id}")
    expect(status(page)).to_have_text("全部已上传", timeout=30000)
    db.expire_all()
    assert len(db.exec(select(Answer).where(Answer.inspection_id == ins_id)).all()) == 3
    assert len(db.exec(select(Photo).where(Photo.inspection_id == ins_id)).all()) == 1
    ctx.close()


def test_a_bad_value_is_kept_with_its_reason_not_dropped(browser, server, field, tmp_path):
    _site, a, _b, ins_id = field
    ctx = launch(browser, server, tmp_path / "profile")
    page = page_of(ctx)
    sign_in(page, a)
    open_walk(page, ins_id)
    item = page.locator("article.item[data-kind=measure]").first
    cut(ctx, server)
    item.locator("input[name=value]").fill("385")
    item.locator("input[name=value]").blur()
    expect(item.locator(".result")).to_have_text("不符合")  # judged on the phone
    expect(item.locator(".state")).to_contain_text("实测 385 m²，要求 ≥ 400 m²，差 15 m²")
    expect(item.locator("[data-pending]")).to_have_text("待同步")
    img = io.BytesIO()
    Image.new("RGB", (8, 8)).save(img, "GIF")
    attach(page, check_items(page, 1)[0], img.getvalue(), "not-a-photo.jpg")
    restore(ctx, server)
    expect(page.locator("[data-queued-photo].failed")).to_contain_text("未上传：")
    expect(status(page)).to_contain_text("1 条未能上传")
    expect(item.locator(".saved")).to_have_text("已保存 · 第 1 版")
    page.locator("[data-queued-photo].failed").get_by_role("button", name="放弃这张").tap()
    expect(page.locator("[data-queued-photo]")).to_have_count(0)
    expect(status(page)).to_have_text("全部已上传")
    ctx.close()
