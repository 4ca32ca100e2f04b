"""The one error contract: a DomainError raised inside a unit of work answers its status with its
Chinese reason, and nothing of the refused change is stored."""
from __future__ import annotations

import ast
from pathlib import Path

from sqlmodel import select

from inspector.core.errors import DomainError
from inspector.models import Region
from inspector.web.work import commits, unit_of_work


def test_a_refusal_rolls_back_and_answers_its_status_and_reason(app):
    @app.post("/_contract/<int:status>")
    @commits
    def refuse(status: int):
        from inspector.runtime import get_db
        get_db().add(Region(name="不应保存的镇", level="city", code="X-REFUSED", path="/"))
        get_db().flush()
        raise DomainError("该镇已存在，未保存", status=status)

    @app.post("/_contract/ok")
    def accept():
        with unit_of_work() as session:
            session.add(Region(name="保存的镇", level="city", code="X-KEPT", path="/"))
        return "ok"

    client = app.test_client()
    page = client.post("/_contract/409")
    assert page.status_code == 409 and "该镇已存在，未保存" in page.get_data(as_text=True)
    assert client.post("/_contract/422", headers={"Accept": "application/json"}).get_json() == {
        "error": "填写有误", "reason": "该镇已存在，未保存"}
    assert client.post("/_contract/ok").status_code == 200
    from inspector import db as dbmod
    with dbmod.session(app.extensions["engine"]) as s:
        codes = set(s.exec(select(Region.code)).all())
    assert "X-KEPT" in codes and "X-REFUSED" not in codes


def test_a_refusal_after_a_failed_flush_renders_its_page(app, client, db, login_as):
    """A view that meets a database error (the transaction is now unusable) and then refuses: the
    handler rolls back before it renders, so the whole page — menu and bell, which read the
    database — comes back with the refusal's status and reason, not the plain-text fallback."""
    from sqlalchemy.exc import IntegrityError
    from tests import factories
    regions = factories.county(db)
    me = factories.user(db, regions["county"], username="county1", role="county_reviewer")
    db.commit()

    @app.post("/_contract/after-flush")
    def refuse_after_flush():
        from inspector.runtime import get_db
        session = get_db()
        session.add(Region(name="重复的镇", level="township", code="T101", path="/"))
        try:
            session.flush()
        except IntegrityError:
            raise DomainError("该区划代码已被使用，未保存", status=409) from None
        return "not reached"

    login_as(me)
    page = client.post("/_contract/after-flush")
    text = page.get_data(as_text=True)
    assert page.status_code == 409 and page.mimetype == "text/html"
    assert "该区划代码已被使用，未保存" in text and "county1 姓名" in text and "</html>" in text


def test_the_refusals_of_the_services_carry_their_status():
    """Each area's refusal is a DomainError with the status it answers (a role's refusal is 403)."""
    from inspector.services import notices, programs, rights, transitions, users, workcalendar
    assert issubclass(rights.Forbidden, DomainError) and rights.Forbidden("x").status == 403
    assert isinstance(rights.Forbidden("x"), PermissionError)
    assert programs.StepError("x").status == 409
    for cls in (users.UserError, notices.NoticeError, programs.BindError, transitions.ReviewError):
        assert issubclass(cls, DomainError) and cls("x").status == 422, cls
    invalid = workcalendar.ScheduleInvalid(["第 1 行日期有误", "第 2 行重复"])
    assert isinstance(invalid, DomainError) and invalid.status == 422
    assert invalid.message == "第 1 行日期有误；第 2 行重复" and invalid.problems == ["第 1 行日期有误", "第 2 行重复"]


def test_a_role_refused_inside_a_unit_of_work_answers_403_with_its_reason(app, client, db, login_as):
    """rights.Forbidden raised by a service reaches the one handler: 403 with which roles may."""
    from tests import factories
    regions = factories.county(db)
    me = factories.user(db, regions["village_a"], username="village1", role="village")
    db.commit()

    @app.post("/_contract/forbidden")
    @commits
    def forbidden():
        from flask_login import current_user
        from inspector.services import rights
        rights.require(current_user.row, "manage_users")
        return "not reached"

    login_as(me)
    page = client.post("/_contract/forbidden")
    assert page.status_code == 403 and "账号不能" in page.get_data(as_text=True)


WEB = Path(__file__).resolve().parent.parent / "inspector" / "web"


def test_no_view_commits_or_rolls_back_by_hand():
    """Only web/work.py (the unit of work) and web/errors.py (the handler) commit or roll back."""
    found = []
    for path in sorted(WEB.rglob("*.py")):
        if path.name in ("work.py", "errors.py") and path.parent == WEB:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("commit", "rollback") and not node.args and not node.keywords:
                # a session's commit()/rollback() takes nothing (micro.commit(session=…) is a service step)
                found.append(f"{path.relative_to(WEB.parent.parent)}:{node.lineno} .{node.func.attr}(")
    assert not found, "views commit or roll back by hand:\n" + "\n".join(found)
