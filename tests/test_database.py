"""The schema: migrations and models agree; constraints hold on SQLite and PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from inspector.models import Answer, AuditLog, Region
from inspector.services import regions

from . import factories


def test_migrations_and_models_agree(app):
    with app.extensions["engine"].connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_migrated_database_is_at_head(app):
    from alembic.script import ScriptDirectory
    from inspector.db import alembic_config
    with app.extensions["engine"].connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config(app.config["DATABASE_URL"])).get_current_head()
    assert current == head


def test_region_tree_subtree_and_ancestry(db):
    c = factories.county(db)
    names = [r.name for r in regions.subtree(session=db, region=c["town_a"])]
    assert names == ["龙固镇", "张庄村"]
    assert [r.name for r in regions.ancestry(session=db, region=c["village_b"])] == ["徐州市", "沛县", "杨屯镇", "吴庄社区"]
    assert len(regions.subtree(session=db, region=c["city"])) == 6


def test_region_level_must_go_down_the_tree(db):
    c = factories.county(db)
    with pytest.raises(ValueError, match="层级"):
        regions.add_region(session=db, name="错误", level="county", code="X1", parent=c["town_a"])


def test_one_answer_row_per_item(db, specs):
    from inspector.services import inspections
    c = factories.county(db)
    site = factories.site(db, c["village_a"])
    who = factories.user(db, c["county"])
    ins = inspections.start(session=db, site=site, spec=specs["build-standard"], purpose="inspection",
                            tier="standard", by=who)
    db.add(Answer(inspection_id=ins.id, item_id="x", by_id=who.id))
    db.flush()
    db.add(Answer(inspection_id=ins.id, item_id="x", by_id=who.id))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_foreign_keys_are_enforced(db):
    from inspector.models import Site
    db.add(Site(name="无主站点", site_type="village", region_id=999999))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_json_columns_round_trip_chinese_and_nesting(db):
    db.add(AuditLog(action="t", entity="t", after={"值": [1, {"满意": 46}], "文字": "党群服务中心"}))
    db.commit()
    row = db.exec(select(AuditLog)).one()
    assert row.after == {"值": [1, {"满意": 46}], "文字": "党群服务中心"}
    assert row.at.tzinfo is not None
    assert db.exec(select(Region)).all() == []
