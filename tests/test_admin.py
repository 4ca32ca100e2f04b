"""Administration: users of the admin's region (create, edit, deactivate, reset) and the audit log viewer."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event
from sqlmodel import select

from inspector.models import (ROLES, Answer, AuditLog, FundCommitment, FundMember, Inspection, MicroProject, Notice,
                              Objection, Photo, ProgramStep, RedLandmarkApplication, Report, Site, User)
from inspector.services import audit, checklists, regions, users

from . import factories

PASSWORD = "correct-horse-1"


@pytest.fixture
def world(db):
    """Two counties of one city; an admin of county 1, a city admin, users on both sides."""
    c = factories.county(db)  # 徐州市 › 沛县 › 龙固镇 (张庄村), 杨屯镇 (吴庄社区)
    county2 = regions.add_region(session=db, name="丰县", level="county", code="T320321", parent=c["city"])
    town_c = regions.add_region(session=db, name="华山镇", level="township", code="T201", parent=county2)
    village_c = regions.add_region(session=db, name="华山村", level="village", code="T201001", parent=town_c)
    db.flush()
    admin = factories.user(db, c["county"], username="admin-pei", role="admin")
    city_admin = factories.user(db, c["city"], username="admin-city", role="admin")
    town_a = factories.user(db, c["town_a"], username="town-a", role="township")
    village_a = factories.user(db, c["village_a"], username="v-zhang", role="village")
    inspector = factories.user(db, c["county"], username="wangfang", role="inspector")
    far = factories.user(db, village_c, username="v-huashan", role="village")
    far_admin = factories.user(db, county2, username="admin-feng", role="admin")
    db.commit()
    return {**c, "county2": county2, "town_c": town_c, "village_c": village_c, "admin": admin,
            "city_admin": city_admin, "town_a_user": town_a, "village_a_user": village_a, "inspector": inspector,
            "far": far, "far_admin": far_admin}


def usernames(page: str) -> list[str]:
    """Usernames in the order the user table lists them."""
    return re.findall(r'/admin/users/\d+">([^<]+)</a>', page)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_admins_manage_users(client, db, world, login_as, role):
    level = users.ROLE_LEVELS.get(role, "county")
    region = world[{"village": "village_a", "township": "town_a", "county": "county", "city": "city"}[level]]
    who = factories.user(db, region, username=f"x-{role}", role=role)
    db.commit()
    login_as(who)
    for url in ("/admin/users", "/admin/users/new", f"/admin/users/{world['village_a_user'].id}"):
        r = client.get(url)
        assert r.status_code == 403 and "不能管理用户（可由：管理员）" in r.get_data(as_text=True), url
    r = client.post("/admin/users", data={"username": "sneaky", "display_name": "x", "role": "admin",
                                          "region": world["city"].id, "password": "long-password",
                                          "repeat": "long-password"})
    assert r.status_code == 403 and db.exec(select(User).where(User.username == "sneaky")).first() is None


def test_the_list_shows_only_the_admins_region(client, world, login_as):
    login_as(world["admin"])
    page = client.get("/admin/users").get_data(as_text=True)
    shown = set(usernames(page))
    assert shown == {"admin-pei", "town-a", "v-zhang", "wangfang"} and "共 4 个用户" in page
    assert "v-huashan" not in page and "admin-city" not in page and "admin-feng" not in page
    city = client.get("/admin/users", query_string={"region": world["county2"].id})
    assert city.status_code == 404  # a region outside the admin's own


def test_the_city_admin_sees_every_county(client, world, login_as):
    login_as(world["city_admin"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert {"admin-pei", "v-huashan", "admin-feng", "admin-city"} <= set(usernames(page))


def test_filters_and_sorting(client, db, world, login_as):
    login_as(world["city_admin"])
    get = lambda **q: usernames(client.get("/admin/users", query_string=q).get_data(as_text=True))  # noqa: E731
    assert set(get(role="village")) == {"v-zhang", "v-huashan"}
    assert set(get(region=world["county2"].id)) == {"v-huashan", "admin-feng"}
    assert get(q="huashan") == ["v-huashan"]
    assert get(sort="username") == sorted(get(sort="username"))
    assert get(sort="username", dir="desc") == sorted(get(sort="username"), reverse=True)
    assert get(sort="role", role="admin") == ["admin-city", "admin-feng", "admin-pei"]
    far = db.get(User, world["far"].id)
    far.active = False
    db.commit()
    assert get(active="0") == ["v-huashan"]
    assert "v-huashan" not in get(active="1")
    fragment = client.get("/admin/users", query_string={"role": "village"}, headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="user-results"')


def new_user(client, **fields):
    data = {"username": "li-si", "display_name": "李四", "role": "village", "password": "long-password-1",
            "repeat": "long-password-1", **fields}
    return client.post("/admin/users", data=data)


def test_create_a_user_in_the_admins_region(client, db, world, login_as):
    login_as(world["admin"])
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert "施工方" in form and "张庄村（村（社区））" in form and "华山村" not in form
    r = new_user(client, region=world["village_a"].id)
    assert r.status_code == 303
    row = db.exec(select(User).where(User.username == "li-si")).one()
    assert (row.role, row.region_id, row.display_name, row.active) == ("village", world["village_a"].id, "李四", True)
    assert users.check_password(row, "long-password-1")
    entry = db.exec(select(AuditLog).where(AuditLog.entity == "user", AuditLog.entity_id == row.id)).one()
    assert entry.action == "create" and entry.user_id == world["admin"].id
    assert entry.after["role"] == "village" and entry.after["region"] == "T101001"
    assert "long-password-1" not in repr(entry.after) and "argon2" not in repr(entry.after)
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已创建用户 li-si" in page and "李四" in page


@pytest.mark.parametrize("role, wrong, right, message", [
    ("village", "town_a", "village_a", "村（社区）账号应绑定到村（社区）级区划，而“龙固镇”是乡镇（街道）级"),
    ("township", "village_a", "town_a", "乡镇（街道）账号应绑定到乡镇（街道）级区划，而“张庄村”是村（社区）级"),
    ("county_reviewer", "town_a", "county", "县委组织部账号应绑定到县（区）级区划，而“龙固镇”是乡镇（街道）级"),
    ("city_reviewer", "county", "city", "市级评审账号应绑定到市级区划，而“沛县”是县（区）级"),
])
def test_a_role_must_be_bound_to_a_region_of_its_level(client, db, world, login_as, role, wrong, right, message):
    login_as(world["city_admin"])
    r = new_user(client, role=role, region=world[wrong].id)
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert db.exec(select(User).where(User.username == "li-si")).first() is None
    assert new_user(client, role=role, region=world[right].id).status_code == 303
    # and an existing user cannot be moved to the wrong level either
    row = db.exec(select(User).where(User.username == "li-si")).one()
    moved = client.post(f"/admin/users/{row.id}", data={"display_name": "李四", "role": role,
                                                        "region": world[wrong].id, "active": "1"})
    assert moved.status_code == 422 and message in moved.get_data(as_text=True)


@pytest.mark.parametrize("region", ["village_a", "town_a", "county"])
def test_contractors_and_inspectors_may_sit_at_any_level(client, db, world, login_as, region):
    login_as(world["admin"])
    assert new_user(client, username="builder", role="contractor", region=world[region].id).status_code == 303
    assert db.exec(select(User).where(User.username == "builder")).one().role == "contractor"


@pytest.mark.parametrize("fields, message", [
    ({"password": "short", "repeat": "short"}, "密码至少 8 位"),
    ({"repeat": "another-password"}, "两次输入的密码不一致"),
    ({"username": "wangfang"}, "用户名“wangfang”已存在"),
    ({"username": "WangFang"}, "用户名“WangFang”已存在"),
    ({"username": "张 三"}, "用户名为 2–64 位字母、数字或 _ . @ -"),
    ({"display_name": "  "}, "请填写姓名"),
    ({"role": "mayor"}, "未知角色"),
    ({"region": ""}, "请选择所属区划"),
])
def test_bad_new_users_are_refused_with_the_reason(client, db, world, login_as, fields, message):
    login_as(world["admin"])
    before = len(db.exec(select(User)).all())
    r = new_user(client, **{"region": world["village_a"].id, **fields})
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert len(db.exec(select(User)).all()) == before


def test_a_region_outside_the_admins_is_not_found(client, db, world, login_as):
    login_as(world["admin"])
    assert new_user(client, region=world["village_c"].id).status_code == 404
    assert db.exec(select(User).where(User.username == "li-si")).first() is None


def test_edit_role_region_name_and_activity_with_an_audit_trail(client, db, world, login_as):
    login_as(world["admin"])
    target = world["village_a_user"]
    assert "v-zhang" in client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    r = client.post(f"/admin/users/{target.id}", data={"display_name": "张庄村 新书记", "role": "township",
                                                       "region": world["town_a"].id})  # active unticked
    assert r.status_code == 303
    row = db.get(User, target.id)
    db.refresh(row)
    assert (row.display_name, row.role, row.region_id, row.active) == ("张庄村 新书记", "township",
                                                                       world["town_a"].id, False)
    entry = db.exec(select(AuditLog).where(AuditLog.action == "update", AuditLog.entity_id == target.id)).one()
    assert entry.before == {"active": True, "display_name": "v-zhang 姓名", "region": "T101001", "role": "village"}
    assert entry.after == {"active": False, "display_name": "张庄村 新书记", "region": "T101", "role": "township"}
    assert client.post("/logout").status_code == 303
    refused = client.post("/login", data={"username": "v-zhang", "password": PASSWORD})
    assert refused.status_code == 422 and "账号已停用" in refused.get_data(as_text=True)


def test_saving_without_changes_writes_no_audit_row(client, db, world, login_as):
    login_as(world["admin"])
    t = world["village_a_user"]
    r = client.post(f"/admin/users/{t.id}", data={"display_name": t.display_name, "role": t.role,
                                                  "region": t.region_id, "active": "1"})
    assert r.status_code == 303 and "没有改动" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert not db.exec(select(AuditLog).where(AuditLog.action == "update")).all()


def test_an_admin_cannot_deactivate_or_demote_themselves(client, db, world, login_as):
    me = login_as(world["admin"])
    page = client.get(f"/admin/users/{me.id}").get_data(as_text=True)
    assert "不能停用自己的账号" in page and 'name="active" value="1"' in page
    r = client.post(f"/admin/users/{me.id}", data={"display_name": "x", "role": "admin", "region": me.region_id})
    assert r.status_code == 422 and "不能停用自己的账号" in r.get_data(as_text=True)
    r = client.post(f"/admin/users/{me.id}", data={"display_name": "x", "role": "inspector",
                                                   "region": me.region_id, "active": "1"})
    assert r.status_code == 422 and "不能取消自己的管理员角色" in r.get_data(as_text=True)
    row = db.get(User, me.id)
    db.refresh(row)
    assert row.active and row.role == "admin" and row.display_name == "admin-pei 姓名"


def test_reset_a_password_ends_the_users_sessions(app, client, db, world, login_as):
    phone = app.test_client()
    assert phone.post("/login", data={"username": "v-zhang", "password": PASSWORD}).status_code == 303
    login_as(world["admin"])
    t = world["village_a_user"]
    short = client.post(f"/admin/users/{t.id}/password", data={"password": "short", "repeat": "short"})
    assert short.status_code == 422 and "密码至少 8 位" in short.get_data(as_text=True)
    r = client.post(f"/admin/users/{t.id}/password", data={"password": "temporary-pass-1",
                                                           "repeat": "temporary-pass-1"})
    assert r.status_code == 303
    assert phone.get("/account/password").status_code == 302  # signed out
    assert phone.post("/login", data={"username": "v-zhang", "password": "temporary-pass-1"}).status_code == 303
    entry = db.exec(select(AuditLog).where(AuditLog.action == "reset_password")).one()
    assert entry.entity_id == t.id and entry.user_id == world["admin"].id
    assert "temporary-pass-1" not in repr((entry.before, entry.after)) and "argon2" not in repr(entry.after)


@pytest.mark.parametrize("method, suffix", [("get", ""), ("post", ""), ("post", "/password")])
def test_users_of_another_region_are_not_found(client, db, world, login_as, method, suffix):
    login_as(world["admin"])
    far = world["far"]
    data = {"display_name": "x", "role": "village", "region": far.region_id, "active": "1",
            "password": "long-password-1", "repeat": "long-password-1"}
    r = getattr(client, method)(f"/admin/users/{far.id}{suffix}", data=data if method == "post" else None)
    assert r.status_code == 404
    row = db.get(User, far.id)
    db.refresh(row)
    assert row.display_name == "v-huashan 姓名" and users.check_password(row, PASSWORD)


# ---------------------------------------------------------------- audit log

def every_entity(db, spec, site: Site, by: User, tag: str) -> dict[str, int]:
    """One record of every audited kind at a site; returns entity name → id."""
    version = checklists.ensure_version(session=db, spec=spec)
    ins = Inspection(site_id=site.id, checklist_version_id=version.id, purpose="inspection", tier="standard",
                     created_by_id=by.id)
    db.add(ins)
    db.flush()
    answer = Answer(inspection_id=ins.id, item_id="premises-exists", value="pass", by_id=by.id)
    photo = Photo(inspection_id=ins.id, item_id="premises-exists", sha256=tag * 8, size_bytes=1, format="jpeg",
                  width=1, height=1, original=f"o/{tag}.jpg", display=f"d/{tag}.jpg", thumb=f"t/{tag}.jpg", by_id=by.id)
    report = Report(public_id=f"pub{tag}", number=f"NO-{tag}", inspection_id=ins.id, kind="acceptance", sha256="0" * 64,
                    path=f"reports/{tag}.pdf", size_bytes=1, pages=1, inputs={}, inputs_hash="0", issued_by_id=by.id)
    notice = Notice(public_id=f"n{tag}", kind="micro_plan", site_id=site.id, subject_id=1, title="公示", content={},
                    start_date=date(2026, 3, 2), end_date=date(2026, 3, 10), working_days=7, created_by_id=by.id)
    db.add_all([answer, photo, report, notice])
    db.flush()
    landmark = RedLandmarkApplication(site_id=site.id, year=2026, self_assessment_id=ins.id, applied_by_id=by.id)
    micro = MicroProject(site_id=site.id, year=2026, size="small", name="修路", lead_name="甲", lead_phone="1",
                         description="d", budget_fen=100, fund_source="f", start_date=date(2026, 3, 1),
                         finish_date=date(2026, 4, 1), members=[], households=[], spending=[], route="village",
                         created_by_id=by.id)
    objection = Objection(notice_id=notice.id, received_on=date(2026, 3, 3), text="异议", recorded_by_id=by.id)
    member = FundMember(site_id=site.id, year=2026, name="乙", kind="party_member")
    db.add_all([landmark, micro, objection, member])
    db.flush()
    step = ProgramStep(program="micro_project", program_id=micro.id, step="apply", owner_role="village",
                       region_id=site.region_id)
    commitment = FundCommitment(member_id=member.id, project_id=micro.id, amount_fen=5000)
    db.add_all([step, commitment])
    db.flush()
    return {"site": site.id, "inspection": ins.id, "answer": answer.id, "photo": photo.id, "report": report.id,
            "user": by.id, "notice": notice.id, "redlandmarkapplication": landmark.id, "red_landmark": landmark.id,
            "microproject": micro.id, "micro_project": micro.id, "objection": objection.id,
            "fundmember": member.id, "fundcommitment": commitment.id, "programstep": step.id}


@pytest.fixture
def logged(db, world, specs):
    """Audit rows about every kind of record in county 1 (沛县) and in county 2 (丰县)."""
    near_site = factories.site(db, world["village_a"], name="张庄村党群服务中心")
    far_site = factories.site(db, world["village_c"], name="华山村党群服务中心")
    for tag, site, by in (("near", near_site, world["village_a_user"]), ("far", far_site, world["far"])):
        for entity, entity_id in every_entity(db, specs["build-standard"], site, by, tag).items():
            audit.record(session=db, user_id=by.id, action="update", entity=entity, entity_id=entity_id,
                         after={"marker": f"{tag}:{entity}"})
    audit.record(session=db, user_id=None, action="update", entity="checklist", entity_id=None,
                 after={"marker": "nowhere:checklist"})
    db.commit()
    county = factories.user(db, world["county"], username="county-pei", role="county_reviewer")
    county2 = factories.user(db, world["county2"], username="county-feng", role="county_reviewer")
    city = factories.user(db, world["city"], username="city-1", role="city_reviewer")
    db.commit()
    return {"county": county, "county2": county2, "city": city}


def markers(page: str) -> set[str]:
    return set(re.findall(r"(?:near|far|nowhere):[a-z_]+", page))


ENTITIES = {"site", "inspection", "answer", "photo", "report", "user", "notice", "redlandmarkapplication",
            "red_landmark", "microproject", "micro_project", "objection", "fundmember", "fundcommitment",
            "programstep"}


@pytest.mark.parametrize("viewer, seen", [
    ("county", {f"near:{e}" for e in ENTITIES}),
    ("county2", {f"far:{e}" for e in ENTITIES}),
    ("city", {f"{t}:{e}" for e in ENTITIES for t in ("near", "far")} | {"nowhere:checklist"}),
])
def test_the_audit_log_shows_what_lies_in_the_viewers_region(client, world, logged, login_as, viewer, seen):
    login_as(logged[viewer])
    page = client.get("/admin/audit", query_string={"action": "update"}).get_data(as_text=True)
    assert markers(page) == seen


@pytest.mark.parametrize("role, region", [("village", "village_a"), ("township", "town_a"),
                                          ("inspector", "county"), ("contractor", "village_a")])
def test_roles_without_audit_rights_are_refused(client, db, world, login_as, role, region):
    who = factories.user(db, world[region], username=f"r-{role}", role=role)
    db.commit()
    login_as(who)
    r = client.get("/admin/audit")
    assert r.status_code == 403 and "不能查看操作日志" in r.get_data(as_text=True)


def test_rows_read_who_when_in_china_time_and_before_to_after(client, db, world, login_as):
    at = datetime(2026, 3, 1, 16, 30, 5, tzinfo=timezone.utc)  # 2026-03-02 00:30:05 in China
    db.add(AuditLog(at=at, user_id=world["inspector"].id, action="return", entity="user",
                    entity_id=world["village_a_user"].id, before={"status": "submitted"},
                    after={"status": "returned", "round": 1, "reasons": {"hall-area": "面积不足"},
                           "password": "secret-value-1", "password_hash": "$argon2id$abc"}))
    db.commit()
    login_as(world["admin"])
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "2026-03-02 00:30:05" in page and "wangfang 姓名" in page and "退回" in page
    assert re.search(r"状态</th><td class=\"before\">已提交</td>.*?<td class=\"after\">已退回</td>", page, re.S)
    assert "{&#34;hall-area&#34;: &#34;面积不足&#34;}" in page  # JSON, escaped, with Chinese kept readable
    assert "secret-value-1" not in page and "$argon2id$abc" not in page and "（已隐藏）" in page


def test_filters_by_user_action_entity_and_china_dates(client, db, world, login_as):
    def row(day_utc: datetime, action: str, who: User, entity: str = "user", marker: str = ""):
        db.add(AuditLog(at=day_utc, user_id=who.id, action=action, entity=entity,
                        entity_id=world["village_a_user"].id, after={"marker": marker}))

    utc = timezone.utc
    row(datetime(2026, 3, 1, 15, 59, tzinfo=utc), "update", world["admin"], marker="m-0301")  # 23:59 on 1 March
    row(datetime(2026, 3, 1, 16, 0, tzinfo=utc), "update", world["admin"], marker="m-0302a")  # 00:00 on 2 March
    row(datetime(2026, 3, 2, 15, 59, tzinfo=utc), "reset_password", world["inspector"], marker="m-0302b")
    row(datetime(2026, 3, 2, 16, 0, tzinfo=utc), "update", world["inspector"], marker="m-0303")
    db.commit()
    login_as(world["admin"])

    def found(**q):
        return re.findall(r"m-\d{4}[ab]?", client.get("/admin/audit", query_string=q).get_data(as_text=True))

    assert found() == ["m-0303", "m-0302b", "m-0302a", "m-0301"]  # newest first
    assert found(**{"from": "2026-03-02", "to": "2026-03-02"}) == ["m-0302b", "m-0302a"]
    assert found(**{"from": "2026-03-03"}) == ["m-0303"]
    assert found(to="2026-03-01") == ["m-0301"]
    assert found(user=world["inspector"].id) == ["m-0303", "m-0302b"]
    assert found(action="reset_password") == ["m-0302b"]
    assert found(entity="site") == []
    bad = client.get("/admin/audit", query_string={"from": "2026-02-30"})
    assert bad.status_code == 422 and "起始日期应为日期" in bad.get_data(as_text=True)


def test_pages_of_fifty_newest_first(client, db, world, login_as):
    start = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    for n in range(120):
        db.add(AuditLog(at=start + timedelta(minutes=n), user_id=world["admin"].id, action="update", entity="user",
                        entity_id=world["village_a_user"].id, after={"n": f"row-{n:03d}"}))
    db.commit()
    login_as(world["admin"])
    first = client.get("/admin/audit?action=update").get_data(as_text=True)
    rows = re.findall(r"row-(\d{3})", first)
    assert "共 120 条" in first and len(rows) == 50 and rows[0] == "119" and rows[-1] == "070"
    assert "第 1 / 3 页" in first and 'href="/admin/audit?page=2&amp;action=update">较早' in first
    last = re.findall(r"row-(\d{3})", client.get("/admin/audit?action=update&page=3").get_data(as_text=True))
    assert len(last) == 20 and last[0] == "019" and last[-1] == "000"


def test_the_audit_page_costs_the_same_queries_for_ten_or_fifty_rows(app, client, db, world, logged, login_as):
    login_as(logged["county"])
    engine = app.extensions["engine"]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def queries(n_rows: int) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            page = client.get("/admin/audit", query_string={"action": "update"}).get_data(as_text=True)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert page.count('<li class="audit-row">') == n_rows
        return len(statements)

    few = queries(len(ENTITIES))
    for n in range(40):
        audit.record(session=db, user_id=world["village_a_user"].id, action="update", entity="site",
                     entity_id=db.exec(select(Site.id).where(Site.region_id == world["village_a"].id)).first(),
                     after={"marker": f"near:site_{n}"})
    db.commit()
    assert queries(50) == few


def test_user_page_shows_its_recent_changes(client, world, login_as):
    login_as(world["admin"])
    t = world["village_a_user"]
    client.post(f"/admin/users/{t.id}", data={"display_name": "新名字", "role": "village",
                                              "region": t.region_id, "active": "1"})
    page = client.get(f"/admin/users/{t.id}").get_data(as_text=True)
    assert "最近变更" in page and "v-zhang 姓名" in page and "新名字" in page


def test_everything_an_admin_reaches_is_linked_from_the_admin_page(client, world, login_as):
    login_as(world["admin"])
    page = client.get("/admin/").get_data(as_text=True)
    assert "/admin/users" in page and "/admin/audit" in page and "/account/password" in page


def test_region_choices_are_only_the_admins_subtree(client, world, login_as):
    login_as(world["admin"])
    page = client.get("/admin/users/new").get_data(as_text=True)
    names = re.findall(r'data-level="[a-z]+"[^>]*>[\u3000]*([^（<]+)（', page)
    assert names == ["沛县", "龙固镇", "张庄村", "杨屯镇", "吴庄社区"]


def test_the_admin_and_county_are_warned_before_the_holiday_data_runs_out(app, client, db, world, login_as):
    """45 days before the official holiday data ends the admin and the county see that later
    deadlines will be provisional, with a link to the page where the next year is entered; a
    village does not; nobody does earlier, or once the next year has been entered."""
    county = factories.user(db, world["county"], username="county-pei", role="county_reviewer")
    db.commit()
    app.config["TODAY"] = date(2026, 11, 29)
    login_as(world["admin"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert "国务院节假日安排只到 2026-12-31（还有 32 天）：2027 年的安排尚未录入" in page
    assert "按法定节假日暂定计算" in page and 'href="/admin/calendar/">录入 2027 年节假日安排</a>' in page
    client.post("/logout")
    login_as(county)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "data-calendar-notice" in page and 'href="/admin/calendar/">查看工作日日历</a>' in page
    client.post("/logout")
    login_as(world["village_a_user"])
    assert "data-calendar-notice" not in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login_as(world["admin"])
    app.config["TODAY"] = date(2026, 11, 15)
    assert "data-calendar-notice" not in client.get("/admin/users").get_data(as_text=True)
    app.config["TODAY"] = date(2027, 1, 20)
    assert "已于 2026-12-31 结束" in client.get("/admin/users").get_data(as_text=True)
    from inspector.models import CalendarYear
    db.add(CalendarYear(year=2027, title="测试用（虚构）", number="测试", issued_on=date(2026, 11, 10),
                        holidays=["2027-01-01"], workdays=[]))
    db.commit()
    assert "data-calendar-notice" not in client.get("/admin/users").get_data(as_text=True)
