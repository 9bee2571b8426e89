"""The file watchers behind live reload: inotify and polling give the same answers."""

import os
import time
from pathlib import Path

import pytest

from quire import watch
from quire.watch import EVERYTHING, Inotify, Polling, watcher


@pytest.fixture(params=["inotify", "polling"])
def kind(request):
    if request.param == "inotify":
        try:
            Inotify([], []).close()
        except (OSError, AttributeError) as exc:
            pytest.skip(f"no inotify here ({exc})")
    return request.param


def make(kind: str, site: Path):
    trees = [site / "posts", site / "templates"]
    files = [site / "site.toml"]
    return Inotify(trees, files) if kind == "inotify" else Polling(trees, files)


def collect(watcher_, until: set[str], seconds: float = 5.0) -> set[str]:
    """Gather changes until every path in `until` is among them (or time runs out)."""
    found: set[str] = set()
    deadline = time.monotonic() + seconds
    while not until <= found and time.monotonic() < deadline:
        found |= watcher_.changes(0.1)
    return found


@pytest.fixture
def site(tmp_path):
    (tmp_path / "posts").mkdir()
    (tmp_path / "site.toml").write_text("title = 'x'\n")
    (tmp_path / "posts" / "a.md").write_text("a")
    return tmp_path


def test_edit_create_delete_and_rename(kind, site):
    w = make(kind, site)
    try:
        assert w.changes(0.05) == set()
        time.sleep(0.01)  # the polling watcher compares mtimes: let them move on
        (site / "posts" / "a.md").write_text("changed, and longer")
        assert str(site / "posts" / "a.md") in collect(w, {str(site / "posts" / "a.md")})
        (site / "posts" / "b.md").write_text("b")
        assert str(site / "posts" / "b.md") in collect(w, {str(site / "posts" / "b.md")})
        (site / "posts" / "b.md").unlink()
        assert str(site / "posts" / "b.md") in collect(w, {str(site / "posts" / "b.md")})
        # An editor's atomic save: write beside, then rename over the file.
        (site / "posts" / ".a.md.tmp").write_text("saved atomically")
        os.replace(site / "posts" / ".a.md.tmp", site / "posts" / "a.md")
        assert str(site / "posts" / "a.md") in collect(w, {str(site / "posts" / "a.md")})
        (site / "site.toml").write_text("title = 'changed'\n")
        assert str(site / "site.toml") in collect(w, {str(site / "site.toml")})
    finally:
        w.close()


def test_new_folders_are_watched_too(kind, site):
    w = make(kind, site)
    try:
        bundle = site / "posts" / "bundle"
        bundle.mkdir()
        (bundle / "index.md").write_text("x")
        assert str(bundle / "index.md") in collect(w, {str(bundle / "index.md")})
        time.sleep(0.05)
        (bundle / "figure.svg").write_text("<svg/>")
        assert str(bundle / "figure.svg") in collect(w, {str(bundle / "figure.svg")})
        # A watched tree that did not exist yet (templates/) is watched once it is created.
        (site / "templates").mkdir()
        (site / "templates" / "base.html").write_text("x")
        assert str(site / "templates" / "base.html") in collect(w, {str(site / "templates" / "base.html")})
    finally:
        w.close()


def test_files_outside_the_watched_paths_are_not_reported(kind, site):
    w = make(kind, site)
    try:
        (site / ".quire-cache").mkdir()
        (site / ".quire-cache" / "entry").write_text("x")
        (site / "build").mkdir()
        (site / "build" / "index.html").write_text("x")
        (site / "notes.txt").write_text("x")
        (site / "posts" / "a.md").write_text("now this one")
        found = collect(w, {str(site / "posts" / "a.md")})
        assert found and all(p.startswith(str(site / "posts")) for p in found), found
    finally:
        w.close()


def test_lost_events_mean_everything(site, monkeypatch):
    try:
        w = Inotify([site / "posts"], [])
    except (OSError, AttributeError) as exc:
        pytest.skip(f"no inotify here ({exc})")
    try:
        (site / "posts" / "a.md").write_text("an event, so that the watcher has something to read")
        overflow = watch.EVENT.pack(-1, watch.IN_Q_OVERFLOW, 0, 0)
        monkeypatch.setattr(os, "read", lambda fd, size: overflow)
        assert w.changes(1) == {EVERYTHING}
    finally:
        monkeypatch.undo()
        w.close()


def test_falls_back_to_polling_without_inotify(site, monkeypatch):
    def no_inotify(*args):
        raise OSError(28, "no inotify watches left")

    monkeypatch.setattr(watch, "Inotify", no_inotify)
    assert isinstance(watcher([site / "posts"], []), Polling)
    assert isinstance(watcher([site / "posts"], [], polling=True), Polling)
