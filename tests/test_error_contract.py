"""The one error contract: a DomainError raised inside a unit of work answers its status with its
Chinese reason, and nothing of the refused change is stored."""
from __future__ import annotations

from sqlmodel import select

from inspector.core.errors import DomainError
from inspector.models import Region
from inspector.web.work import commits, unit_of_work


def test_a_refusal_rolls_back_and_answers_its_status_and_reason(app):
    @app.post("/_contract/<int:status>")
    @commits
    def refuse(status: int):
        from inspector import get_db
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
