"""The render cache: a warm rebuild after any change is byte-identical to a cold build."""

import ast
import os
import shutil
from pathlib import Path

import pytest
from jinja2 import FileSystemLoader

import quire.cache
import quire.store
from quire import create_app
from quire.cache import RenderCache, engine_fingerprint
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

    # 3. Change a module that renders posts (a copy of the engine's code, as if upgraded).
    entries = {p.stem for p in cache.rglob("*.pickle")}
    with monkeypatch.context() as patch:
        patch.setattr(quire.cache, "__file__", str(edited_engine(tmp_path, "markdown.py") / "cache.py"))
        warm = build(site_dir, warm_dest, monkeypatch, cache)
    assert warm == build(site_dir, cold_dest, monkeypatch, None)
    # All 24 posts rendered and checked again (both keyed by the engine fingerprint), none read; and the search
    # index, the files' stamps and index.json's table kept anew, under the new engine's keys.
    assert len({p.stem for p in cache.rglob("*.pickle")} - entries) == 51

    # 4. Change a setting that shapes every cached post.
    with open(site_dir / "site.toml", "a") as f:
        f.write("summary_words = 3\n")
    warm = build(site_dir, warm_dest, monkeypatch, cache)
    assert warm == build(site_dir, cold_dest, monkeypatch, None)
    assert b"&lt;p&gt;Part 4 Edited ...&lt;/p&gt;" in warm["index.xml"]


