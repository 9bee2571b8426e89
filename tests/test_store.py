"""ContentStore and Listing: what changed on disk, leftovers, bundles, symlinks, the render cache, parallel loading."""

import gc
import os
import threading
import time
from dataclasses import fields
from pathlib import Path

import pytest

import quire.store
import quire.watch
import quire.workers
from quire.cache import RenderCache
from quire.settings import DEFAULTS
from quire.store import ContentStore, Listing

from conftest import post_text

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"/>'


def store_of(site_dir: Path, cache: RenderCache | None = None, **settings) -> ContentStore:
    return ContentStore(site_dir, dict(DEFAULTS, **settings), cache)


def sources(snapshot) -> list[str]:
    return [p.source for p in snapshot.posts]


def later(*paths: Path) -> None:
    """Move mtimes on, as time passes between edits: the disk's clock ticks coarsely, a test runs faster."""
    stamp = time.time_ns() + 2_000_000_000
    for path in paths:
        os.utime(path, ns=(stamp, stamp), follow_symlinks=False)


@pytest.fixture
def load_calls(monkeypatch) -> list[str]:
    """Count the files the store renders (in this process), by their path in the site."""
    calls, real = [], quire.store.load_post

    def counting(path, kind, rel, settings, data=None):
        calls.append(rel)
        return real(path, kind, rel, settings, data)

    monkeypatch.setattr(quire.store, "load_post", counting)
    return calls


# What changed on disk


def test_an_unchanged_store_returns_the_very_same_snapshot(builder, site_dir, load_calls):
    builder.post("a")
    builder.page("about")
    store = store_of(site_dir)
    first = store.snapshot()
    assert sources(first) == ["posts/a.md", "pages/about.md"] and first.errors == ()
    assert store.snapshot() is first
    assert load_calls == ["posts/a.md", "pages/about.md"]


def test_a_new_file_is_seen_and_the_others_are_not_loaded_again(builder, site_dir, load_calls):
    builder.post("a")
    store = store_of(site_dir)
    first = store.snapshot()
    builder.post("b")
    builder.page("about")
    later(site_dir / "posts", site_dir / "pages")
    second = store.snapshot()
    assert sources(second) == ["posts/a.md", "posts/b.md", "pages/about.md"]
    assert second.posts[0] is first.posts[0]
    assert load_calls == ["posts/a.md", "posts/b.md", "pages/about.md"]


def test_a_changed_file_is_seen_even_at_the_same_size(builder, site_dir):
    path = builder.post("a", title="Title A")
    store = store_of(site_dir)
    assert store.snapshot().posts[0].title == "Title A"
    path.write_text(path.read_text().replace("Title A", "Title B"))
    later(path)
    assert store.snapshot().posts[0].title == "Title B"


def test_a_deleted_file_is_gone(builder, site_dir):
    builder.post("a")
    gone = builder.post("b")
    store = store_of(site_dir)
    assert sources(store.snapshot()) == ["posts/a.md", "posts/b.md"]
    gone.unlink()
    later(site_dir / "posts")
    assert sources(store.snapshot()) == ["posts/a.md"]


def test_a_renamed_file_is_seen_under_its_new_name(builder, site_dir):
    path = builder.post("old-name", title="Kept")
    store = store_of(site_dir)
    assert [p.slug for p in store.snapshot().posts] == ["old-name"]
    path.rename(site_dir / "posts" / "new-name.md")
    later(site_dir / "posts")
    snapshot = store.snapshot()
    assert [(p.source, p.slug, p.title) for p in snapshot.posts] == [("posts/new-name.md", "new-name", "Kept")]


def test_a_file_deleted_and_written_again_is_read_again_even_with_its_old_stamp(builder, site_dir):
    path = builder.post("a", title="Old")
    store = store_of(site_dir)
    assert store.snapshot().posts[0].title == "Old"
    stamp = path.stat().st_mtime_ns
    path.unlink()
    later(site_dir / "posts")
    assert store.snapshot().posts == ()
    path.write_text(post_text("New", "2024-01-01"))  # the same size as before
    os.utime(path, ns=(stamp, stamp))
    later(site_dir / "posts")
    assert store.snapshot().posts[0].title == "New"


def test_a_broken_file_is_an_error_until_it_is_fixed(builder, site_dir):
    path = builder.file("posts/a.md", "---\ntitle: [unclosed\ndate: 2024-01-01\n---\nText.\n")
    store = store_of(site_dir)
    broken = store.snapshot()
    assert broken.posts == () and [(e.path, e.line) for e in broken.errors] == [("posts/a.md", 2)]
    path.write_text(post_text("Fixed", "2024-01-01"))
    later(path)
    fixed = store.snapshot()
    assert sources(fixed) == ["posts/a.md"] and fixed.errors == ()


