"""Signing in and out, throttled guesses, inactive accounts, changing one's own password."""
import re
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlmodel import select

from inspector.models import AuditLog, LoginAttempt, User, utcnow
from inspector.services import throttle, users

from . import factories

PASSWORD = "correct-horse-1"


@pytest.fixture
def people(db):
    """A county with an inspector and a township user (password 'correct-horse-1')."""
    c = factories.county(db)
    wang = factories.user(db, c["county"], username="wangfang")
    town = factories.user(db, c["town_a"], username="town-a", role="township")
    db.commit()
    return {"c": c, "wang": wang, "town": town}


def post_login(client, username, password, **kw):
    return client.post("/login", data={"username": username, "password": password}, **kw)


def test_sign_in_and_out(client, people):
    r = post_login(client, "wangfang", PASSWORD)
    assert r.status_code == 303 and r.headers["Location"] == "/"
    assert client.get("/account/password").status_code == 200
    out = client.post("/logout")
    assert out.status_code == 303 and out.headers["Location"] == "/login"
    assert "已退出登录" in client.get("/login").get_data(as_text=True)
    assert client.get("/account/password").status_code == 302  # signed out: back to the login page


def test_a_wrong_password_and_an_unknown_user_read_the_same(client, db, people):
    wrong = post_login(client, "wangfang", "not-the-password")
    unknown = post_login(client, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 422
    for page in (wrong.get_data(as_text=True), unknown.get_data(as_text=True)):
        assert "用户名或密码不正确" in page and "不存在" not in page and "停用" not in page
    rows = db.exec(select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert [(r.username, r.ok, r.ip) for r in rows] == [("wangfang", False, "127.0.0.1"),
                                                        ("nobody-here", False, "127.0.0.1")]


def test_an_unknown_user_costs_one_argon2_verification_like_a_known_one(client, people, monkeypatch):
    calls = []
    real = users._hasher

    class Counting:
        def hash(self, password):
            return real.hash(password)

        def verify(self, hash_, password):
            calls.append(hash_[:9])
            return real.verify(hash_, password)

    monkeypatch.setattr(users, "_hasher", Counting())
    post_login(client, "wangfang", "not-the-password")
    post_login(client, "nobody-here", "not-the-password")
    assert calls == ["$argon2id", "$argon2id"]  # the unknown name was checked against a dummy hash


def test_only_local_next_targets_are_followed(client, people):
    assert post_login(client, "wangfang", PASSWORD, query_string={"next": "/sites/"}).headers["Location"] == "/sites/"
    client.post("/logout")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = post_login(client, "wangfang", PASSWORD, query_string={"next": target})
        assert r.headers["Location"] == "/", target
        client.post("/logout")


def test_an_inactive_user_cannot_sign_in_and_is_signed_out(client, db, people):
    post_login(client, "wangfang", PASSWORD)
    wang = db.get(User, people["wang"].id)
    wang.active = False
    db.commit()
    assert client.get("/account/password").status_code == 302  # the running session ends at once
    r = post_login(client, "wangfang", PASSWORD)
    assert r.status_code == 422 and "账号已停用" in r.get_data(as_text=True)
    wrong = post_login(client, "wangfang", "not-the-password")  # without the password: the usual words
    assert wrong.status_code == 422 and "停用" not in wrong.get_data(as_text=True)


def test_the_session_is_permanent_with_the_configured_lifetime(app, client, people):
    r = post_login(client, "wangfang", PASSWORD)
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("inspector_session=")
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert abs(expires - utcnow() - timedelta(hours=12)) < timedelta(minutes=1)  # a working day in the field


def test_throttle_counts_failures_per_account_and_per_address(db, people):
    limits = throttle.Limits(per_account=5, per_ip=20, window_s=900)
    now = utcnow()
    for n in range(4):
        throttle.record(session=db, username="wangfang", ip="10.0.0.1", ok=False, now=now - timedelta(minutes=n))
    throttle.record(session=db, username="wangfang", ip="10.0.0.1", ok=True, now=now)
    db.commit()
    assert throttle.wait_minutes(session=db, username="wangfang", ip="10.0.0.1", limits=limits, now=now) is None
    throttle.record(session=db, username="wangfang", ip="10.0.0.1", ok=False, now=now)
    db.commit()  # five failures: the success in between forgave nothing
    # the fifth-newest failure was 3 minutes ago: it leaves the 15-minute window in 12 minutes
    assert throttle.wait_minutes(session=db, username="wangfang", ip="10.0.0.1", limits=limits, now=now) == 12
    # issue 14 point 9: failures count per (account, address): the owner elsewhere is not locked out
    assert throttle.wait_minutes(session=db, username="wangfang", ip="10.0.0.9", limits=limits, now=now) is None
    assert throttle.wait_minutes(session=db, username="town-a", ip="10.0.0.1", limits=limits, now=now) is None
    assert throttle.wait_minutes(session=db, username="town-a", ip="10.0.0.1", now=now,
                                 limits=throttle.Limits(per_account=5, per_ip=5, window_s=900)) == 12
    assert throttle.failures(session=db, username="wangfang", limits=limits, now=now) == 5
    later = now + timedelta(minutes=12, seconds=1)
    assert throttle.wait_minutes(session=db, username="wangfang", ip="10.0.0.1", limits=limits, now=later) is None


def test_twenty_failures_from_one_address_block_every_account_from_it(app, client, db, people):
    for n in range(20):
        assert post_login(client, f"guess-{n}", "wrong-password").status_code == 422
    r = post_login(client, "town-a", PASSWORD)
    assert r.status_code == 429 and "登录失败次数过多，请 15 分钟后再试" in r.get_data(as_text=True)
    other = post_login(client, "town-a", PASSWORD, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 303  # another address is not affected


def test_the_wait_is_in_whole_minutes_and_sent_as_retry_after(client, db, people):
    past = utcnow() - timedelta(minutes=10, seconds=30)
    for _ in range(5):
        throttle.record(session=db, username="wangfang", ip="127.0.0.1", ok=False, now=past)  # the client's address
    db.commit()
    r = post_login(client, "wangfang", PASSWORD)
    assert r.status_code == 429 and "请 5 分钟后再试" in r.get_data(as_text=True)
    assert r.headers["Retry-After"] == "300"


def test_old_attempts_are_pruned(db, people):
    now = utcnow()
    throttle.record(session=db, username="wangfang", ip="1.1.1.1", ok=False, now=now - timedelta(days=91))
    throttle.record(session=db, username="wangfang", ip="1.1.1.1", ok=False, now=now - timedelta(days=1))
    db.commit()
    assert throttle.prune(session=db, older_than=timedelta(days=90), now=now) == 1
    db.commit()
    assert len(db.exec(select(LoginAttempt)).all()) == 1


# ---------------------------------------------------------------- changing one's password

def change(client, current, new, repeat=None):
    return client.post("/account/password", data={"current": current, "new": new,
                                                   "repeat": new if repeat is None else repeat})


@pytest.mark.parametrize("current, new, repeat, message", [
    ("wrong-password", "new-password-1", None, "当前密码不正确"),
    (PASSWORD, "new-password-1", "new-password-2", "两次输入的新密码不一致"),
    (PASSWORD, "short7!", None, "密码至少 8 位"),
    (PASSWORD, PASSWORD, None, "新密码不能与当前密码相同"),
])
def test_a_bad_password_change_is_refused_with_the_reason(client, db, people, login_as, current, new, repeat, message):
    login_as(people["wang"])
    r = change(client, current, new, repeat)
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert users.check_password(db.get(User, people["wang"].id), PASSWORD)
    assert not db.exec(select(AuditLog).where(AuditLog.action == "change_password")).all()


def test_changing_the_password_ends_other_sessions_and_is_audited_without_the_password(app, client, db, people,
                                                                                       login_as):
    login_as(people["wang"])
    phone = app.test_client()
    assert post_login(phone, "wangfang", PASSWORD).status_code == 303
    r = change(client, PASSWORD, "brand-new-pass-9")
    assert r.status_code == 303
    assert client.get("/account/password").status_code == 200  # this session goes on
    assert phone.get("/account/password").status_code == 302  # the other device is signed out
    client.post("/logout")
    assert post_login(client, "wangfang", PASSWORD).status_code == 422
    assert post_login(client, "wangfang", "brand-new-pass-9").status_code == 303
    row = db.exec(select(AuditLog).where(AuditLog.action == "change_password")).one()
    text = repr((row.before, row.after))
    assert row.user_id == row.entity_id == people["wang"].id and row.entity == "user"
    assert "brand-new-pass-9" not in text and "argon2" not in text and PASSWORD not in text


def test_wrong_current_passwords_count_towards_the_throttle(client, db, people, login_as):
    login_as(people["wang"])
    for _ in range(5):
        assert change(client, "wrong-password", "new-password-1").status_code == 422
    r = change(client, PASSWORD, "new-password-1")
    assert r.status_code == 429 and "登录失败次数过多" in r.get_data(as_text=True)


def test_the_password_page_says_what_is_needed(client, people, login_as):
    login_as(people["wang"])
    page = client.get("/account/password").get_data(as_text=True)
    assert "当前密码" in page and "再次输入新密码" in page and "至少 8 位" in page
    assert 'name="csrf_token"' in page


def test_production_hashes_are_argon2id_at_rfc_9106_cost_and_sign_in_works(client, db, people):
    """The suite hashes cheaply (conftest); the app's own hasher uses RFC 9106's low-memory
    parameters, and an account stored with such a hash signs in."""
    from argon2 import PasswordHasher, extract_parameters, profiles
    assert users.HASH_PARAMETERS == profiles.RFC_9106_LOW_MEMORY
    real = PasswordHasher.from_parameters(users.HASH_PARAMETERS).hash(PASSWORD)
    params = extract_parameters(real)
    assert (params.type.name, params.time_cost, params.memory_cost, params.parallelism) == ("ID", 3, 65536, 4)
    wang = db.get(User, people["wang"].id)
    wang.password_hash = real
    db.add(wang)
    db.commit()
    assert post_login(client, "wangfang", "wrong-horse-2").status_code == 422
    assert post_login(client, "wangfang", PASSWORD).status_code == 303


def test_one_address_cannot_lock_the_owner_out(client, db, people):
    """Issue 14 point 9: five wrong passwords from an attacker's address lock that pair, not the account."""
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    for _ in range(5):
        assert post_login(client, "wangfang", "wrong-password", environ_base=attacker).status_code == 422
    assert post_login(client, "wangfang", PASSWORD, environ_base=attacker).status_code == 429
    assert post_login(client, "wangfang", PASSWORD).status_code == 303  # the owner on their own phone
