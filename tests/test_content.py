"""Content files: front matter, dates, tags, slugs, summaries, drafts, errors and the stat cache."""

import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

import quire.store
from quire.cache import RenderCache
from quire.content import ContentError, load_post, parse_tags, tag_slug
from quire.settings import DEFAULTS
from quire.store import ContentStore


def load(path, **settings):
    values = dict(DEFAULTS, timezone="America/Los_Angeles", **settings)
    rel = "posts/" + path.as_posix().split("/posts/", 1)[1]
    return load_post(path, "post", rel, values)


def test_yaml_post_fields(builder):
    path = builder.post("2024-11-28-reward", title="Reward & <Hacking>", date="2024-11-28",
                        tags="[RL, auto-ML]", author="Ann", updated="2024-12-01", custom_key="kept",
                        body="Hello **world**.\n")
    post = load(path)
    assert post.slug == "2024-11-28-reward"
    assert post.title == "Reward & <Hacking>"
    assert post.date == datetime(2024, 11, 28, 0, 0, tzinfo=post.date.tzinfo)
    assert str(post.date.tzinfo) == "America/Los_Angeles"
    assert post.updated.day == 1
    assert [t.slug for t in post.tags] == ["rl", "auto-ml"]
    assert post.author == "Ann"
    assert post.meta["custom_key"] == "kept"
    assert "<strong>world</strong>" in post.html
    assert post.toc and not post.draft and not post.math


def test_toml_front_matter(builder):
    path = builder.file("posts/t.md", '+++\ntitle = "Toml"\ndate = 2023-04-05\ntags = ["a b", "C"]\n+++\nBody $x$\n')
    post = load(path)
    assert post.title == "Toml" and post.date.year == 2023
    assert [t.slug for t in post.tags] == ["a-b", "c"] and post.math


@pytest.mark.parametrize("value, expected", [
    ("2023-06-23", (2023, 6, 23, 0, 0)),
    ("2023-06-23 10:00:00", (2023, 6, 23, 10, 0)),
    ("2023-06-23T10:00:00+00:00", (2023, 6, 23, 3, 0)),
    ("'2023-06-23T10:00:00Z'", (2023, 6, 23, 3, 0)),
    ("'2023-06-23T10:00:00z'", (2023, 6, 23, 3, 0)),  # datetime.fromisoformat reads only a capital Z
    ("2025-02-14T09:30:00+01:00", (2025, 2, 14, 0, 30)),
])
def test_dates_normalised_to_site_zone(builder, value, expected):
    post = load(builder.post("d", date=value))
    assert (post.date.year, post.date.month, post.date.day, post.date.hour, post.date.minute) == expected
    assert str(post.date.tzinfo) == "America/Los_Angeles"


def test_sorting_mixed_date_kinds_never_raises(builder, client):
    builder.post("a", date="2023-06-23")
    builder.post("b", date="2023-06-23 10:00:00")
    builder.post("c", date="2023-06-23T10:00:00+05:00")
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("value, slugs", [
    ("reinforcement-learning math", ["reinforcement-learning", "math"]),
    ("attention, transformer", ["attention", "transformer"]),
    ("deep learning, RL", ["deep-learning", "rl"]),  # with commas, a space is part of a name
    (["auto-ML", "adversarial attacks", "Auto ML", 'long-read"'], ["auto-ml", "adversarial-attacks", "long-read"]),
    (2019, ["2019"]),
    (None, []),
])
def test_tags(value, slugs):
    assert [t.slug for t in parse_tags(value)] == slugs


def test_tag_display_is_first_spelling():
    tags = parse_tags(["Auto-ML", "auto ml"])
    assert len(tags) == 1 and tags[0].name == "Auto-ML"
    # Quotes around a name go; letters at its ends stay.
    assert [(t.slug, t.name) for t in parse_tags(['"Deep RL"', "XLNet"])] == \
        [("deep-rl", "Deep RL"), ("xlnet", "XLNet")]
    assert tag_slug("Long Read!") == "long-read"
    assert tag_slug("--Deep learning!--") == "deep-learning"  # hyphens at the ends go, not only spaces