# What the listing takes for content


def test_editor_leftovers_hidden_files_and_other_files_are_ignored(builder, site_dir):
    builder.post("good")
    builder.page("about")
    for folder in ("posts", "pages"):
        for name in (".#good.md", "#good.md#", "good.md~", ".good.md.swp", ".good.md.swx", "good.md.tmp",
                     "_draft.md", ".hidden.md", "notes.txt", "4913"):
            builder.file(f"{folder}/{name}", "junk, not a post")
        for bundle in (".git", "_drafts", ".hidden-bundle", "copy~", "work.tmp"):
            builder.file(f"{folder}/{bundle}/index.md", "junk, not a post")
        builder.file(f"{folder}/folder.md/index.md", "junk, not a post")  # a folder is no flat file
    snapshot = store_of(site_dir).snapshot()
    assert sources(snapshot) == ["posts/good.md", "pages/about.md"]
    assert snapshot.errors == ()


def test_listing_names_each_files_kind_path_and_link(builder, site_dir):
    builder.post("a")
    builder.file("posts/b.markdown", post_text("B", "2024-01-01"))
    builder.file("posts/c/index.md", post_text("C", "2024-01-01"))
    os.symlink("a.md", site_dir / "posts" / "d.md")
    builder.page("about")
    files = Listing(site_dir).files()
    assert [(f.kind, f.rel, f.linked, len(f.stamp)) for f in files] == [
        ("post", "posts/a.md", False, 2),
        ("post", "posts/b.markdown", False, 2),
        ("post", "posts/c/index.md", False, 3),  # a bundle's stamp includes its folder
        ("post", "posts/d.md", True, 2),
        ("page", "pages/about.md", False, 2),
    ]
    assert files[0].path == str(site_dir / "posts" / "a.md")


def test_a_folder_is_listed_again_only_when_it_changes(builder, site_dir, monkeypatch):
    builder.post("a")
    scanned, real = [], os.scandir
    monkeypatch.setattr(quire.store.os, "scandir", lambda path: scanned.append(Path(path).name) or real(path))
    listing = Listing(site_dir)
    assert [f.rel for f in listing.files()] == ["posts/a.md"]
    assert [f.rel for f in listing.files()] == ["posts/a.md"]
    assert scanned == ["posts", "pages"]
    builder.post("b")
    later(site_dir / "posts")
    assert [f.rel for f in listing.files()] == ["posts/a.md", "posts/b.md"]
    assert scanned == ["posts", "pages", "posts"]


def test_a_site_without_pages_folder_or_with_a_file_for_it(builder, site_dir):
    builder.post("a")
    (site_dir / "pages").rmdir()
    store = store_of(site_dir)
    assert sources(store.snapshot()) == ["posts/a.md"]
    (site_dir / "pages").write_text("not a folder")
    assert sources(store.snapshot()) == ["posts/a.md"]


# Bundles


def test_a_bundle_folder_without_index_md_yet(builder, site_dir):
    builder.file("posts/fresh/figure.svg", SVG)
    store = store_of(site_dir)
    empty = store.snapshot()
    assert empty.posts == () and empty.errors == ()
    # Creating index.md changes the bundle's folder, not posts/: the listing must find it all the same.
    builder.file("posts/fresh/index.md", post_text("Fresh", "2024-01-01", "![Figure](figure.svg)\n"))
    snapshot = store.snapshot()
    assert [(p.source, p.slug, p.bundle) for p in snapshot.posts] == [("posts/fresh/index.md", "fresh", "posts/fresh")]
    assert 'width="40" height="20"' in snapshot.posts[0].html


def test_a_file_added_to_a_bundle_renders_its_post_again(builder, site_dir):
    builder.file("posts/b/index.md", post_text("B", "2024-01-01", "![Wide](wide.svg)\n"))
    store = store_of(site_dir)
    before = store.snapshot().posts[0].html
    assert 'src="wide.svg"' in before and "width=" not in before
    builder.file("posts/b/wide.svg", SVG)
    later(site_dir / "posts" / "b")
    assert 'width="40" height="20"' in store.snapshot().posts[0].html


# Symlinks


