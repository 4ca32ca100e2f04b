"""The demo database the browser benchmarks run on: migrated, the demo county loaded, and fresh
walk inspections of the demo inspector at the first demo village (one helper instead of a copy
per benchmark)."""
from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from inspector import db as dbmod
from inspector import demo
from inspector.core.checklist import ChecklistSpec, load_dir
from inspector.models import Site
from inspector.services import inspections, users

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = demo.DEMO_PASSWORD


def demo_database(url: str, walks: list[tuple[str, str | None]] = ()) -> tuple[dict[str, ChecklistSpec], int, list[int]]:
    """Migrate `url`, load the demo county and start one inspection per (checklist, tier) in
    `walks`; the checklists, the village's site id and the inspections' ids in order."""
    engine = dbmod.make_engine(url)
    try:
        dbmod.upgrade(engine)
        specs = load_dir(ROOT / "checklists")
        with dbmod.session(engine) as session:
            demo.load(session=session, specs=specs)
            session.commit()
            by = users.by_username(session=session, username="inspector")
            village = session.exec(select(Site).where(Site.site_type == "village").order_by(Site.id)).first()
            started = [inspections.start(session=session, site=village, spec=specs[spec_id], purpose="inspection",
                                         tier=tier, by=by) for spec_id, tier in walks]
            session.commit()
            return specs, village.id, [i.id for i in started]
    finally:
        engine.dispose()