def test_slug_from_front_matter_and_bundle(builder):
    assert load(builder.post("file-name", slug="custom")).slug == "custom"
    bundle = builder.file("posts/2024-05-19-bundle/index.md", "---\ntitle: B\ndate: 2024-05-19\n---\nx\n")
    post = load(bundle)
    assert post.slug == "2024-05-19-bundle" and post.bundle.endswith("2024-05-19-bundle")


def test_a_bad_slug_from_the_file_name_names_the_file_alone(builder):
    with pytest.raises(ContentError) as info:
        load(builder.post("notes#1"))
    assert info.value.line is None
    assert str(info.value).startswith("posts/notes#1.md: error: slug 'notes#1' has '#'")


def test_summary_rules(builder):
    words = " ".join(f"w{i}" for i in range(100))
    assert load(builder.post("a", body=words)).summary == " ".join(f"w{i}" for i in range(70)) + " ..."
    assert load(builder.post("b", body="Short text.")).summary == "Short text."
    assert load(builder.post("c", body="Intro *here*.\n\n<!--more-->\n\nRest.")).summary == "Intro here. ..."
    assert load(builder.post("d", summary="'Given summary'", body="Body.")).summary == "Given summary"
    assert load(builder.post("e", body=words), summary_words=5).summary == "w0 w1 w2 w3 w4 ..."


def test_word_count_and_reading_time(builder):
    post = load(builder.post("a", body="word " * 6459 + "$x$"))
    assert post.words == 6460
    assert post.reading_time == 31
    assert load(builder.post("b", body="one")).reading_time == 1


def test_bom_and_crlf(builder):
    path = builder.file("posts/bom.md", b"\xef\xbb\xbf---\r\ntitle: Bom\r\ndate: 2024-01-01\r\n---\r\nBody\r\n")
    post = load(path)
    assert post.title == "Bom" and "<p>Body</p>" in post.html


@pytest.mark.parametrize("text, line, fragment", [
    ("No front matter here\n", 1, "no front matter"),
    ("---\ntitle: x\ndate: 2024-01-01\nBody\n", 1, "never closed"),
    ("---\ntitle: [unclosed\ndate: 2024-01-01\n---\n", 2, "bad YAML"),
    ("---\ntitle: x\n  bad: indent\ndate: 2024-01-01\n---\n", 3, "bad YAML"),
    ("---\n- a\n- b\n---\n", 2, "mapping"),
    ("---\ndate: 2024-01-01\n---\n", 2, "missing 'title'"),
    ("---\ntitle: x\n---\n", 2, "missing 'date'"),
    ("---\ntitle: x\ndate: yesterday\n---\n", 3, "not a date"),
    ("---\ntitle: x\ndate: 2024-13-45\n---\n", 3, "impossible date"),
    ("---\ntitle: x\ndate: 2024-01-02\nupdated: 2024-02-30\n---\n", 4, "impossible date"),
    ("+++\ntitle = \"x\"\ndate = \n+++\n", 3, "bad TOML"),
    ("---\ntitle: x\ndate: 2024-01-01\ndraft: maybe\n---\n", 4, "true or false"),
])
def test_errors_name_file_and_line(builder, text, line, fragment):
    path = builder.file("posts/bad.md", text)
    with pytest.raises(ContentError) as info:
        load(path)
    assert info.value.line == line
    assert fragment in info.value.message
    assert str(info.value).startswith(f"posts/bad.md:{line}: error: ")


def test_not_utf8_names_line(builder):
    path = builder.file("posts/latin.md", "---\ntitle: x\ndate: 2024-01-01\n---\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(ContentError) as info:
        load(path)
    assert info.value.line == 5 and "UTF-8" in info.value.message


def test_an_unreadable_file_is_named(builder, monkeypatch):
    path = builder.post("locked")

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ContentError) as info:
        load(path)
    assert str(info.value) == "posts/locked.md: error: cannot read the file: Permission denied"


