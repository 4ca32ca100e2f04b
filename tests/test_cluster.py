"""Two app nodes behind Debian's nginx with one job worker, PostgreSQL and Redis, started by
`deploy/local-cluster` exactly as the README's deployment guide says (node a on granian, node b on
gunicorn): 50 autosaving phones over both nodes lose and duplicate nothing, a session moves between
nodes, a job queued on node A runs on the worker and downloads from node B (and from A)."""
from __future__ import annotations

import http.cookiejar
import io
import json
import os
import random
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from inspector.core.checklist import load_dir

from . import samples

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PASSWORD = "demo-pass-2026"  # the demo accounts'
CLIENTS, ITEMS, ROUNDS = 50, 6, 2


@pytest.fixture
def cluster(tmp_path_factory):
    """The cluster of deploy/local-cluster with the demo county; stopped and removed afterwards.
    One test uses it (below), so a parallel run starts one cluster, on one xdist worker."""
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        pytest.fail("nginx not installed: ./dev.sh setup installs Debian's nginx")
    state_dir = tmp_path_factory.mktemp("cluster")
    started = subprocess.run([str(ROOT / "deploy" / "local-cluster"), "start", "--demo", "--dir", str(state_dir)],
                             capture_output=True, text=True, timeout=300)
    if started.returncode != 0:
        message = f"deploy/local-cluster start failed: {started.stderr[-2000:]}"
        if not IN_CI and ("Connection refused" in started.stderr or "could not connect" in started.stderr):
            pytest.skip(message + " (PostgreSQL or Redis not running; CI=true makes this a failure)")
        pytest.fail(message)
    state = json.loads(started.stdout)
    engine = create_engine(state["database_url"])
    yield dict(state, engine=engine, dir=state_dir)
    engine.dispose()
    subprocess.run([str(ROOT / "deploy" / "local-cluster"), "stop", "--dir", str(state_dir)], check=True, timeout=120)
    assert not state_dir.exists()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Phone:
    """A browser-like HTTP client: cookies, the CSRF token htmx sends, which node answered."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())
        self.token = ""
        self.upstreams: Counter[str] = Counter()

    def request(self, method: str, path: str, data: dict | None = None, *, base: str | None = None):
        """(status, headers, body bytes) of a request; a redirect is returned, not followed."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request((base or self.base) + path, data=body, method=method)
        if self.token:
            req.add_header("X-CSRFToken", self.token)
        try:
            with self.opener.open(req, timeout=60) as r:
                status, headers, content = r.status, r.headers, r.read()
        except urllib.error.HTTPError as exc:
            status, headers, content = exc.code, exc.headers, exc.read()
        if headers.get("X-Upstream"):
            self.upstreams[headers["X-Upstream"]] += 1
        return status, headers, content

    def login(self, username: str) -> None:
        """Sign in through the login form (with its CSRF token) and keep the page's token for htmx posts."""
        _s, _h, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        status, headers, body = self.request("POST", "/login", {"username": username, "password": PASSWORD,
                                                               "csrf_token": token})
        assert status == 303, body[:500]
        _s, _h, home = self.request("GET", "/")
        self.token = re.search(rb'"X-CSRFToken": "([^"]+)"', home).group(1).decode()


def _items() -> list[str]:
    """Check items of the build standard that every demo site answers (village or community, 达标村)."""
    spec = load_dir(ROOT / "checklists")["build-standard"]
    return [i.id for i in spec.items() if i.kind == "check" and i.applies("standard", "village")
            and i.applies("standard", "community")][:ITEMS]


