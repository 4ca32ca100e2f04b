"""Issue 14: a route fuzzer. Every rule in app.url_map, as every role and anonymously, with hostile
path parameters, query parameters, form fields and bodies. No answer may be a 5xx, and a refused
request (4xx) may change nothing in the database.

Sampled to stay fast: every rule gets every hostile path value, two hostile queries and (POST
rules) four hostile forms and half the broken bodies; each request goes out as the next role in
turn (anonymous included), so every role meets every kind of hostile input. The real values of the path come from the rights matrix's world, so the
hostile query and form reach the views, not only the router."""
from __future__ import annotations

import itertools
import re
import time
from urllib.parse import quote

import pytest
from sqlalchemy import func, select, text
from sqlmodel import SQLModel

from inspector.models import Answer, Inspection

from .test_rights_matrix import ALL, ANON, MATRIX, PASSWORD, build_world

HOSTILE_INT = ("2147483648", "-1")
HOSTILE_STR = ("%00", "%FF%FE", "..%2F..%2Fetc%2Fpasswd")
REFUSED = ("a\x00b", "长" * 100_000)  # the input layer refuses these: one field (or parameter) carries it
DEEP = ("9" * 25, "-1", "2147483648", "-99999999999999999999", "1e309", "nan", "", "x" * 3000,
        "<script>alert(1)</script>", "2026-02-30", "1900-01-01")  # these reach the views: spread over the fields
DEEP_QUERY = tuple(v for v in DEEP if len(v) <= 500)  # longer query parameters are refused by the input layer
QUERY_NAMES = ("q", "page", "from", "to", "township", "purpose", "status", "tier", "type", "next", "format",
               "year", "site_id", "sort", "dir", "checklist", "user", "entity", "action", "id")
FORM_NAMES = tuple(sorted({
    "accuracy", "action", "active", "after", "amount", "award_date", "base_version", "before", "budget", "checklist",
    "client_id", "contact", "current", "description", "details", "device_id", "display_name", "emergency", "entity",
    "entity_id", "expected_effect", "finish_date", "format", "from", "fund_source", "general", "geofence_m",
    "households", "issuer", "kind", "lat", "lead_name", "lead_phone", "leadership_ok", "lon", "member_id", "members",
    "na", "name", "new", "no_major_incident", "note", "notice_start", "number", "operating_since", "opinion", "outcome",
    "password", "phone", "place", "project_id", "purpose", "q", "reason", "received_on", "region", "repeat", "report",
    "resolution", "respondents", "revoked_on", "role", "satisfied", "scale", "self_assessment_id", "site_id", "size",
    "sort", "spending", "spent", "start_date", "status", "supervisor", "supervisor_phone", "text", "tier", "to",
    "township", "type", "user", "username", "value", "value_a", "value_b", "village_lead", "village_phone",
    "working_days", "year"}))
BODIES = (  # (content type, raw body)
    ("application/json", b'{"value": "", "note": null}'),
    ("text/xml", b"<value></value>"),
    ("multipart/form-data; boundary=zzz", b"--zzz\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\n"),
    ("multipart/form-data", b"no boundary at all"),
    ("application/x-www-form-urlencoded", b"value=%FF%FE%00&note=%C3%28&name=\xff\xfe"),
)
SKIP_SIGNED_IN = {"auth.logout", "auth.logout_everywhere"}  # they end the session the fuzzer signs in with
IGNORED_TABLES = {"loginattempt", "authsession"}  # a refused sign-in is counted: that is the throttle's job
TIMES: dict[str, float] = {}  # seconds per endpoint, to show where the fuzzer's time goes
PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _fingerprint(db) -> tuple:
    """Row counts of every table, answers' versions and inspections' statuses: what a refusal must not change."""
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name not in IGNORED_TABLES]
    counts = db.execute(text(" UNION ALL ".join(
        f"SELECT '{t.name}', count(*) FROM \"{t.name}\"" for t in tables))).all()
    versions = db.execute(select(func.coalesce(func.sum(Answer.version), 0))).scalar()
    statuses = db.execute(select(Inspection.status, func.count()).group_by(Inspection.status)
                          .order_by(Inspection.status)).all()
    db.rollback()
    return tuple(sorted(counts)), versions, tuple(statuses)


def _real_paths(app, world) -> dict[tuple[str, str], str]:
    """A working URL path per (endpoint, method) from the rights matrix, formatted with the world's own side."""
    values = world["sides"]["own"]
    out = {}
    for case in MATRIX:
        if "{" in case.url and any(k not in values for k in re.findall(r"{(\w+)}", case.url)):
            continue
        out.setdefault((case.endpoint, case.method), case.url.format(**values).split("?")[0])
    return out