def test_binary_file(builder):
    with pytest.raises(ContentError, match="binary"):
        load(builder.file("posts/x.md", b"\x00\x01\x02"))


def test_store_caches_by_mtime_and_size(site_dir, builder):
    path = builder.post("a", title="First")
    store = ContentStore(site_dir, dict(DEFAULTS))
    first = store.snapshot()
    assert store.snapshot() is first
    path.write_text(path.read_text().replace("First", "Second!"))
    os.utime(path, ns=(path.stat().st_mtime_ns + 10_000_000,) * 2)
    second = store.snapshot()
    assert second is not first and second.posts[0].title == "Second!"
    path.unlink()
    assert store.snapshot().posts == ()


def test_store_skips_editor_leftovers_and_collects_errors(site_dir, builder):
    builder.post("good")
    for name in (".#good.md", "good.md~", ".good.md.swp", "_draft.md", "#good.md"):
        builder.file(f"posts/{name}", "junk")
    for folder in ("b~", "b.swp", "b.swx", "b.tmp", "#b", "_b", ".b"):  # bundles an editor or a tool left
        builder.file(f"posts/{folder}/index.md", "junk")
    builder.file("posts/broken.md", "no front matter")
    snap = ContentStore(site_dir, dict(DEFAULTS)).snapshot()
    assert [p.slug for p in snap.posts] == ["good"]
    assert [e.path for e in snap.errors] == ["posts/broken.md"]