def fifty_phones_over_both_nodes_lose_and_duplicate_nothing(cluster):
    """50 phones autosave through nginx: every acknowledged save stored once, both nodes serving."""
    with cluster["engine"].connect() as conn:
        site_rows = conn.execute(text("SELECT id, lat, lon FROM site ORDER BY id")).all()
    items = _items()
    assert len(site_rows) >= 10 and len(items) == ITEMS
    phones = [Phone(cluster["url"]) for _ in range(CLIENTS)]
    sent: dict[tuple[int, str], str] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def phone_works(n: int, phone: Phone) -> None:
        try:
            rng = random.Random(n)
            phone.login("inspector")
            site = site_rows[n % len(site_rows)]
            status, headers, body = phone.request("POST", f"/sites/{site.id}/inspections", {
                "purpose": "inspection", "checklist": "build-standard", "tier": "standard",
                "lat": site.lat or "", "lon": site.lon or "", "accuracy": "10"})
            assert status == 303, body[:300]
            ins = int(headers["Location"].rsplit("/", 1)[1])
            for version in range(ROUNDS):
                for item in items:
                    value = rng.choice(("pass", "fail"))
                    form = {"value": value, "client_id": f"p{n}-{item}-{version}", "base_version": str(version),
                            "device_id": f"phone-{n}"}
                    for _attempt in range(2 if rng.random() < 0.2 else 1):  # a lost reply: the phone sends again
                        status, _h, body = phone.request("POST", f"/inspections/{ins}/items/{item}", form)
                        assert status == 303, (status, body[:300])
                    with lock:
                        sent[(ins, item)] = value
        except Exception as exc:  # noqa: BLE001 - reported below with the phone's number
            errors.append(f"phone {n}: {exc!r}")

    threads = [threading.Thread(target=phone_works, args=(n, p)) for n, p in enumerate(phones)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors[:5]
    with cluster["engine"].connect() as conn:
        rows = conn.execute(text("SELECT inspection_id, item_id, value, version FROM answer WHERE inspection_id IN "
                                 "(SELECT id FROM inspection WHERE status = 'draft' AND purpose = 'inspection' "
                                 "AND created_by_id = (SELECT id FROM \"user\" WHERE username = 'inspector'))")).all()
    stored = {(r.inspection_id, r.item_id): r for r in rows if (r.inspection_id, r.item_id) in sent}
    lost = [k for k, v in sent.items() if k not in stored or json.loads(json.dumps(stored[k].value)) != v]
    duplicated = [k for k, r in stored.items() if r.version != ROUNDS]
    assert len(sent) == CLIENTS * ITEMS
    assert (len(lost), len(duplicated)) == (0, 0), (lost[:5], duplicated[:5])
    served = sum((p.upstreams for p in phones), Counter())
    nodes = {u.removeprefix("http://") for u in cluster["nodes"].values()}
    assert set(served) == nodes, served  # both nodes took saves …
    assert min(served.values()) > 0.3 * sum(served.values()), served  # … about evenly (round robin)


def a_signed_in_session_moves_between_nodes(cluster):
    """The cookie of a sign-in through nginx opens pages on node A, node B and A again."""
    phone = Phone(cluster["url"])
    phone.login("county")
    for node in ("a", "b", "a"):
        status, _h, page = phone.request("GET", "/", base=cluster["nodes"][node])
        assert status == 200 and "县委组织部 李明".encode() in page and "退出".encode() in page, node
        status, _h, _b = phone.request("GET", "/dashboard/", base=cluster["nodes"][node])
        assert status == 200, node  # a page that needs the session and the county's rights
    stranger = Phone(cluster["url"])
    assert stranger.request("GET", "/dashboard/", base=cluster["nodes"]["b"])[0] == 302  # no cookie: sign in


def a_job_queued_on_node_a_runs_on_the_worker_and_downloads_from_node_b(cluster):
    """An export asked of node A is run by the RQ worker; node B shows its progress and serves the file."""
    phone = Phone(cluster["url"])
    phone.login("county")
    status, headers, body = phone.request("POST", "/jobs/export", {"checklist": "build-standard"},
                                          base=cluster["nodes"]["a"])
    assert status == 303, body[:300]
    public_id = headers["Location"].rsplit("/", 1)[1]
    deadline, html = time.monotonic() + 180, b""
    while time.monotonic() < deadline:
        _s, _h, html = phone.request("GET", f"/jobs/{public_id}/status", base=cluster["nodes"]["b"])
        if b'data-status="done"' in html or b'data-status="failed"' in html:
            break
        time.sleep(0.5)
    assert b'data-status="done"' in html, html[:800]
    status, headers, data = phone.request("GET", f"/jobs/{public_id}/result", base=cluster["nodes"]["b"])
    assert status == 200 and headers["Content-Type"].endswith("spreadsheetml.sheet")
    again = phone.request("GET", f"/jobs/{public_id}/result", base=cluster["nodes"]["a"])  # the file through granian
    assert again[0] == 200 and again[2] == data
    with cluster["engine"].connect() as conn:
        sites = conn.execute(text("SELECT count(*) FROM site")).scalar_one()
        job_id = conn.execute(text("SELECT id FROM job WHERE public_id = :p"), {"p": public_id}).scalar_one()
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == sites
    logs = {name: (cluster["dir"] / f"{name}.log").read_text() for name in ("worker", "node-a", "node-b")}
    assert f"inspector job {job_id}" in logs["worker"]  # RQ's worker ran it, not a node's thread
    assert "inspector-jobs" not in logs["node-a"] + logs["node-b"]


def a_photo_uploaded_through_node_a_is_served_by_node_b(cluster):
    """A multipart photo upload to the granian node is stored in the shared media folder; the
    gunicorn node serves its thumbnail and the original byte for byte."""
    phone = Phone(cluster["url"])
    phone.login("inspector")
    with cluster["engine"].connect() as conn:
        site = conn.execute(text("SELECT id, lat, lon FROM site WHERE lat IS NOT NULL ORDER BY id")).first()
    status, headers, body = phone.request("POST", f"/sites/{site.id}/inspections", {
        "purpose": "inspection", "checklist": "build-standard", "tier": "standard",
        "lat": site.lat, "lon": site.lon, "accuracy": "10"}, base=cluster["nodes"]["a"])
    assert status == 303, body[:300]
    ins = int(headers["Location"].rsplit("/", 1)[1])
    photo = samples.jpeg(lat=site.lat, lon=site.lon)
    parts, content_type = samples.multipart({"lat": site.lat, "lon": site.lon, "accuracy": "8"}, "photos",
                                            "IMG_0001.JPG", photo)
    req = urllib.request.Request(f"{cluster['nodes']['a']}/inspections/{ins}/items/premises-exists/photos",
                                 data=parts, method="POST", headers={
                                     "Content-Type": content_type,
                                     "HX-Request": "true", "X-CSRFToken": phone.token})
    with phone.opener.open(req, timeout=60) as r:
        assert r.status == 200
        reply = r.read().decode()
    with cluster["engine"].connect() as conn:
        original, thumb = conn.execute(text("SELECT original, thumb FROM photo WHERE inspection_id = :i"),
                                       {"i": ins}).one()
    assert f"/media/{thumb}" in reply
    status, headers, served = phone.request("GET", f"/media/{thumb}", base=cluster["nodes"]["b"])
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and served[:2] == b"\xff\xd8"
    assert (cluster["dir"] / "media" / original).read_bytes() == photo


def each_node_runs_its_app_server(cluster):
    """Node a is served by granian (the deployment's server), node b by gunicorn (the alternative)."""
    assert cluster["servers"] == {"a": "granian", "b": "gunicorn"}
    for node, server in cluster["servers"].items():
        cmdline = Path(f"/proc/{cluster['pids'][f'node-{node}']}/cmdline").read_bytes().split(b"\0")
        assert any(Path(arg.decode()).name == server for arg in cmdline[:2]), (node, cmdline)
        assert b"inspector.wsgi:app" in cmdline, (node, cmdline)


def test_two_nodes_behind_nginx_with_one_worker(cluster):
    each_node_runs_its_app_server(cluster)
    a_signed_in_session_moves_between_nodes(cluster)
    a_photo_uploaded_through_node_a_is_served_by_node_b(cluster)
    fifty_phones_over_both_nodes_lose_and_duplicate_nothing(cluster)
    a_job_queued_on_node_a_runs_on_the_worker_and_downloads_from_node_b(cluster)
