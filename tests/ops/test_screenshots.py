"""The screenshots of docs/: Chromium is run with no route out (unshare -n, loopback only) when allowed."""

from __future__ import annotations

import subprocess

import pytest

from ops import screenshots


def test_the_offline_command_runs_chromium_in_a_network_namespace_with_loopback_only():
    plain = screenshots.offline_command(["--version"], isolate=False)
    assert plain[0] == screenshots.chromium() and plain[-1] == "--version"
    assert "--headless" in plain and "--disable-background-networking" in plain
    isolated = screenshots.offline_command(["--version"])
    assert isolated[:3] == ["unshare", "-n", "sh"] and isolated[-len(plain):] == plain
    if not screenshots.can_isolate():
        pytest.skip("unshare -n is not allowed for this user")
    out = subprocess.run(isolated, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("Chromium ")
    # the same wrapper around `ip`: only loopback, up, and no route beyond it
    wrapper = isolated[:isolated.index("chromium-offline") + 1]
    links = subprocess.run([*wrapper, "ip", "-o", "link"], capture_output=True, text=True, timeout=30).stdout
    assert [line.split(":")[1].strip() for line in links.splitlines()] == ["lo"] and "UP" in links
    routes = subprocess.run([*wrapper, "ip", "route"], capture_output=True, text=True, timeout=30)
    assert routes.stdout.strip() == ""
