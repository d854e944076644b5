"""Throttled logins and the record of refusals of the upload page."""

from __future__ import annotations

import datetime as dt
import stat

from pipeline.portal.guard import Record, Throttle


def test_the_throttle_refuses_once_the_limit_is_reached_within_the_window_and_forgets_after_it():
    throttle = Throttle(attempts=5, window_seconds=60)
    keys = ["account:22828", "address:10.0.0.7"]
    for second in range(5):
        assert not throttle.blocked(keys, 1000 + second)
        throttle.failed(keys, 1000 + second)
    assert throttle.blocked(keys, 1005)
    assert throttle.blocked(["address:10.0.0.7"], 1059) and throttle.blocked(["account:22828"], 1059)
    assert not throttle.blocked(["account:22813"], 1005)
    assert not throttle.blocked(keys, 1064.5)  # the five failures are older than a minute
    throttle.failed(keys, 1070)
    throttle.succeeded(["account:22828"])
    assert not throttle.blocked(["account:22828"], 1071)


def test_the_record_is_one_json_line_per_event_owner_only(tmp_path):
    record = Record(tmp_path / "portal" / "nhat-ky.jsonl")
    at = dt.datetime(2023, 5, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    record.write("refused", at=at, account="22828", address="127.0.0.1", path="/ky/2023-6T/don-vi/22813",
                 reason="other_unit")
    record.write("login", at=at, account="phong-ldtbxh", address=None, path="/dang-nhap")
    assert record.read() == [
        {"at": "2023-05-03T09:00:00+07:00", "event": "refused", "account": "22828", "address": "127.0.0.1",
         "path": "/ky/2023-6T/don-vi/22813", "reason": "other_unit"},
        {"at": "2023-05-03T09:00:00+07:00", "event": "login", "account": "phong-ldtbxh", "address": None,
         "path": "/dang-nhap", "reason": ""}]
    assert stat.S_IMODE(record.path.stat().st_mode) == 0o600
