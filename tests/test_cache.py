"""The render cache: a warm rebuild after any change is byte-identical to a cold build."""

import os
import shutil

from jinja2 import FileSystemLoader

from quire import create_app
from quire.freeze import MARKER, freeze

from conftest import PROJECT


def tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and p.name != MARKER}


def build(site_dir, dest, monkeypatch, cache, templates=None):
    monkeypatch.setenv("QUIRE_CACHE_DIR", str(cache) if cache else "off")
    app = create_app(site_dir, config={"FREEZER_BASE_URL": "https://blog.example.org/"})
    if templates:
        app.jinja_env.loader = FileSystemLoader(str(templates))
    freeze(app, dest, jobs=2)
    return tree(dest)


def test_warm_rebuilds_match_cold_builds(builder, site_dir, tmp_path, monkeypatch):
    for i in range(24):
        builder.post(f"2024-01-{i + 1:02d}-p{i}", title=f"Post {i}", date=f"2024-01-{i + 1:02d}",
                     tags=f"[t{i % 3}]", body=f"# Part {i}\n\nWords $x_{i}$ and `code`.\n\n```python\nx = {i}\n```\n")
    cache = tmp_path / "cache"
    warm_dest, cold_dest = tmp_path / "warm", tmp_path / "cold"
    first = build(site_dir, warm_dest, monkeypatch, cache)
    assert first == build(site_dir, cold_dest, monkeypatch, None)
    assert any(cache.rglob("*.pickle"))

    # 1. Edit a post.
    path = site_dir / "posts" / "2024-01-05-p4.md"
    path.write_text(path.read_text().replace("Words", "Edited words"))
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    warm = build(site_dir, warm_dest, monkeypatch, cache)
    assert warm == build(site_dir, cold_dest, monkeypatch, None)
    assert warm != first and b"Edited words" in warm["posts/2024-01-05-p4/index.html"]

    # 2. Change a template (a copy of the project's templates).
    templates = tmp_path / "templates"
    shutil.copytree(PROJECT / "templates", templates)
    post_html = templates / "post.html"
    post_html.write_text(post_html.read_text().replace('<div class="post-content">',
                                                       '<div class="post-content" data-changed="yes">'))
    warm = build(site_dir, warm_dest, monkeypatch, cache, templates)
    assert warm == build(site_dir, cold_dest, monkeypatch, None, templates)
    assert b'data-changed="yes"' in warm["posts/2024-01-05-p4/index.html"]

    # 3. Change a setting that shapes every cached post.
    with open(site_dir / "site.toml", "a") as f:
        f.write("summary_words = 3\n")
    warm = build(site_dir, warm_dest, monkeypatch, cache)
    assert warm == build(site_dir, cold_dest, monkeypatch, None)
    assert b"&lt;p&gt;Part 4 Edited ...&lt;/p&gt;" in warm["index.xml"]


def test_broken_cache_entries_are_misses(builder, site_dir, tmp_path, monkeypatch):
    builder.post("a", title="Alpha", body="Body text.")
    cache = tmp_path / "cache"
    build(site_dir, tmp_path / "one", monkeypatch, cache)
    for entry in cache.rglob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert b"Body text." in build(site_dir, tmp_path / "two", monkeypatch, cache)["posts/a/index.html"]


def test_unwritable_cache_is_skipped(builder, site_dir, tmp_path, monkeypatch):
    builder.post("a", title="Alpha")
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    assert "posts/a/index.html" in build(site_dir, tmp_path / "out", monkeypatch, blocker / "cache")


def test_engine_fingerprint_covers_every_module_that_shapes_a_post():
    import re

    from quire import PROJECT_ROOT, cache
    package = PROJECT_ROOT / "quire"
    todo, shaping = ["content.py"], set()
    while todo:
        name = todo.pop()
        if name not in shaping:
            shaping.add(name)
            todo += [f"{m}.py" for m in re.findall(r"^from \.(\w+) import", (package / name).read_text(), re.M)]
    assert shaping <= set(cache._ENGINE_FILES), shaping - set(cache._ENGINE_FILES)
