"""Who may do what on the desk: argon2 password hashes, login lockout, roles and scope, CSRF tokens.

Roles (OWASP ASVS V4, deny by default): an analyst sees and acts on their own office's lists (of their
lane), a supervisor on every office of their lane (plus its audit log and capacities), an admin
manages users and sees no list.
"""
from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.contracts import LANES
from core.settings import Settings
from customs_risk.desk.store import Store, now

ROLES = ("analyst", "supervisor", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
OFFICE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
MIN_PASSWORD = 12
# Lockout (ASVS 2.2.1): this many failures within the window lock the name for the window.
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)

_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-password-" + secrets.token_hex(8))


@dataclass(frozen=True)
class User:
    username: str
    role: str
    office: str | None
    lane: str | None

    def may_see(self, lane: str, office: str) -> bool:
        """Whether this user may see and act on ``office``'s list of ``lane``."""
        if self.role == "analyst":
            return office == self.office and (self.lane is None or lane == self.lane)
        if self.role == "supervisor":
            return lane == self.lane
        return False

    @property
    def supervises(self) -> bool:
        return self.role == "supervisor"


class UserError(ValueError):
    """A user cannot be created as asked (one line for the command)."""


def check_user_fields(username: str, role: str, office: str | None, lane: str | None, password: str) -> None:
    if not USERNAME.match(username):
        raise UserError(f"user name {username!r}: 2-64 of a-z 0-9 _ . - (starting with a letter or digit)")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if lane is not None and lane not in LANES:
        raise UserError(f"lane must be one of {', '.join(LANES)}, got {lane!r}")
    if office is not None and not OFFICE.match(office):
        raise UserError(f"office {office!r} is not an office code")
    if role == "analyst" and (office is None or lane is None):
        raise UserError("an analyst needs --office and --lane (the list they work)")
    if role == "supervisor" and (lane is None or office is not None):
        raise UserError("a supervisor needs --lane (every office of it) and no --office")
    if role == "admin" and (lane is not None or office is not None):
        raise UserError("an admin manages users and has no --office or --lane")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must have at least {MIN_PASSWORD} characters")


def add_user(store: Store, username: str, role: str, office: str | None, lane: str | None,
             password: str, by: str | None = None) -> bool:
    """Create (or update) a user with an argon2 hash of the password; True when new. Audited."""
    check_user_fields(username, role, office, lane, password)
    created = store.upsert_user(username, _hasher.hash(password), role, office, lane)
    store.log(by, "user_added" if created else "user_updated", lane, office,
              {"user": username, "role": role})
    return created


def locked_until(store: Store, username: str) -> dt.datetime | None:
    """When the name unlocks, if too many recent failures locked it (unknown names lock the same way)."""
    failures = store.failures_since(username, now() - LOCKOUT)
    if len(failures) >= MAX_FAILURES:
        return failures[-1] + LOCKOUT
    return None


def authenticate(store: Store, username: str, password: str) -> tuple[User | None, str]:
    """(user, '') on success, else (None, why) with why in {'locked', 'invalid'}. Failures are counted."""
    username = username.strip().lower()
    if locked_until(store, username) is not None:
        return None, "locked"
    row = store.user(username)
    try:
        _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
        ok = row is not None and bool(row["active"])
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        store.record_failure(username)
        return None, "locked" if locked_until(store, username) is not None else "invalid"
    store.clear_failures(username)
    if _hasher.check_needs_rehash(row["password_hash"]):
        store.upsert_user(username, _hasher.hash(password), row["role"], row["office"], row["lane"])
    return User(row["username"], row["role"], row["office"], row["lane"]), ""


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def session_secret(settings: Settings) -> str:
    """The cookie-signing key: the setting, else a random one kept (mode 600) under the home."""
    if settings.desk_secret:
        return settings.desk_secret
    path = Path(settings.home) / "desk_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()
