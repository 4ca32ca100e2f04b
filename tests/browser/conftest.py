"""Browser fixtures: the app served on a free port, and Debian's Chromium at a phone's size."""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
         "user_agent": ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                        "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49 NetType/WIFI Language/zh_CN")}


@pytest.fixture
def live_server(app):
    """The app on 127.0.0.1 at a free port, for the length of one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from Debian (never a downloaded browser)."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: ./dev.sh setup installs Debian's chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_server):
    """A new page in a phone-sized, touch, WeChat-like context."""
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    yield page
    context.close()


# The phone's "全部展开" choice (static/walk.js): every section of a folded walk page open.
OPEN_ALL = "try { localStorage.setItem('inspector:walk-open-all', '1'); } catch (e) { /* about:blank */ }"


def signed_in_phone(browser, live_server, user, *, position=None, accuracy=8, password="correct-horse-1",
                    open_all=True):
    """A new phone-sized context signed in as `user` (factories' password), with geolocation granted
    at `position` (lat, lon) when given; returns its page (close it with page.context.close()).
    `open_all`: the inspector chose "全部展开", so items of every section are on the walk page, as
    the tests that tap them expect; the folded page itself is tested in test_walk_nav.py."""
    from playwright.sync_api import expect
    context = browser.new_context(base_url=live_server, **PHONE)
    if open_all:
        context.add_init_script(OPEN_ALL)
    if position is not None:
        context.grant_permissions(["geolocation"], origin=live_server)
        context.set_geolocation({"latitude": position[0], "longitude": position[1], "accuracy": accuracy})
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").tap()
    expect(page.locator("h1")).to_have_text("党群服务中心检查")
    return page