def test_store_follows_bundles_and_missing_folders(site_dir, builder, tmp_path):
    # With a render cache: a bundle's new image must not be hidden by the cached render of its index.md.
    store = ContentStore(site_dir, dict(DEFAULTS), RenderCache(tmp_path / "cache", "salt"))
    (site_dir / "pages").rmdir()  # a site without pages/ is fine
    builder.file("posts/b/index.md", "---\ntitle: B\ndate: 2024-01-01\n---\n![d](d.svg)\n")
    builder.file("posts/empty/notes.txt", "a folder without index.md is no post")
    builder.file("posts/a-empty/notes.txt", "listed before b: b is still read")
    first = store.snapshot()
    assert [p.slug for p in first.posts] == ["b"] and first.errors == ()
    assert 'width="' not in first.posts[0].html
    assert store.snapshot() is first  # nothing changed: the same snapshot
    builder.file("posts/b/d.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="7" height="5"/>')
    os.utime(site_dir / "posts/b", ns=(time.time_ns() + 10**9,) * 2)  # the folder changed, index.md did not
    second = store.snapshot()
    assert second is not first and 'width="7" height="5"' in second.posts[0].html
    builder.file("posts/empty/index.md", "---\ntitle: Now a post\ndate: 2024-01-02\n---\n")
    assert [p.slug for p in store.snapshot().posts] == ["b", "empty"]


def test_store_reloads_only_changed_files(site_dir, builder, monkeypatch):
    loaded = []
    real = quire.store.load_post
    monkeypatch.setattr(quire.store, "load_post", lambda *args: loaded.append(args[2]) or real(*args))
    store = ContentStore(site_dir, dict(DEFAULTS))
    paths = [builder.post(name, title=name.upper(), body="aaaa") for name in ("a", "b", "c")]
    assert [p.title for p in store.snapshot().posts] == ["A", "B", "C"]
    assert loaded == ["posts/a.md", "posts/b.md", "posts/c.md"]
    paths[1].write_text(paths[1].read_text().replace("title: 'B'", "title: 'B2'"))
    os.utime(paths[1], ns=(time.time_ns() + 10**9,) * 2)
    assert [p.title for p in store.snapshot().posts] == ["A", "B2", "C"]
    assert loaded[3:] == ["posts/b.md"]
    # A file deleted, then written again with the same size and time, is read again: nothing stale is kept.
    stamp = paths[2].stat().st_mtime_ns
    paths[2].unlink()
    assert [p.title for p in store.snapshot().posts] == ["A", "B2"]
    builder.post("c", title="Z", body="aaaa")  # the same size as before
    os.utime(paths[2], ns=(stamp, stamp))
    assert [p.title for p in store.snapshot().posts] == ["A", "B2", "Z"]


def test_store_odd_entries(site_dir, builder, tmp_path_factory, monkeypatch):
    builder.post("good")
    (site_dir / "posts" / "folder.md").mkdir()  # a folder named like a post
    outside = tmp_path_factory.mktemp("outside-bundle")
    (outside / "index.md").write_text("---\ntitle: Outside\ndate: 2024-01-01\n---\nsecret\n")
    os.symlink(outside, site_dir / "posts" / "linked")
    unreadable = builder.post("0-locked")  # read first: the files after it are still read
    secret = tmp_path_factory.mktemp("outside-file") / "index.md"
    secret.write_text("---\ntitle: Outside\ndate: 2024-01-01\n---\nsecret\n")
    (site_dir / "posts" / "inner").mkdir()
    os.symlink(secret, site_dir / "posts" / "inner" / "index.md")  # a real folder, its index.md a link
    read_bytes = Path.read_bytes

    def refuse(path):
        if path == unreadable:
            raise PermissionError(13, "Permission denied")
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    snap = ContentStore(site_dir, dict(DEFAULTS)).snapshot()
    assert [p.slug for p in snap.posts] == ["good"]
    assert sorted(str(e) for e in snap.errors) == [
        "posts/0-locked.md: error: cannot read the file: Permission denied",
        "posts/inner/index.md: error: symlink points outside the site folder: copy the file in",
        "posts/linked/index.md: error: symlink points outside the site folder: copy the file in"]


@pytest.mark.parametrize("posts", ["missing", "a file"])
def test_pages_without_a_posts_folder(site_dir, builder, posts):
    (site_dir / "posts").rmdir()
    if posts == "a file":
        (site_dir / "posts").write_text("not a folder")
    builder.page("about", title="About")
    assert [p.slug for p in ContentStore(site_dir, dict(DEFAULTS)).snapshot().posts] == ["about"]


def test_listing_reads_a_folder_again_only_when_it_changed(site_dir, builder, monkeypatch):
    scans = []
    scandir = os.scandir
    monkeypatch.setattr(quire.store.os, "scandir", lambda path: scans.append(path) or scandir(path))
    store = ContentStore(site_dir, dict(DEFAULTS))
    builder.post("a")
    store.snapshot()
    assert len(scans) == 2  # posts/ and pages/
    path = builder.post("a", title="Edited")  # the same file: the folder is unchanged
    os.utime(path, ns=(time.time_ns() + 10**9,) * 2)
    assert store.snapshot().posts[0].title == "Edited" and len(scans) == 2
    builder.post("b")
    os.utime(site_dir / "posts", ns=(time.time_ns() + 2 * 10**9,) * 2)
    assert len(store.snapshot().posts) == 2 and len(scans) == 3


def test_cached_renders_are_not_shared_between_files(site_dir, builder, tmp_path):
    text = "---\ntitle: Same\ndate: 2024-01-01\n---\nThe same bytes.\n"
    for rel in ("posts/one.md", "posts/two.md", "pages/one.md"):
        builder.file(rel, text)
    for _ in range(2):  # cold, then from the cache
        store = ContentStore(site_dir, dict(DEFAULTS), RenderCache(tmp_path / "cache", "salt"))
        posts = store.snapshot().posts
        assert sorted((p.kind, p.slug, p.source) for p in posts) == [
            ("page", "one", "pages/one.md"), ("post", "one", "posts/one.md"), ("post", "two", "posts/two.md")]


def test_symlink_outside_site_is_an_error(site_dir, builder, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.md"
    outside.write_text("---\ntitle: Secret\ndate: 2024-01-01\n---\nsecret\n")
    os.symlink(outside, site_dir / "posts" / "link.md")
    snap = ContentStore(site_dir, dict(DEFAULTS)).snapshot()
    assert snap.posts == () and "outside the site" in snap.errors[0].message


def test_aliases_normalised(builder):
    post = load(builder.post("a", aliases='["old/url.html", "/x/", "/y"]'))
    assert post.aliases == ("/old/url.html", "/x/", "/y/")


@pytest.mark.parametrize("aliases, body, line, fragment", [
    # The entry's own line, not the 'aliases:' line above it nor a later mention in the body.
    ("\n  - /fine/\n  - https://old.example.org/a", "See https://old.example.org/a for the old copy.\n", 6,
     "is a full URL"),
    # An empty alias has no text to find: the 'aliases:' line is named.
    ('["/fine/", " "]', "Body.\n", 4, "is the home page"),
    # Written with a YAML escape, the alias's text is not in the file: the 'aliases:' line is named.
    ('["\\x2f/old.example.org/a"]', "Body.\n", 4, "is a full URL"),
    # An alias repeating the file's first lines is found at its very start: line 1.
    ('["---\\ntitle: x"]', "Body.\n", 1, "has a control character"),
])
def test_a_bad_alias_is_named_on_its_line(builder, aliases, body, line, fragment):
    path = builder.file("posts/bad.md", f"---\ntitle: x\ndate: 2024-01-01\naliases: {aliases}\n---\n{body}")
    with pytest.raises(ContentError) as info:
        load(path)
    assert (info.value.line, fragment in info.value.message) == (line, True)


def test_future_date_parses(builder):
    post = load(builder.post("f", date="2999-01-01"))
    assert post.date > datetime.now(UTC)


def test_summary_reads_images_as_their_alt_text(builder):
    post = load(builder.post("img", body="See ![the *loss* curve](l.png) here.\n\n![Fig](f.png)\n*A caption*\n"))
    assert post.summary == "See the loss curve here. Fig A caption"
    assert post.words == 4  # "See here. A caption": alt text is not counted
    assert "loss" not in post.terms.counts


def test_summary_leaves_out_code(builder):
    post = load(builder.post("code-first", body="```\n{{ template code }}\n```\n\nProse words here."))
    assert post.summary == "Prose words here."
    assert post.words == 7  # "{{ template code }}" counts as 4


@pytest.mark.parametrize("count", [ContentStore.PARALLEL_MIN - 1, ContentStore.PARALLEL_MIN])
def test_many_new_files_render_in_worker_processes(site_dir, builder, tmp_path, monkeypatch, count):
    if threading.active_count() > 1 or (os.cpu_count() or 1) < 2:
        pytest.skip("the store renders in worker processes only with 2+ cores and no other thread")
    pids = tmp_path / "pids"
    real = quire.store.load_post

    def load_post(*args):
        with open(pids, "a") as f:  # written by whichever process renders
            f.write(f"{os.getpid()}\n")
        return real(*args)

    monkeypatch.setattr(quire.store, "load_post", load_post)
    for i in range(count):
        builder.post(f"p{i:02d}", title=f"P{i}")
    posts = ContentStore(site_dir, dict(DEFAULTS)).snapshot().posts
    assert [p.title for p in posts] == [f"P{i}" for i in range(count)]
    used = set(pids.read_text().split())
    if count < ContentStore.PARALLEL_MIN:
        assert used == {str(os.getpid())}  # a few files: in this process
    else:
        assert str(os.getpid()) not in used and len(used) <= min(os.cpu_count(), 8)  # a pool of forked workers


def test_too_deep_indentation_names_the_line_and_what_is_wrong(tmp_path):
    path = tmp_path / "deep.md"
    path.write_text("---\ntitle: Deep\ndate: 2024-01-01\n---\nText.\n\n" + " " * 1001 + "- item\n")
    with pytest.raises(ContentError) as info:
        load_post(path, "post", "posts/deep.md", dict(DEFAULTS))
    assert str(info.value) == ("posts/deep.md:7: error: this line is indented more than 1000 columns: nest lists "
                               "and quotes less deeply")