def rendering_modules() -> set[str]:
    """Name the engine modules a rendered post depends on: content.py and what it imports, transitively."""
    found, todo = set(), ["content"]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        tree = ast.parse((PROJECT / "quire" / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                todo += [node.module] if node.module else [a.name for a in node.names]
    return {f"{name}.py" for name in found}


def edited_engine(tmp_path, module: str):
    """Copy the engine's modules into a fresh folder with one of them changed; return the folder."""
    folder = tmp_path / f"engine-{module}"
    shutil.copytree(PROJECT / "quire", folder, ignore=shutil.ignore_patterns("__pycache__"))
    with open(folder / module, "a", encoding="utf-8") as f:
        f.write("\n# changed\n")
    return folder


def test_engine_fingerprint_covers_every_rendering_module(tmp_path, monkeypatch):
    modules = rendering_modules()
    assert {"content.py", "markdown.py", "terms.py", "images.py"} <= modules
    same = engine_fingerprint()
    monkeypatch.setattr(quire.cache, "__file__", str(edited_engine(tmp_path, "views.py") / "cache.py"))
    assert engine_fingerprint() == same  # the views do not shape a cached post
    for module in sorted(modules):
        monkeypatch.setattr(quire.cache, "__file__", str(edited_engine(tmp_path, module) / "cache.py"))
        assert engine_fingerprint() != same, module


def test_broken_cache_entries_are_misses(builder, site_dir, tmp_path, monkeypatch):
    builder.post("a", title="Alpha", body="Body text.")
    cache = tmp_path / "cache"
    build(site_dir, tmp_path / "one", monkeypatch, cache)
    entries = list(cache.rglob("*.pickle"))
    assert len(entries) == 4  # the post's rendered HTML, its check findings, the search index, index.json's table
    for entry in entries:
        entry.write_bytes(b"not a pickle")
    assert b"Body text." in build(site_dir, tmp_path / "two", monkeypatch, cache)["posts/a/index.html"]


def test_unwritable_cache_is_skipped(builder, site_dir, tmp_path, monkeypatch):
    builder.post("a", title="Alpha")
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    assert "posts/a/index.html" in build(site_dir, tmp_path / "out", monkeypatch, blocker / "cache")


def test_fingerprint_covers_every_module_that_loading_a_post_imports(tmp_path, monkeypatch):
    from quire import cache

    package = tmp_path / "quire"
    shutil.copytree(Path(cache.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    assert {p.name for p in cache.rendering_modules()} >= {"content.py", "markdown.py", "blocks.py", "inlines.py",
                                                           "typography.py", "terms.py", "images.py"}
    # A new module that content.py starts to import is in the fingerprint without anyone listing it.
    (package / "fresh.py").write_text("VALUE = 1\n")
    content = package / "content.py"
    content.write_text("from .fresh import VALUE\n" + content.read_text())
    monkeypatch.setattr(cache, "__file__", str(package / "cache.py"))
    names = {p.name for p in cache.rendering_modules()}
    assert "fresh.py" in names and "views.py" not in names
    before = cache.engine_fingerprint()
    (package / "fresh.py").write_text("VALUE = 2\n")
    assert cache.engine_fingerprint() != before


@pytest.mark.parametrize("statement", [
    "from .fresh import VALUE\n",
    "from .fresh.deeper import VALUE  # a comment\n",
    "from . import (\n    other,\n    fresh as renamed,\n)\n",
    "from . import other, fresh\n",
    "def later():\n    from .fresh import VALUE\n    return VALUE\n",
])
def test_the_fingerprint_finds_every_form_of_relative_import(tmp_path, monkeypatch, statement):
    from quire import cache

    package = tmp_path / "quire"
    shutil.copytree(Path(cache.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "fresh.py").write_text("VALUE = 1\n")
    (package / "other.py").write_text("\n")
    (package / "terms.py").write_text(statement + (package / "terms.py").read_text())
    monkeypatch.setattr(cache, "__file__", str(package / "cache.py"))
    assert "fresh.py" in {p.name for p in cache.rendering_modules()}
    # and nothing from another package, or from a parent package's module of the same name
    (package / "terms.py").write_text("from ..fresh import VALUE\nfrom fresh import VALUE\n"
                                      + (package / "terms.py").read_text().replace(statement, ""))
    assert "fresh.py" not in {p.name for p in cache.rendering_modules()}


def test_prune_keeps_only_the_entries_this_process_used(tmp_path):
    old = RenderCache(tmp_path / "cache", "salt")
    for name in ("kept", "written", "stale", "stale too"):
        old.put(old.key(name), name)
    cache = RenderCache(tmp_path / "cache", "salt")
    assert cache.get(cache.key("kept")) == "kept"
    cache.put(cache.key("written"), "again")
    assert cache.prune() == 2
    assert sorted(p.stem for p in (tmp_path / "cache").rglob("*.pickle")) == sorted(
        [cache.key("kept"), cache.key("written")])
    assert cache.get(cache.key("stale")) is None and cache.get(cache.key("written")) == "again"
    assert RenderCache(tmp_path / "missing", "salt").prune() == RenderCache(None, "salt").prune() == 0


def test_entries_are_written_inside_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "no-such-tmp"))  # a rename is atomic only in place
    cache = RenderCache(tmp_path / "cache", "salt")
    cache.put(cache.key("a"), "value")
    assert RenderCache(tmp_path / "cache", "salt").get(cache.key("a")) == "value"
    assert [p.suffix for p in (tmp_path / "cache").rglob("*")] == ["", ".pickle"]  # no temporary file left


def test_a_warm_cache_renders_only_what_changed(builder, site_dir, tmp_path, monkeypatch):
    for i in range(3):
        builder.post(f"p{i}", title=f"P{i}", body=f"Text {i}.")
    cache = tmp_path / "cache"
    cold = build(site_dir, tmp_path / "one", monkeypatch, cache)
    rendered = []
    load_post = quire.store.load_post
    monkeypatch.setattr(quire.store, "load_post", lambda *args: rendered.append(args[2]) or load_post(*args))
    assert build(site_dir, tmp_path / "two", monkeypatch, cache) == cold
    assert rendered == []  # every post came from the cache
    builder.post("p1", title="P1", body="Edited text.")
    assert b"Edited text." in build(site_dir, tmp_path / "three", monkeypatch, cache)["posts/p1/index.html"]
    assert rendered == ["posts/p1.md"]


def test_compiled_templates_are_kept_and_a_changed_template_is_compiled_again(builder, site_dir, tmp_path,
                                                                               monkeypatch):
    builder.post("a", title="Alpha")
    cache = tmp_path / "cache"
    monkeypatch.setenv("QUIRE_CACHE_DIR", str(cache))
    assert "Alpha" in create_app(site_dir).test_client().get("/").get_data(as_text=True)
    kept = list(cache.glob("templates-*/*.cache"))
    assert len(kept) >= 2  # the home page's template and the base it extends
    # A site's own template of the same name is another file: it is compiled, not taken from the cache.
    (site_dir / "templates").mkdir()
    base = (PROJECT / "templates/base.html").read_text(encoding="utf-8")
    (site_dir / "templates/base.html").write_text(base.replace("</body>", "<p>Own base</p></body>"),
                                                  encoding="utf-8")
    assert "Own base" in create_app(site_dir).test_client().get("/").get_data(as_text=True)
    (site_dir / "templates/base.html").write_text(base.replace("</body>", "<p>Edited base</p></body>"),
                                                  encoding="utf-8")
    page = create_app(site_dir).test_client().get("/").get_data(as_text=True)
    assert "Edited base" in page and "Own base" not in page
