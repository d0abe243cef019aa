"""`python -m agenda.loadbench --baseline`: the public pages beside a bare Flask app serving the same bytes."""

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_baseline_serves_the_same_bytes_from_a_bare_app_in_the_same_run():
    result = subprocess.run([sys.executable, "-m", "agenda.loadbench", "--database", "sqlite", "--seconds", "2",
                             "--readers", "2", "--voters", "1", "--workers", "2", "--closed-seconds", "1",
                             "--baseline", "--json"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["public_rps"] > 0 and report["bare_rps"] > 0
    # (the share is of the unrounded figures)
    assert abs(report["public_share"] - report["public_rps"] / report["bare_rps"]) < 0.01
    assert all(try_["errors"] == 0 for try_ in report["bare_closed_loop"])
    # The schedule page, ICS and frab JSON, as the app sent them (gzipped, so smaller than the pages).
    sizes = report["bare_bytes"]
    assert sorted(p.rsplit("/", 1)[-1] for p in sizes) == ["schedule", "schedule.ics", "schedule.json"]
    assert all(n > 500 for n in sizes.values())
