"""Accounts of the upload page: generated passwords stored as Argon2id hashes in an owner-only file."""

from __future__ import annotations

import datetime as dt
import stat

import pytest

from pipeline.portal.accounts import DISTRICT, UNIT, AccountError, AccountStore

VN = dt.timezone(dt.timedelta(hours=7))


def test_accounts_are_stored_hashed_owner_only_and_can_be_reset_and_disabled(tmp_path):
    store = AccountStore(tmp_path)
    now = dt.datetime(2023, 5, 3, 9, 0, tzinfo=VN)
    password = store.create("22828", role=UNIT, unit="22828", now=now)
    assert len(password) == 16
    text = store.path.read_text(encoding="utf-8")
    assert password not in text and "$argon2id$" in text
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert store.verify("22828", password).unit == "22828"
    assert store.verify("22828", password + "x") is None and store.verify("22813", password) is None
    with pytest.raises(AccountError, match="Đã có tài khoản 22828"):
        store.create("22828", role=UNIT, unit="22828", now=now)
    with pytest.raises(AccountError, match="không hợp lệ"):
        store.create("Nguyễn Văn A", role=DISTRICT, unit=None, now=now)
    again = store.reset("22828", now=now + dt.timedelta(days=1))
    assert store.verify("22828", password) is None and store.verify("22828", again) is not None
    store.set_disabled("22828", True)
    assert store.verify("22828", again) is None


def test_a_district_account_sees_every_unit_and_a_unit_account_only_its_own(tmp_path):
    store = AccountStore(tmp_path)
    now = dt.datetime(2023, 5, 3, 9, 0, tzinfo=VN)
    store.create("phong-ldtbxh", role=DISTRICT, unit="22828", now=now)
    store.create("22828", role=UNIT, unit="22828", now=now)
    district, unit = store.get("phong-ldtbxh"), store.get("22828")
    assert district.unit is None and district.may_see("22813") and district.may_see("NHCS")
    assert unit.may_see("22828") and not unit.may_see("22813") and not unit.may_see(None)
    with pytest.raises(AccountError, match="Không có tài khoản 22999"):
        store.reset("22999", now=now)