@pytest.fixture
def outside(tmp_path_factory) -> Path:
    """A folder beside the site holding a post file and a bundle."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secret.md").write_text(post_text("Secret", "2024-01-01", "Secret text.\n"))
    (folder / "bundle").mkdir()
    (folder / "bundle" / "index.md").write_text(post_text("Secret bundle", "2024-01-01"))
    return folder


@pytest.mark.parametrize("link, target, rel", [
    ("posts/link.md", "secret.md", "posts/link.md"),
    ("posts/linked-bundle", "bundle", "posts/linked-bundle/index.md"),
    ("posts/real-bundle/index.md", "secret.md", "posts/real-bundle/index.md"),
    ("pages/link.md", "secret.md", "pages/link.md"),
])
def test_a_symlink_out_of_the_site_is_an_error(builder, site_dir, outside, link, target, rel):
    builder.post("good")
    (site_dir / link).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside / target, site_dir / link)
    snapshot = store_of(site_dir).snapshot()
    assert sources(snapshot) == ["posts/good.md"]
    assert [str(e) for e in snapshot.errors] == [
        f"{rel}: error: symlink points outside the site folder: copy the file in"]


def test_a_symlink_within_the_site_is_content(builder, site_dir):
    builder.file("drafts-kept-elsewhere/kept.md", post_text("Kept", "2024-01-01"))
    os.symlink("../drafts-kept-elsewhere/kept.md", site_dir / "posts" / "kept.md")
    snapshot = store_of(site_dir).snapshot()
    assert [(p.source, p.title) for p in snapshot.posts] == [("posts/kept.md", "Kept")]
    assert snapshot.errors == ()


# The render cache on disk


def test_a_second_store_over_the_same_cache_folder_renders_nothing_again(builder, site_dir, tmp_path_factory,
                                                                         load_calls):
    builder.post("a", title="A", body="# Head\n\n$x^2$ and `code`.\n")
    builder.file("posts/b/index.md", post_text("B", "2024-01-02", "![Figure](figure.svg)\n"))
    builder.file("posts/b/figure.svg", SVG)
    builder.page("about")
    builder.file("posts/broken.md", "no front matter\n")
    folder = tmp_path_factory.mktemp("cache")
    cold = store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    assert load_calls == ["posts/a.md", "posts/b/index.md", "posts/broken.md", "pages/about.md"]
    load_calls.clear()
    warm = store_of(site_dir, RenderCache(folder, "engine-1"), title="Not a setting posts depend on").snapshot()
    assert load_calls == ["posts/broken.md"]  # errors are not cached: they are cheap and want fixing
    assert [(p.source, p.title, p.html) for p in warm.posts] == [(p.source, p.title, p.html) for p in cold.posts]
    assert [str(e) for e in warm.errors] == [str(e) for e in cold.errors]


@pytest.mark.parametrize("salt, settings", [
    ("engine-2", {}),  # other engine code
    ("engine-1", {"summary_words": 5}),
    ("engine-1", {"timezone": "Asia/Tokyo"}),
    ("engine-1", {"author": "Someone Else"}),
])
def test_the_render_cache_misses_when_engine_or_post_settings_change(builder, site_dir, tmp_path_factory,
                                                                     load_calls, salt, settings):
    builder.post("a")
    builder.post("b")
    folder = tmp_path_factory.mktemp("cache")
    store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    load_calls.clear()
    store_of(site_dir, RenderCache(folder, salt), **settings).snapshot()
    assert load_calls == ["posts/a.md", "posts/b.md"]


def test_the_render_cache_misses_only_the_changed_file(builder, site_dir, tmp_path_factory, load_calls):
    builder.post("a")
    changed = builder.post("b", title="Before")
    folder = tmp_path_factory.mktemp("cache")
    store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    changed.write_text(post_text("After", "2024-01-01"))
    load_calls.clear()
    warm = store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    assert load_calls == ["posts/b.md"]
    assert [p.title for p in warm.posts] == ["A post", "After"]


def test_the_render_cache_misses_a_bundle_whose_files_changed(builder, site_dir, tmp_path_factory, load_calls):
    builder.file("posts/b/index.md", post_text("B", "2024-01-01", "![Wide](wide.svg)\n"))
    folder = tmp_path_factory.mktemp("cache")
    assert "width=" not in store_of(site_dir, RenderCache(folder, "engine-1")).snapshot().posts[0].html
    builder.file("posts/b/wide.svg", SVG)
    later(site_dir / "posts" / "b")
    load_calls.clear()
    warm = store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    assert load_calls == ["posts/b/index.md"]
    assert 'width="40" height="20"' in warm.posts[0].html


# Loading in parallel


def described(posts) -> list[dict]:
    """Every field of each post, as comparable values."""
    rows = []
    for post in posts:
        row = {f.name: getattr(post, f.name) for f in fields(post)}
        row["terms"] = (post.terms.counts, post.terms.chunks)
        rows.append(row)
    return rows


@pytest.fixture
def many(builder):
    """More files than the store loads serially, two of them broken at known lines."""
    for i in range(ContentStore.PARALLEL_MIN + 2):
        builder.post(f"p{i:02d}", title=f"Post {i}", date=f"2024-01-{i % 28 + 1:02d}", tags=f"[t{i % 3}, shared]",
                     body=f"# Heading {i}\n\nText about $x_{i}$ and `code` {i}.\n\n## More\n\nWords.\n")
    builder.file("posts/q-bundle/index.md", post_text("Bundle", "2024-02-01", "![Figure](figure.svg)\n"))
    builder.file("posts/q-bundle/figure.svg", SVG)
    builder.file("posts/r-broken-yaml.md", "---\ntitle: Fine\ntitle: [unclosed\ndate: 2024-01-01\n---\nText.\n")
    builder.file("posts/s-broken-weight.md", "---\ntitle: W\ndate: 2024-01-01\nweight: heavy\n---\nText.\n")
    return builder


def serial_snapshot(site_dir: Path):
    store = store_of(site_dir)
    store.PARALLEL_MIN = 10**6
    return store.snapshot()


def test_parallel_loading_gives_what_serial_loading_gives(many, site_dir, pools):
    parallel = store_of(site_dir).snapshot()
    assert pools == [2], f"loaded serially: other threads run ({threading.enumerate()})"
    serial = serial_snapshot(site_dir)
    assert pools == [2]
    assert len(parallel.posts) == ContentStore.PARALLEL_MIN + 3
    assert described(parallel.posts) == described(serial.posts)
    assert 'width="40" height="20"' in parallel.posts[-1].html


def test_content_errors_keep_their_path_and_line_through_the_workers(many, site_dir, pools):
    parallel = store_of(site_dir).snapshot()
    assert pools == [2]
    assert [(e.path, e.line) for e in parallel.errors] == [("posts/r-broken-yaml.md", 3),
                                                          ("posts/s-broken-weight.md", 4)]
    assert parallel.errors[0].message.startswith("bad YAML front matter: ")
    assert str(parallel.errors[1]) == "posts/s-broken-weight.md:4: error: 'weight' must be a whole number, not 'heavy'"
    assert [str(e) for e in parallel.errors] == [str(e) for e in serial_snapshot(site_dir).errors]


@pytest.fixture
def counted_stats(monkeypatch) -> list[str]:
    """Record the stat calls the store makes."""
    calls, real = [], os.stat
    monkeypatch.setattr(quire.store.os, "stat", lambda path, *a, **k: calls.append(str(path)) or real(path, *a, **k))
    return calls


needs_inotify = pytest.mark.skipif(quire.watch.ChangeFeed.shared() is None, reason="no inotify on this system")


@needs_inotify
def test_an_unchanged_site_is_not_statted_again_and_every_save_is_seen_at_once(builder, site_dir, counted_stats):
    for i in range(5):
        builder.post(f"p{i}", title=f"Post {i}", date=f"2024-01-0{i + 1}")
    store = store_of(site_dir)
    first = store.snapshot()
    store.snapshot()  # the watch began after the first listing: this one lists again, to be sure
    counted_stats.clear()
    assert store.snapshot() is first and counted_stats == []
    # An edit in place, an editor's atomic save, a new bundle, a new pages/ folder: each on the next call.
    (site_dir / "posts/p1.md").write_text(post_text("Edited in place", "2024-01-02"))
    assert "Edited in place" in [p.title for p in store.snapshot().posts]
    (site_dir / "posts/.p2.md.swp").write_text(post_text("Saved atomically", "2024-01-03"))
    os.replace(site_dir / "posts/.p2.md.swp", site_dir / "posts/p2.md")
    assert "Saved atomically" in [p.title for p in store.snapshot().posts]
    (site_dir / "posts/b").mkdir()
    store.snapshot()
    (site_dir / "posts/b/index.md").write_text(post_text("In a bundle", "2024-02-01"))
    assert "In a bundle" in [p.title for p in store.snapshot().posts]
    (site_dir / "posts/b/index.md").write_text(post_text("Bundle edited", "2024-02-01"))
    assert "Bundle edited" in [p.title for p in store.snapshot().posts]
    builder.page("about", title="About")
    assert "About" in [p.title for p in store.snapshot().posts]
    (site_dir / "posts/p0.md").unlink()
    assert "Post 0" not in [p.title for p in store.snapshot().posts]
    counted_stats.clear()
    store.snapshot()
    assert counted_stats == []


@needs_inotify
def test_a_symlinked_post_is_statted_on_every_call(builder, site_dir, tmp_path, counted_stats):
    builder.post("p", title="Plain", date="2024-01-01")
    (site_dir / "drafts").mkdir()
    target = site_dir / "drafts/linked.md"
    target.write_text(post_text("Linked", "2024-01-02"))
    (site_dir / "posts/linked.md").symlink_to(target)
    store = store_of(site_dir)
    store.snapshot()
    store.snapshot()
    counted_stats.clear()
    store.snapshot()
    assert counted_stats  # an edit of drafts/linked.md makes no event in posts/: only a stat sees it
    target.write_text(post_text("Linked, edited", "2024-01-02"))
    assert "Linked, edited" in [p.title for p in store.snapshot().posts]


@needs_inotify
def test_a_file_written_in_place_is_the_only_one_statted_again(builder, site_dir, counted_stats):
    for i in range(5):
        builder.post(f"p{i}", title=f"Post {i}", date=f"2024-01-0{i + 1}")
    builder.file("posts/b/index.md", post_text("In a bundle", "2024-02-01"))
    store = store_of(site_dir)
    store.snapshot()
    store.snapshot()
    posts = {str(site_dir / f"posts/p{i}.md") for i in range(5)}
    counted_stats.clear()
    (site_dir / "posts/p3.md").write_text(post_text("Edited in place", "2024-01-04"))
    assert [p.title for p in store.snapshot().posts] == ["In a bundle", "Post 0", "Post 1", "Post 2",
                                                         "Edited in place", "Post 4"]
    assert posts & set(counted_stats) == {str(site_dir / "posts/p3.md")}
    counted_stats.clear()
    (site_dir / "posts/b/index.md").write_text(post_text("Bundle edited", "2024-02-01"))
    assert "Bundle edited" in [p.title for p in store.snapshot().posts]
    assert str(site_dir / "posts/b") in counted_stats and not posts & set(counted_stats)
    # Anything else (here a file beside the posts that is not content) stats every file again.
    counted_stats.clear()
    (site_dir / "posts/notes.txt").write_text("not a post")
    store.snapshot()
    assert posts <= set(counted_stats)
    (site_dir / "posts/p1.md").unlink()
    assert "Post 1" not in [p.title for p in store.snapshot().posts]


@needs_inotify
def test_snapshots_after_writes_in_place_are_what_a_fresh_store_sees(builder, site_dir, load_calls, monkeypatch):
    for i in range(4):
        builder.post(f"p{i}", title=f"Post {i}", date=f"2024-01-0{i + 1}")
    builder.file("posts/b/index.md", post_text("In a bundle", "2024-02-01"))
    builder.file("posts/zz-broken.md", "---\ntitle: [\n---\n")
    store = store_of(site_dir)
    store.snapshot()
    store.snapshot()
    looked_at = []
    known = ContentStore._known
    monkeypatch.setattr(ContentStore, "_known", lambda self, f, root: looked_at.append(f.rel) or known(self, f, root))

    def same_as_fresh():
        mine, fresh = store.snapshot(), store_of(site_dir).snapshot()
        assert mine.key == fresh.key
        assert [(p.source, p.title) for p in mine.posts] == [(p.source, p.title) for p in fresh.posts]
        assert [str(e) for e in mine.errors] == [str(e) for e in fresh.errors]
        return mine

    (site_dir / "posts/p1.md").write_text(post_text("Edited", "2024-01-02"))
    snapshot = same_as_fresh()
    assert "Edited" in [p.title for p in snapshot.posts] and [e.path for e in snapshot.errors] == ["posts/zz-broken.md"]
    assert looked_at[0] == "posts/p1.md" and looked_at.count("posts/p0.md") == 1  # once, by the fresh store
    (site_dir / "posts/p2.md").write_text("---\ntitle: [\n---\n")  # broken
    assert [e.path for e in same_as_fresh().errors] == ["posts/p2.md", "posts/zz-broken.md"]
    (site_dir / "posts/p2.md").write_text("---\ntitle: [ still\n---\n")  # broken otherwise
    same_as_fresh()
    (site_dir / "posts/p2.md").write_text(post_text("Mended", "2024-01-03"))
    (site_dir / "posts/b/index.md").write_text(post_text("Bundle edited", "2024-02-01"))
    snapshot = same_as_fresh()
    assert {"Mended", "Bundle edited"} <= {p.title for p in snapshot.posts}
    os.utime(site_dir / "posts/p3.md", ns=(1, 1))  # touched, not changed: read again, the same post
    touched = same_as_fresh()
    assert [p.title for p in touched.posts] == [p.title for p in snapshot.posts]
    assert [a is b for a, b in zip(touched.posts, snapshot.posts, strict=True)] == [True] * 4 + [False]
    # What was loaded in place is remembered: listing everything again (a new file) loads the new file alone.
    load_calls.clear()
    builder.post("p9", title="Post 9", date="2024-01-09")
    assert "Post 9" in [p.title for p in store.snapshot().posts] and load_calls == ["posts/p9.md"]


@needs_inotify
def test_a_symlinked_post_added_later_stays_listed(builder, site_dir, tmp_path):
    builder.post("p", title="Plain", date="2024-01-01")
    store = store_of(site_dir)
    store.snapshot()
    store.snapshot()
    (site_dir / "drafts").mkdir()
    (site_dir / "drafts/linked.md").write_text(post_text("Linked", "2024-01-02"))
    (site_dir / "posts/linked.md").symlink_to(site_dir / "drafts/linked.md")
    for _ in range(3):
        assert [p.title for p in store.snapshot().posts] == ["Linked", "Plain"]
    (site_dir / "drafts/linked.md").write_text(post_text("Linked, edited", "2024-01-02"))
    assert [p.title for p in store.snapshot().posts] == ["Linked, edited", "Plain"]


def test_without_inotify_every_call_looks_at_the_files(builder, site_dir, monkeypatch, counted_stats):
    monkeypatch.setattr(quire.watch.ChangeFeed, "shared", classmethod(lambda cls: None))
    builder.post("p", title="Plain", date="2024-01-01")
    store = store_of(site_dir)
    store.snapshot()
    counted_stats.clear()
    store.snapshot()
    assert counted_stats
    (site_dir / "posts/p.md").write_text(post_text("Plain, edited", "2024-01-01"))
    assert [p.title for p in store.snapshot().posts] == ["Plain, edited"]


@needs_inotify
def test_a_bundle_deleted_and_made_again_is_still_watched(builder, site_dir, counted_stats):
    import shutil

    builder.file("posts/b/index.md", post_text("First bundle", "2024-02-01"))
    store = store_of(site_dir)
    store.snapshot()
    store.snapshot()
    shutil.rmtree(site_dir / "posts/b")  # as `git checkout` of another branch does
    assert store.snapshot().posts == ()
    (site_dir / "posts/b").mkdir()
    (site_dir / "posts/b/index.md").write_text(post_text("Made again", "2024-02-01"))
    assert [p.title for p in store.snapshot().posts] == ["Made again"]
    (site_dir / "posts/b/index.md").write_text(post_text("Edited after", "2024-02-01"))
    assert [p.title for p in store.snapshot().posts] == ["Edited after"]
    os.rename(site_dir / "posts/b", site_dir / "posts/c")
    assert [p.slug for p in store.snapshot().posts] == ["c"]
    (site_dir / "posts/b").mkdir()
    (site_dir / "posts/b/index.md").write_text(post_text("In the old place", "2024-02-02"))
    store.snapshot()
    (site_dir / "posts/b/index.md").write_text(post_text("Edited in the old place", "2024-02-02"))
    assert "Edited in the old place" in [p.title for p in store.snapshot().posts]


def test_a_large_snapshot_is_moved_out_of_the_collectors_sight(builder, site_dir, monkeypatch):
    import gc

    for i in range(6):
        builder.post(f"p{i}", title=f"Post {i}", date=f"2024-01-0{i + 1}")
    store = store_of(site_dir)
    monkeypatch.setattr(store, "GC_FREEZE_MIN", 7)
    gc.unfreeze()
    try:
        store.snapshot()
        assert gc.get_freeze_count() == 0  # six posts: left to the collector
        builder.post("p6", title="Post 6", date="2024-01-07")
        snapshot = store.snapshot()
        assert len(snapshot.posts) == 7 and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


# A few edited files among many cached ones: rendered aside while the others load


@pytest.fixture
def asides(monkeypatch, pools) -> list[list[str]]:
    """Record the files each process aside renders (a blog of a few files counts as large here)."""
    monkeypatch.setattr(ContentStore, "ASIDE_MIN", 4)
    started = []

    class Recorded(quire.workers.Aside):
        def __init__(self, func, arguments):
            started.append([args[2] for args in arguments])
            super().__init__(func, arguments)

    monkeypatch.setattr(quire.store, "Aside", Recorded)
    return started


def cached_blog(builder, site_dir, folder) -> None:
    for i in range(6):
        builder.post(f"p{i}", title=f"Post {i}", date=f"2024-01-0{i + 1}", body=f"Text {i} with $x_{i}$.\n")
    store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()


def test_edited_files_are_rendered_aside_while_the_cached_ones_load(builder, site_dir, tmp_path_factory, asides,
                                                                    load_calls):
    folder = tmp_path_factory.mktemp("cache")
    cached_blog(builder, site_dir, folder)
    assert asides == []  # nothing was cached: all rendered here
    builder.post("p2", title="Post 2", date="2024-01-03", body="Rewritten, *now*.\n")
    builder.file("posts/p4.md", "---\ntitle: Broken\ndate: 2024-13-01\n---\nText.\n")
    load_calls.clear()
    warm = store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    assert asides == [["posts/p2.md", "posts/p4.md"]]
    assert load_calls == []  # (the process aside counts its own)
    assert described(warm.posts) == described(store_of(site_dir).snapshot().posts)
    assert "<em>now</em>" in warm.posts[2].html
    assert [(e.path, e.line) for e in warm.errors] == [("posts/p4.md", 3)]
    again = store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()  # what the aside made was cached
    assert asides[1:] == [["posts/p4.md"]] and described(again.posts) == described(warm.posts)


def test_files_are_rendered_here_when_the_process_aside_dies(builder, site_dir, tmp_path_factory, asides,
                                                            monkeypatch, load_calls):
    folder = tmp_path_factory.mktemp("cache")
    cached_blog(builder, site_dir, folder)
    builder.post("p2", title="Post 2", date="2024-01-03", body="Rewritten.\n")
    monkeypatch.setattr(quire.store, "_load_all", lambda arguments: os._exit(3))
    load_calls.clear()
    warm = store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    assert len(asides) == 1 and load_calls == ["posts/p2.md"]
    assert "Rewritten." in warm.posts[2].html


@pytest.mark.parametrize("aside_min, edited, aside", [(5, 1, True), (6, 1, False), (5, 3, False), (4, 2, True),
                                                      (3, 3, False), (5, 0, False)])
def test_a_process_aside_only_for_few_edited_files_among_many_cached(builder, site_dir, tmp_path_factory, asides,
                                                                    monkeypatch, aside_min, edited, aside):
    folder = tmp_path_factory.mktemp("cache")
    cached_blog(builder, site_dir, folder)
    monkeypatch.setattr(ContentStore, "PARALLEL_MIN", 3)
    monkeypatch.setattr(ContentStore, "ASIDE_MIN", aside_min)
    for i in range(edited):
        builder.post(f"p{i}", title=f"Post {i}", date=f"2024-01-0{i + 1}", body="Rewritten.\n")
    store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    assert asides == ([[f"posts/p{i}.md" for i in range(edited)]] if aside else [])


def test_no_process_aside_while_another_thread_runs(builder, site_dir, tmp_path_factory, asides, load_calls):
    folder = tmp_path_factory.mktemp("cache")
    cached_blog(builder, site_dir, folder)
    builder.post("p2", title="Post 2", date="2024-01-03", body="Rewritten.\n")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        load_calls.clear()
        store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    finally:
        stop.set()
        other.join()
    assert asides == [] and load_calls == ["posts/p2.md"]


def collector_on(_) -> bool:
    return gc.isenabled()


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_pauses_the_collector_and_leaves_it_as_it_was(builder, site_dir, monkeypatch, enabled):
    builder.post("a", title="A", date="2024-01-01")
    seen, real = [], quire.store.load_post
    monkeypatch.setattr(quire.store, "load_post", lambda *args: seen.append(gc.isenabled()) or real(*args))
    (gc.enable if enabled else gc.disable)()
    try:
        assert len(store_of(site_dir).snapshot().posts) == 1
        assert seen == [False] and gc.isenabled() == enabled
    finally:
        gc.enable()


def test_workers_run_with_the_collector_on_while_their_parent_paused_it(pools):
    with quire.store.collector_paused():
        assert quire.workers.map_forked(collector_on, list(range(4)), min_items=2) == [True] * 4
    assert pools == [2] and gc.isenabled()


# Files known by their stamps: a new process reads only what changed


@pytest.fixture
def reads(monkeypatch, pools) -> list[str]:
    """Record the content files the store reads (a blog of a few files counts as large here)."""
    monkeypatch.setattr(ContentStore, "PARALLEL_MIN", 3)
    monkeypatch.setattr(quire.store, "STAMP_MARGIN_NS", 0)  # the files were written a moment ago
    done, real = [], quire.store.read_settled
    monkeypatch.setattr(quire.store, "read_settled", lambda path, stamp: done.append(path.name) or real(path, stamp))
    return done


def stamped_blog(builder, site_dir, folder):
    for i in range(4):
        builder.post(f"p{i}", title=f"Post {i}", date=f"2024-01-0{i + 1}", body=f"Text {i}.\n")
    return store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()


def test_a_new_store_reads_only_the_files_changed_since_the_last_large_load(builder, site_dir, tmp_path_factory,
                                                                           reads):
    folder = tmp_path_factory.mktemp("cache")
    first = stamped_blog(builder, site_dir, folder)
    assert sorted(reads) == ["p0.md", "p1.md", "p2.md", "p3.md"]
    reads.clear()
    again = store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    assert reads == [] and described(again.posts) == described(first.posts)
    # Rewritten in place with the same size and mtime: its ctime tells.
    path = site_dir / "posts" / "p2.md"
    st = path.stat()
    path.write_text(path.read_text().replace("Text 2.", "Word 2."))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    edited = store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    assert reads == ["p2.md"] and "Word 2." in edited.posts[2].html
    reads.clear()
    store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    assert reads == []


def test_a_file_changed_moments_before_it_was_read_is_read_again(builder, site_dir, tmp_path_factory, reads,
                                                                 monkeypatch):
    folder = tmp_path_factory.mktemp("cache")
    stamped_blog(builder, site_dir, folder)
    monkeypatch.setattr(quire.store, "STAMP_MARGIN_NS", 60 * 10**9)
    reads.clear()
    store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    assert sorted(reads) == ["p0.md", "p1.md", "p2.md", "p3.md"]


def test_a_file_known_by_its_stamp_but_no_longer_cached_is_read_and_rendered(builder, site_dir, tmp_path_factory,
                                                                            reads, load_calls):
    folder = tmp_path_factory.mktemp("cache")
    first = stamped_blog(builder, site_dir, folder)
    store = store_of(site_dir, RenderCache(folder, "engine-1"))
    store.snapshot()
    loaded = store.content_key("posts/p1.md")
    (folder / loaded[0][:2] / f"{loaded[0]}.pickle").unlink()
    reads.clear()
    load_calls.clear()
    store = store_of(site_dir, RenderCache(folder, "engine-1"))
    again = store.snapshot()
    assert reads == ["p1.md"] and load_calls == ["posts/p1.md"]
    assert described(again.posts) == described(first.posts)
    assert store.content_key("posts/p1.md") == loaded  # as the check needs it


def test_a_small_load_keeps_the_stamps_of_the_last_large_one(builder, site_dir, tmp_path_factory, reads):
    folder = tmp_path_factory.mktemp("cache")
    stamped_blog(builder, site_dir, folder)
    store = store_of(site_dir, RenderCache(folder, "engine-1"))
    store.snapshot()
    builder.post("p2", title="Post 2", date="2024-01-03", body="Edited.\n")
    later(site_dir / "posts" / "p2.md")
    reads.clear()
    assert "Edited." in store.snapshot().posts[2].html
    assert reads == ["p2.md"]
    reads.clear()
    store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    assert reads == ["p2.md"]  # the small load recorded nothing, and took nothing away


@pytest.mark.parametrize("entry", [None, "junk", ("a", "b"), ((1, 2), (3, 4), "key", "when"), "as read, when junk",
                                   "as read, key junk"])
def test_a_broken_stamp_entry_is_no_reason_to_trust_a_file(builder, site_dir, tmp_path_factory, reads, entry):
    folder = tmp_path_factory.mktemp("cache")
    stamped_blog(builder, site_dir, folder)
    cache = RenderCache(folder, "engine-1")
    store = store_of(site_dir, cache)
    stamps = cache.get(store._stamps_key)
    if isinstance(entry, str) and entry.startswith("as read"):
        stamp, changed, key, when = stamps["posts/p0.md"]
        entry = (stamp, changed, key, "later") if "when junk" in entry else (stamp, changed, None, when)
    stamps["posts/p0.md"] = entry
    cache.put(store._stamps_key, stamps)
    reads.clear()
    assert len(store_of(site_dir, RenderCache(folder, "engine-1")).snapshot().posts) == 4
    assert reads == ["p0.md"]


def test_files_with_the_same_bytes_in_two_places_are_two_posts(builder, site_dir, tmp_path_factory, reads):
    folder = tmp_path_factory.mktemp("cache")
    text = post_text("Twin", "2024-01-01", "Same words.\n")
    for name in ("a", "b", "c"):
        builder.file(f"posts/{name}.md", text)
    cold = store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    reads.clear()
    warm = store_of(site_dir, RenderCache(folder, "engine-1")).snapshot()
    assert reads == []
    assert [(p.source, p.slug) for p in warm.posts] == [(p.source, p.slug) for p in cold.posts] == [
        ("posts/a.md", "a"), ("posts/b.md", "b"), ("posts/c.md", "c")]


def test_a_file_no_longer_cached_is_rendered_here_while_an_edited_one_is_rendered_aside(
        builder, site_dir, tmp_path_factory, reads, asides, load_calls, monkeypatch):
    folder = tmp_path_factory.mktemp("cache")
    stamped_blog(builder, site_dir, folder)
    store = store_of(site_dir, RenderCache(folder, "engine-1"))
    store.snapshot()
    key = store.content_key("posts/p1.md")[0]
    (folder / key[:2] / f"{key}.pickle").unlink()
    builder.post("p3", title="Post 3", date="2024-01-04", body="Edited.\n")
    later(site_dir / "posts" / "p3.md")
    monkeypatch.setattr(ContentStore, "ASIDE_MIN", 1)
    load_calls.clear()
    posts = store_of(site_dir, RenderCache(folder, "engine-1")).snapshot().posts
    assert asides == [["posts/p3.md"]] and load_calls == ["posts/p1.md"]
    assert [p.source for p in posts] == [f"posts/p{i}.md" for i in range(4)]
    assert "Text 1." in posts[1].html and "Edited." in posts[3].html
