"""完成检查 with an answer still on its way: the results page opens only once the phone's waiting
answers for this inspection are on the server, so it never shows a summary without the answer just
tapped; without a link it stays on the walk page and says what the results would leave out."""
from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from inspector import demo
from inspector.models import Answer
from inspector.services import inspections

from .. import factories
from .conftest import signed_in_phone

pytestmark = pytest.mark.browser
LAST = "premises-exists"  # the one item the phone answers; the rest are answered through the service
FINISH = "完成检查，查看结果"


@pytest.fixture
def walk(db, specs):
    """A build-standard inspection with every applicable item but LAST answered as passing."""
    c = factories.county(db)
    site = factories.site(db, c["village_a"], tier="standard")
    who = factories.user(db, c["county"], username="i-finish", role="inspector")
    ins = inspections.start(session=db, site=site, spec=specs["build-standard"], purpose="inspection",
                            tier="standard", by=who)
    values = demo.demo_answers(specs["build-standard"], tier="standard", site_type="village", pass_rate=1.0,
                               share=1.0, rnd=random.Random(3))
    for item_id, value in values.items():
        if item_id != LAST:
            inspections.record_answer(session=db, inspection=ins, item_id=item_id, raw=value, note=None, by=who)
    db.commit()
    return ins.id, who, specs["build-standard"].by_id[LAST].text


def listed(page, heading):
    """The results page's section under `heading` (a pattern)."""
    return page.locator("section").filter(has=page.get_by_role("heading", name=re.compile(heading)))


def stored(db, ins_id):
    db.expire_all()
    return db.exec(select(Answer).where(Answer.inspection_id == ins_id, Answer.item_id == LAST)).all()


def test_finish_on_a_slow_link_waits_for_the_answer_just_tapped(browser, live_server, db, walk):
    ins_id, who, text = walk
    page = signed_in_phone(browser, live_server, who)
    page.goto(f"/inspections/{ins_id}")
    expect(page.locator(f"#item-{LAST}")).to_be_visible()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 1500,
                                                  "downloadThroughput": -1, "uploadThroughput": -1})
    page.locator(f"#item-{LAST} .seg-fail").tap()
    page.get_by_role("link", name=FINISH).tap()  # at once, the save still on the wire
    expect(page.locator("[data-finish-note]")).to_contain_text("正在上传本次检查未保存的 1 项填写，完成后打开结果")
    expect(page).to_have_url(re.compile(rf"/inspections/{ins_id}/summary$"), timeout=20000)
    # the results hold the tapped answer: nothing left unchecked, and the item among those to fix
    expect(page.locator(".verdict .muted")).to_contain_text(re.compile(r"已查 (\d+)/\1 项"))
    expect(listed(page, "^需整改")).to_contain_text(text)
    rows = stored(db, ins_id)
    assert [(r.value, r.result, r.version) for r in rows] == [("fail", "fail", 1)]
    page.context.close()


def test_finish_without_a_link_stays_and_says_what_the_results_would_leave_out(browser, live_server, db, walk):
    ins_id, who, text = walk
    page = signed_in_phone(browser, live_server, who)
    page.goto(f"/inspections/{ins_id}")
    expect(page.locator(f"#item-{LAST}")).to_be_visible()
    page.context.set_offline(True)
    page.locator(f"#item-{LAST} .seg-fail").tap()
    page.get_by_role("link", name=FINISH).tap()
    note = page.locator("[data-finish-note]")
    expect(note).to_contain_text("还有 1 项填写未上传（没有网络），恢复后自动上传。结果页不含这些填写。")
    expect(note.get_by_role("button", name="仍然查看结果")).to_be_visible()
    assert page.url.endswith(f"/inspections/{ins_id}")  # still on the walk, the answer kept on the phone
    assert stored(db, ins_id) == []

    # the link is back: the next tap sends it first, then opens the results with it
    page.context.set_offline(False)
    page.get_by_role("link", name=FINISH).tap()
    expect(page).to_have_url(re.compile(rf"/inspections/{ins_id}/summary$"), timeout=20000)
    expect(listed(page, "^需整改")).to_contain_text(text)
    assert [(r.value, r.version) for r in stored(db, ins_id)] == [("fail", 1)]
    page.context.close()


def test_a_server_that_cannot_take_the_save_lets_the_inspector_see_the_results_anyway(browser, live_server, db,
                                                                                    walk):
    ins_id, who, text = walk
    page = signed_in_phone(browser, live_server, who)
    page.goto(f"/inspections/{ins_id}")
    expect(page.locator(f"#item-{LAST}")).to_be_visible()
    page.route(re.compile(rf"/inspections/{ins_id}/items/{LAST}$"),
               lambda route: route.fulfill(status=503, body="busy") if route.request.method == "POST"
               else route.continue_())
    page.locator(f"#item-{LAST} .seg-fail").tap()
    page.get_by_role("link", name=FINISH).tap()
    note = page.locator("[data-finish-note]")
    expect(note).to_contain_text("还有 1 项填写未上传（服务器暂时无法连接）")
    note.get_by_role("button", name="仍然查看结果").tap()
    expect(page).to_have_url(re.compile(rf"/inspections/{ins_id}/summary$"))
    # as said: the results are the server's, without the answer still on the phone
    expect(listed(page, "^未检查（1 项）$")).to_contain_text(text)
    expect(listed(page, "^需整改")).to_have_count(0)
    assert stored(db, ins_id) == []
    page.context.close()
