"""Fixtures: a small site in tmp_path per test, the app over it, its test client and CLI runner."""

import os
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import quire.workers
from quire import create_app

# The browser tests' fixtures and helpers (tests/test_browser_*.py) live in their own module.
pytest_plugins = ["browser_fixtures"]
# Under mutmut every mutant runs the same files (one render-cache fingerprint): a render cache shared between
# tests, like the example site's, would hand one mutant's rendered posts to the next.
if "MUTANT_UNDER_TEST" in os.environ:
    os.environ["QUIRE_CACHE_DIR"] = "off"

PROJECT = Path(__file__).resolve().parent.parent
# The one dependency outside the repository: real corpora and references beside the project, read by shared().
SHARED = PROJECT.parent / "shared"

SITE_TOML = """\
title = "Test Blog"
description = "A blog for tests."
author = "Ada Tester"
base_url = "https://blog.example.org/"
timezone = "UTC"
menu = [
  { name = "Posts", url = "/" },
  { name = "Archive", url = "/archives/" },
  { name = "Search", url = "/search/" },
  { name = "Tags", url = "/tags/" },
  { name = "Elsewhere", url = "https://elsewhere.example.org/", external = true },
]
home_info_title = "Welcome to the test blog"
home_info_text = "Notes about *testing*."
social = [{ name = "RSS", url = "/index.xml" }, { name = "GitHub", url = "https://github.com/" }]
"""


def lone_dollar(line: int, column: int, path: str = "p.md") -> str:
    """The warning `flask check` gives for a lone dollar sign."""
    return f"{path}:{line}: warning: lone '$' at column {column}: close the math, or write \\$ for a dollar sign"


def post_text(title: str, date: str, body: str = "Some text.", **meta) -> str:
    """Build a Markdown file with YAML front matter."""
    lines = ["---", f"title: {title!r}" if "'" not in title else f'title: "{title}"', f"date: {date}"]
    for key, value in meta.items():
        lines.append(f"{key}: {value}")
    lines.append("---")
    return "\n".join(lines) + "\n" + textwrap.dedent(body).lstrip("\n")


def shared(rel: str) -> Path:
    """Return a path under ../shared, or skip the test when that checkout does not have it."""
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"{rel} is not at {path} (../shared beside the project)")
    return path


def flask_env(site: Path) -> dict[str, str]:
    """The environment in which `python -m flask` serves a site folder with this project's app (no render cache)."""
    env = dict(os.environ, QUIRE_SITE=str(site), FLASK_APP=str(PROJECT / "app.py"), QUIRE_CACHE_DIR="off")
    env.pop("QUIRE_DRAFTS", None)
    return env


def flask(site: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real entry point, `python -m flask ARGS`, over a site folder."""
    return subprocess.run([sys.executable, "-m", "flask", *args], env=flask_env(site), capture_output=True,
                          text=True, timeout=timeout)


class SiteBuilder:
    """Write content files into a test site."""

    def __init__(self, root: Path):
        self.root = root

    def file(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def post(self, name: str, title: str = "A post", date: str = "2024-01-01", body: str = "Some text.",
             **meta) -> Path:
        return self.file(f"posts/{name}.md", post_text(title, date, body, **meta))

    def page(self, name: str, title: str = "A page", body: str = "Page text.", **meta) -> Path:
        return self.file(f"pages/{name}.md", post_text(title, "2024-01-01", body, **meta))


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    (tmp_path / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    (tmp_path / "posts").mkdir()
    (tmp_path / "pages").mkdir()
    return tmp_path


@pytest.fixture
def builder(site_dir: Path) -> SiteBuilder:
    return SiteBuilder(site_dir)


@pytest.fixture
def app(site_dir: Path, monkeypatch):
    monkeypatch.delenv("QUIRE_DRAFTS", raising=False)
    monkeypatch.delenv("QUIRE_SITE", raising=False)
    return create_app(site_dir, config={"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def pools(monkeypatch) -> list[int]:
    """Record the process pools quire.workers starts (their worker counts), on any machine with 2 cores or more."""
    started = []

    class CountedPool(ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            started.append(kwargs["max_workers"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(quire.workers, "ProcessPoolExecutor", CountedPool)
    monkeypatch.setattr(quire.workers.os, "cpu_count", lambda: 2)
    for thread in threading.enumerate():  # workers are forked only when no other thread runs: let them end
        if thread is not threading.current_thread():
            thread.join(timeout=5)
    return started