def _path_values(app, rule, real: str | None) -> dict[str, str]:
    """The rule's path parameters: from the working URL when there is one, else 1 or "x"."""
    found = {}
    if real:
        try:
            _endpoint, found = app.url_map.bind("localhost").match(real, method=next(iter(rule.methods - {"HEAD", "OPTIONS"}), "GET"))
        except Exception:  # noqa: BLE001 - another rule matched first: fall back to plain values
            found = {}
    return {name: str(found.get(name, 1 if conv in ("int", "id") else "x"))
            for conv, name in PARAM.findall(rule.rule)}


def _build(rule, values: dict[str, str], raw: dict[str, str] | None = None) -> str:
    """The rule's path with these values (url-quoted), or raw (already-encoded hostile) ones."""
    raw = raw or {}

    def sub(m):
        name = m.group(2)
        return raw[name] if name in raw else quote(values[name], safe="/")
    return PARAM.sub(sub, rule.rule)


@pytest.fixture
def world_clients(app, db, specs):
    """The rights matrix's world and a test client signed in as each role (and one anonymous)."""
    world = build_world(app, db, specs)
    clients = {}
    for role in ALL:
        client = app.test_client()
        if role != ANON:
            r = client.post("/login", data={"username": f"me-{role}", "password": PASSWORD})
            assert r.status_code == 303
        clients[role] = client
    return world, clients


def test_no_route_answers_5xx_or_changes_anything_when_it_refuses(app, db, world_clients):
    world, clients = world_clients
    real = _real_paths(app, world)
    roles = itertools.cycle(ALL)
    problems: list[str] = []
    sent = 0
    before = _fingerprint(db)

    def send(role: str, method: str, path: str, **kw) -> None:
        nonlocal before, sent
        if role != ANON and endpoint in SKIP_SIGNED_IN:
            role = ANON
        t0 = time.perf_counter()
        response = clients[role].open(path, method=method, **kw)
        TIMES[endpoint] = TIMES.get(endpoint, 0.0) + time.perf_counter() - t0
        status = response.status_code
        response.close()
        sent += 1
        after = _fingerprint(db)
        label = f"{method} {path[:120]} as {role} {str(kw)[:160]}"
        if status >= 500:
            problems.append(f"{status}: {label}")
        elif 400 <= status < 500 and after != before:
            problems.append(f"{status} changed the database: {label}")
        before = after

    rules = sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule)
    for rule in rules:
        endpoint = rule.endpoint
        for method in sorted(rule.methods & {"GET", "POST"}):
            values = _path_values(app, rule, real.get((endpoint, method)))
            base = _build(rule, values)
            for conv, name in PARAM.findall(rule.rule):  # hostile path parameters, one at a time
                for bad in HOSTILE_INT if conv in ("int", "id") else HOSTILE_STR:
                    send(next(roles), method, _build(rule, values, {name: bad}))
            # hostile queries: values that reach the view spread over the parameters, and broken bytes
            send(next(roles), method, base, query_string={k: DEEP_QUERY[(i + sent) % len(DEEP_QUERY)]
                                                          for i, k in enumerate(QUERY_NAMES)})
            send(next(roles), method, base, query_string="q=%FF%FE&page=%C3%28&from=0001-01-01&to=9999-12-31")
            if method != "POST":
                continue
            for n in range(2):  # hostile form fields that reach the view, two spreads
                send(next(roles), method, base, data={k: DEEP[(i + n * 5) % len(DEEP)]
                                                      for i, k in enumerate(FORM_NAMES)})
            for n, bad in enumerate(REFUSED):  # refused by the input layer: nothing may change
                form = {k: DEEP[i % len(DEEP)] for i, k in enumerate(FORM_NAMES)}
                form[FORM_NAMES[(sent + n) % len(FORM_NAMES)]] = bad
                send(next(roles), method, base, data=form)
            for content_type, body in BODIES[(sent % 2)::2]:  # broken or wrong bodies, half of them each
                send(next(roles), method, base, data=body, content_type=content_type)
    slow = sorted(TIMES, key=lambda k: -TIMES[k])[:5]
    print("\nslowest endpoints (s):", ", ".join(f"{k} {TIMES[k]:.1f}" for k in slow))
    assert sent > 400
    assert not problems, f"{len(problems)} of {sent} requests:\n" + "\n".join(problems[:60])
