"""Users, case membership and web sessions.

Passwords are argon2id hashes (argon2-cffi). A session cookie carries a random token; the table
keeps only its SHA-256, so reading the database does not let anyone log in.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update

from cumberland.records import Role
from cumberland.store.models import Case, CaseMember, Reveal, User, WebSession
from cumberland.store.workspace import Workspace
from cumberland.store.writer import insert_ignore, upsert

ROLES = tuple(Role)
#: what each role may do beyond reading the cases it is a member of ("manage": split a case
#: among reviewers and settle their disagreements; "trace": cut objects out of revealed
#: pictures for Trace An Object; "approve": let someone else's object be published)
POWERS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset({"categorise", "reveal", "export", "audit", "manage", "trace",
                           "approve"}),
    Role.INVESTIGATOR: frozenset({"categorise", "reveal", "export", "manage", "trace"}),
    Role.REVIEWER: frozenset({"categorise", "reveal"}),
    Role.AUDITOR: frozenset({"audit"}),
    Role.APPROVER: frozenset({"approve"}),
}
_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as much as a wrong password.
_DUMMY = _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A user or case that does not exist, or a role that is not one of ROLES."""


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    role: str

    def can(self, power: str) -> bool:
        return power in POWERS.get(self.role, frozenset())


def add_user(ws: Workspace, name: str, role: str, password: str) -> int:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not name.strip() or len(name) > 200:
        raise AccountError("user name must be 1-200 characters")
    if len(password) < 8:
        raise AccountError("password must have at least 8 characters")
    with ws.session() as session, session.begin():
        if session.scalar(select(User.id).where(User.name == name)) is not None:
            raise AccountError(f"user {name!r} already exists")
        user = User(name=name, role=str(role), password_hash=_hasher.hash(password),
                    created_at=time.time(), disabled=False)
        session.add(user)
        session.flush()
        return int(user.id)


def authenticate(ws: Workspace, name: str, password: str) -> Account | None:
    """The account if ``password`` is right; None otherwise (same work either way)."""
    with ws.session() as session:
        user = session.scalar(select(User).where(User.name == name, User.disabled.is_(False)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        with ws.engine.begin() as conn:
            conn.execute(update(User).where(User.id == user.id).values(
                password_hash=_hasher.hash(password)))
    return Account(user.id, user.name, user.role)


def user_id(ws: Workspace, name: str) -> int:
    with ws.engine.connect() as conn:
        found = conn.scalar(select(User.id).where(User.name == name))
    if found is None:
        raise AccountError(f"no user named {name!r}")
    return int(found)


def grant(ws: Workspace, user: str, case: str) -> None:
    """Make ``user`` a member of ``case`` (idempotent)."""
    uid = user_id(ws, user)
    with ws.engine.begin() as conn:
        cid = conn.scalar(select(Case.id).where(Case.name == case))
        if cid is None:
            raise AccountError(f"no case named {case!r}")
        conn.execute(insert_ignore(conn, CaseMember.__table__).values(  # type: ignore[arg-type]
            case_id=cid, user_id=uid))


def is_member(ws: Workspace, user: int, case: int) -> bool:
    with ws.engine.connect() as conn:
        return conn.scalar(select(CaseMember.case_id).where(
            CaseMember.user_id == user, CaseMember.case_id == case)) is not None


def member_cases(ws: Workspace, user: int) -> list[tuple[int, str]]:
    with ws.engine.connect() as conn:
        rows = conn.execute(select(Case.id, Case.name).join(
            CaseMember, CaseMember.case_id == Case.id).where(CaseMember.user_id == user)
            .order_by(Case.name))
        return [(int(r.id), str(r.name)) for r in rows]


# --- sessions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str
    account: Account
    csrf: str
    last_seen: float
    show_all: bool
    created_at: float = 0.0


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def open_session(ws: Workspace, account: Account) -> str:
    """Start a session; returns the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = time.time()
    with ws.engine.begin() as conn:
        conn.execute(insert_ignore(conn, WebSession.__table__).values(  # type: ignore[arg-type]
            id=_digest(token), user_id=account.id, csrf=secrets.token_urlsafe(32),
            created_at=now, last_seen=now, show_all=False))
    return token


def load_session(ws: Workspace, token: str, idle_timeout: float, touch_after: float = 30.0
                 ) -> SessionInfo | None:
    """The live session of ``token``; an idle one is deleted and None returned."""
    sid = _digest(token)
    now = time.time()
    with ws.session() as orm:
        row = orm.execute(select(WebSession, User).join(User, User.id == WebSession.user_id)
                          .where(WebSession.id == sid)).first()
    if row is None:
        return None
    sess, user = row
    if user.disabled or now - sess.last_seen > idle_timeout:
        close_session(ws, token)
        return None
    if now - sess.last_seen > touch_after:  # bounded write rate, idle precision of touch_after
        with ws.engine.begin() as conn:
            conn.execute(update(WebSession).where(WebSession.id == sid).values(last_seen=now))
    return SessionInfo(sid, Account(user.id, user.name, user.role), sess.csrf, sess.last_seen,
                       bool(sess.show_all), float(sess.created_at))


def close_session(ws: Workspace, token: str) -> None:
    with ws.engine.begin() as conn:
        conn.execute(delete(WebSession).where(WebSession.id == _digest(token)))


def set_show_all(ws: Workspace, session_id: str, show: bool) -> None:
    with ws.engine.begin() as conn:
        conn.execute(update(WebSession).where(WebSession.id == session_id).values(show_all=show))


def add_reveal(ws: Workspace, session_id: str, case: int, sha256: bytes) -> float:
    """Record (or renew) a reveal; returns its time."""
    now = time.time()
    with ws.engine.begin() as conn:
        upsert(conn, Reveal.__table__, ["session_id", "case_id", "media_sha256"],  # type: ignore[arg-type]
               [{"session_id": session_id, "case_id": case, "media_sha256": sha256,
                 "revealed_at": now}])
    return now


def revealed_at(ws: Workspace, session_id: str, case: int, sha256: bytes) -> float | None:
    """When this session last revealed the media (None: never)."""
    with ws.engine.connect() as conn:
        found = conn.scalar(select(Reveal.revealed_at).where(
            Reveal.session_id == session_id, Reveal.case_id == case,
            Reveal.media_sha256 == sha256))
    return None if found is None else float(found)


def revealed(ws: Workspace, session_id: str, case: int, sha256s: list[bytes],
             lasting: float) -> set[bytes]:
    """Which of ``sha256s`` this session revealed in ``case`` less than ``lasting`` seconds
    ago: a reveal is for one item and a set time, then it is blurred again."""
    if not sha256s:
        return set()
    since = time.time() - lasting
    with ws.engine.connect() as conn:
        return {bytes(r) for r in conn.scalars(select(Reveal.media_sha256).where(
            Reveal.session_id == session_id, Reveal.case_id == case,
            Reveal.revealed_at > since, Reveal.media_sha256.in_(sha256s)))}
