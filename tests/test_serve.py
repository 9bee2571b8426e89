"""Serving the live app with a production WSGI server: a short bounded run of bench/serve.py."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from conftest import PROJECT


@pytest.mark.skipif(importlib.util.find_spec("waitress") is None, reason="waitress is not installed ('.[serve]')")
def test_waitress_serves_under_load_while_posts_are_saved(tmp_path):
    report = tmp_path / "serve.json"
    result = subprocess.run([sys.executable, str(PROJECT / "bench" / "serve.py"), "--clients", "4", "--seconds",
                             "2", "--warmup", "1", "--posts", "5", "--json", str(report)],
                            capture_output=True, text=True, timeout=120, env=dict(os.environ))
    figures = json.loads(report.read_text())
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert figures["server"] == "waitress" and figures["errors"] == 0 and figures["warmup_errors"] == 0
    assert figures["requests"] > 10 and figures["saves"] >= 2 and figures["rss_start_mib"] > 10
