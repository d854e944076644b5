"""Accounts of the upload page: one per reporting unit, and district accounts that see every unit.

Stored in ``<data root>/portal/accounts.json`` (owner-only, 0600, in an owner-only folder; never in git): per
account its role (``unit`` or ``district``), its unit's code for a unit account, an Argon2id hash of its password
(argon2-cffi's defaults), whether it is disabled, and when it was created and its password last set. Passwords are
generated here (:func:`new_password`), shown once to whoever runs the command, and never stored or logged in clear.

A unit account is named by its unit's code (``22828``, ``NHCS``): its identity is the unit's (configuration
``units``/``offices``), so it sees what the unit sent whatever its name became. A district account has a name of
the office's choosing (letters, digits, ``-``, ``_``; a role such as ``phong-ldtbxh``, not a person's name).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from pipeline.files import atomic_path, ensure_dir
from pipeline.paths import data_root

UNIT = "unit"
DISTRICT = "district"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
PASSWORD_BYTES = 12  # 16 URL-safe characters
_HASHER = PasswordHasher()
# Verified against when the account does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(PASSWORD_BYTES))


class AccountError(ValueError):
    """An account that cannot be created, reset or changed; the message (Vietnamese) says why."""


@dataclass(frozen=True)
class Account:
    """One account. ``unit``: the unit's code (unit accounts), None for district accounts. Times are aware."""

    name: str
    role: str
    unit: str | None
    password_hash: str
    disabled: bool
    created_at: dt.datetime
    password_set_at: dt.datetime

    def may_see(self, unit_code: str | None) -> bool:
        """Whether this account may see a unit's versions, findings and files (a district account: every unit)."""
        return self.role == DISTRICT or (unit_code is not None and unit_code == self.unit)


def portal_dir(root: Path) -> Path:
    """``<data root>/portal/``: accounts, the session key and the record of refusals (owner-only)."""
    return data_root(root) / "portal"


def accounts_file(root: Path) -> Path:
    return portal_dir(root) / "accounts.json"


def new_password() -> str:
    """A generated password: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


def _encode(account: Account) -> dict[str, object]:
    out = asdict(account)
    out["created_at"] = account.created_at.isoformat()
    out["password_set_at"] = account.password_set_at.isoformat()
    return out


def _decode(raw: dict[str, object]) -> Account:
    unit = raw.get("unit")
    return Account(name=str(raw["name"]), role=str(raw["role"]), unit=str(unit) if unit else None,
                   password_hash=str(raw["password_hash"]), disabled=bool(raw.get("disabled")),
                   created_at=dt.datetime.fromisoformat(str(raw["created_at"])),
                   password_set_at=dt.datetime.fromisoformat(str(raw["password_set_at"])))


class AccountStore:
    """The accounts of one data root. Reads the file at each call (the page and the command share it); writes
    replace it atomically under an ``flock`` of ``accounts.json.lock``."""

    def __init__(self, root: Path) -> None:
        self.path = accounts_file(root)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        ensure_dir(self.path.parent, private=True)
        os.chmod(self.path.parent, 0o700)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield

    def all(self) -> dict[str, Account]:
        """Every account by name (empty when none was created)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {name: _decode(a) for name, a in raw.get("accounts", {}).items()}

    def get(self, name: str) -> Account | None:
        """The account named ``name``, letter case aside (``nhcs`` is the office NHCS's account)."""
        accounts = self.all()
        return accounts.get(name) or next((a for n, a in accounts.items() if n.casefold() == name.casefold()), None)

    def _save(self, accounts: dict[str, Account]) -> None:
        text = json.dumps({"accounts": {n: _encode(a) for n, a in sorted(accounts.items())}}, ensure_ascii=False,
                          indent=1)
        with atomic_path(self.path, private=True, mode=0o600) as tmp:
            tmp.write_text(text, encoding="utf-8")

    def create(self, name: str, *, role: str, unit: str | None, now: dt.datetime) -> str:
        """Create an account; returns its generated password (shown once: it is stored hashed only).

        Raises:
            AccountError: the name is taken or malformed, or a unit account lacks its unit.
        """
        if role == UNIT and not unit:
            raise AccountError("Tài khoản đơn vị cần mã đơn vị.")
        if role == DISTRICT and not NAME.match(name):
            raise AccountError(f"Tên tài khoản {name!r} không hợp lệ: chỉ dùng chữ thường không dấu, chữ số, '-' và "
                               "'_' (2–40 ký tự), ví dụ phong-ldtbxh.")
        password = new_password()
        with self._locked():
            accounts = self.all()
            if name in accounts:
                raise AccountError(f"Đã có tài khoản {name}: dùng lệnh reset để cấp mật khẩu mới.")
            accounts[name] = Account(name, role, unit if role == UNIT else None, _HASHER.hash(password), False, now,
                                     now)
            self._save(accounts)
        return password

    def reset(self, name: str, *, now: dt.datetime) -> str:
        """Give an account a new generated password (and enable it); its open sessions end. Returns the password.

        Raises:
            AccountError: no such account.
        """
        password = new_password()
        with self._locked():
            accounts = self.all()
            if name not in accounts:
                raise AccountError(f"Không có tài khoản {name}.")
            accounts[name] = replace(accounts[name], password_hash=_HASHER.hash(password), disabled=False,
                                     password_set_at=now)
            self._save(accounts)
        return password

    def set_disabled(self, name: str, disabled: bool) -> Account:
        """Disable (or enable again) an account: a disabled account cannot log in and its sessions end.

        Raises:
            AccountError: no such account.
        """
        with self._locked():
            accounts = self.all()
            if name not in accounts:
                raise AccountError(f"Không có tài khoản {name}.")
            accounts[name] = replace(accounts[name], disabled=disabled)
            self._save(accounts)
            return accounts[name]

    def verify(self, name: str, password: str) -> Account | None:
        """The account when ``password`` is its password and it is enabled, else None (as long either way)."""
        account = self.get(name)
        try:
            _HASHER.verify(account.password_hash if account else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if account is None or account.disabled:
            return None
        return account
