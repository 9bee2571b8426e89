"""Content files: front matter, dates, tags, slugs, summaries, drafts, errors and the stat cache."""

import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

import quire.store
from quire.cache import RenderCache
from quire.content import ContentError, Tag, load_post, parse_tags, tag_slug
from quire.readers import KNOWN_OPTIONS
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


def test_every_post_field_from_front_matter_and_body(builder):
    path = builder.post("fields", title="Fields", date="2024-03-04", draft="true", toc="false", weight="3",
                        listed="false", series="'Diffusion  Models'", cover="cover.png", cover_alt="'A cover'",
                        description="'Two\n  lines'",
                        body="# Intro\n\n![Pipe](p.png){#fig:p}\n\nSee [@fig:p] and $$a$$ \\eqref{eq:z}.\n\n"
                             "```python {colour=red}\nx = 1\n```\n\n```mermaid\ngraph TD; A-->B\n```\n")
    post = load(path)
    assert (post.draft, post.toc, post.weight, post.listed, post.math) == (True, False, 3, False, True)
    assert post.series == Tag("diffusion-models", "Diffusion Models")
    assert (post.cover, post.cover_alt, post.description) == ("cover.png", "A cover", "Two lines")
    assert (post.figures, post.labels, post.refs) == (1, ("fig:p",), ("fig:p", "eq:z"))
    known = ", ".join(KNOWN_OPTIONS)
    assert post.warnings == (("colour=", f"unknown code block option 'colour': Quire knows {known}"),)
    assert {"intro", "fig-p"} <= post.anchors and post.mermaid is True
    assert post.bundle is None and post.kind == "post" and post.source == "posts/fields.md"


def test_post_field_defaults(builder):
    post = load(builder.post("plain", body="Plain *prose* here.\n"))
    assert (post.draft, post.toc, post.weight, post.listed, post.math, post.mermaid) == (False, True, 0, True,
                                                                                          False, False)
    assert (post.series, post.cover, post.cover_alt, post.figures) == (None, "", "", 0)
    assert (post.labels, post.refs, post.warnings, post.bundle) == ((), (), (), None)
    assert post.description == post.summary == "Plain prose here."
    page = load_post(builder.file("pages/about.md", "---\ntitle: About\n---\nHi.\n"), "page", "pages/about.md",
                     dict(DEFAULTS))
    assert (page.listed, page.date, page.kind) == (False, None, "page")


def test_a_series_with_no_letters_is_no_series(builder):
    assert load(builder.post("s", series="'???'")).series is None


@pytest.mark.parametrize("listed, date, error", [
    ("true", None, "pages/p.md:2: error: missing 'date' in the front matter: a listed page is placed in lists and "
                   "feeds by its date; add a line 'date: ...'"),
    ("true", "2024-05-06", None),
    ("false", None, None),
])
def test_a_listed_page_needs_a_date(builder, listed, date, error):
    fields = "".join(f"{k}: {v}\n" for k, v in (("listed", listed), ("date", date)) if v is not None)
    path = builder.file("pages/p.md", f"---\ntitle: P\n{fields}---\nBody.\n")
    if error:
        with pytest.raises(ContentError) as info:
            load_post(path, "page", "pages/p.md", dict(DEFAULTS))
        assert str(info.value) == error
    else:
        page = load_post(path, "page", "pages/p.md", dict(DEFAULTS))
        assert page.listed is (listed == "true") and (page.date is not None) is (date == "2024-05-06")


def test_smart_punctuation_follows_the_setting(builder):
    path = builder.post("q", body="It's -- \"quoted\".\n")
    assert "It\u2019s \u2013 \u201cquoted\u201d." in load(path, smart_punctuation=True).html
    assert "It's -- &quot;quoted&quot;." in load(path, smart_punctuation=False).html


def test_the_bytes_given_are_the_post_not_the_file_read_again(builder):
    # The store hashes the bytes it read for the render cache: the post must be made from those same bytes.
    path = builder.post("given", title="On disk")
    data = path.read_bytes().replace(b"On disk", b"Given")
    assert load_post(path, "post", "posts/given.md", dict(DEFAULTS), data).title == "Given"


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


@pytest.mark.parametrize("slug, expected", [
    ("'/custom/'", "custom"),
    ("'Xmas-X'", "Xmas-X"),
    ("' cafe\u0301 '", "caf\u00e9"),  # trimmed, and composed like the file names it is compared with
])
def test_a_front_matter_slug_is_trimmed_of_slashes_and_composed(builder, slug, expected):
    assert load(builder.post("file-name", slug=slug)).slug == expected


def test_a_page_may_not_take_a_name_the_freeze_keeps_and_a_post_may(builder):
    path = builder.file("pages/p.md", "---\ntitle: P\nslug: CNAME\n---\nBody.\n")
    with pytest.raises(ContentError) as info:
        load_post(path, "page", "pages/p.md", dict(DEFAULTS))
    assert str(info.value) == ("pages/p.md:3: error: page slug 'CNAME' is a name the freeze keeps in its output: "
                               "set another 'slug'")
    assert load(builder.post("p", slug="CNAME")).slug == "CNAME"  # posts live under /posts/


def test_a_bad_slug_from_the_file_name_names_the_file_alone(builder):
    with pytest.raises(ContentError) as info:
        load(builder.post("notes#1"))
    assert info.value.line is None
    assert str(info.value).startswith("posts/notes#1.md: error: slug 'notes#1' has '#'")


def test_a_summary_of_exactly_the_limit_has_no_ellipsis(builder):
    words = " ".join(f"w{i}" for i in range(5))
    assert load(builder.post("exact", body=words), summary_words=5).summary == words
    assert load(builder.post("over", body=words + " w5"), summary_words=5).summary == words + " ..."


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


FIX_DATE = "write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+HH:MM"
FIX_VALUE = "check it, or quote it to keep it as text"


@pytest.mark.parametrize("text, error", [
    ("No front matter here\n", "1: error: no front matter: start the file with a line '---', then 'title:' and "
                               "'date:' lines, then a closing '---'"),
    ("---\ntitle: x\ndate: 2024-01-01\nBody\n", "1: error: the YAML front matter opened on line 1 is never closed: "
                                             "add a line '---' after the last setting"),
    ("+++\ntitle = 'x'\nBody\n", "1: error: the TOML front matter opened on line 1 is never closed: add a line "
                                "'+++' after the last setting"),
    ("---\ntitle: [unclosed\ndate: 2024-01-01\n---\n",
     "2: error: bad YAML front matter: did not find expected ',' or ']'; check quoting and indentation"),
    ("---\ntitle: x\n  bad: indent\ndate: 2024-01-01\n---\n",
     "3: error: bad YAML front matter: mapping values are not allowed in this context; check quoting and indentation"),
    # PyYAML refuses a control character before parsing, with a place in the text but no line.
    ("---\ntitle: x\ndate: 2024-01-01\nauthor: A\x07B\n---\n",
     "4: error: bad YAML front matter: the control character U+0007 is not allowed; remove it"),
    ("---\n\ntitle: x\ndate: 2024-01-01\nauthor: A\x07B\n---\n",  # after a blank first line
     "5: error: bad YAML front matter: the control character U+0007 is not allowed; remove it"),
    ("---\n- a\n- b\n---\n", "2: error: front matter must be a mapping of 'key: value' lines, not a list"),
    ("---\n---\nBody\n", "2: error: missing 'title' in the front matter: add a line 'title: ...'"),
    ("---\ndate: 2024-01-01\n---\n", "2: error: missing 'title' in the front matter: add a line 'title: ...'"),
    ("---\ntitle: ''\ndate: 2024-01-01\n---\n", "2: error: missing 'title' in the front matter: add a line "
                                             "'title: ...'"),
    ("---\ntitle: x\n---\n", "2: error: missing 'date' in the front matter: add a line 'date: ...'"),
    ("---\ntitle: x\ndate: yesterday\n---\n", f"3: error: 'date' 'yesterday' is not a date: {FIX_DATE}"),
    ("---\ntitle: x\ndate: 2024-13-45\n---\n",
     f"3: error: impossible date in the front matter (month must be in 1..12): {FIX_DATE}"),
    ("---\ntitle: x\ndate: 2024-01-02\nupdated: 2024-02-30\n---\n",
     f"4: error: impossible date in the front matter (day is out of range for month): {FIX_DATE}"),
    # A possible day at an impossible hour; an impossible date in the body is not the front matter's.
    ("---\ntitle: x\ndate: 2024-01-02 25:00:00\n---\nDeadline: 2024-02-30\n",
     f"3: error: impossible date in the front matter (hour must be in 0..23): {FIX_DATE}"),
    ("---\ntitle: x\ndate: 2024-01-02\nupdated: 2024-01-03T10:61:00Z\n---\n",
     f"4: error: impossible date in the front matter (minute must be in 0..59): {FIX_DATE}"),
    ("---\ntitle: x\ndate: 2024-01-02 10:00:61\n---\n",
     f"3: error: impossible date in the front matter (second must be in 0..59): {FIX_DATE}"),
    # A time without seconds is not the culprit (YAML reads it as text).
    ("---\ntitle: x\nnote: 2024-01-01 10:30\ndate: 2024-01-02 25:00:00\n---\n",
     f"4: error: impossible date in the front matter (hour must be in 0..23): {FIX_DATE}"),
    ("+++\ntitle = \"x\"\ndate = \ntags = []\n+++\n",
     "3: error: bad TOML front matter: Invalid value (at line 2, column 8)"),
    # TOML's errors at the end of the front matter have no line: its last line is named.
    ("+++\ntitle = \"x\"\ndate = 2024-01-01\ntags = [\n+++\nBody\n",
     "4: error: bad TOML front matter: Invalid value (at end of document)"),
    ("---\ntitle: x\ndate: 2024-01-01\ndraft: maybe\n---\n", "4: error: 'draft' must be true or false, not 'maybe'"),
    # Values PyYAML cannot build are not all dates; it may even trip over one itself.
    ("---\ntitle: x\ndate: 2024-01-01\nseats: !!int twelve\n---\n",
     f"4: error: bad value in the front matter (invalid literal for int() with base 10: 'twelve'): {FIX_VALUE}"),
    ("---\ntitle: x\ndate: 2024-01-01\nmask: 0x_\n---\n",
     f"4: error: bad value in the front matter (invalid literal for int() with base 16: ''): {FIX_VALUE}"),
    ("---\ntitle: x\ndate: 2024-01-01\nseen: !!timestamp 2024-01-01x\n---\n",
     f"4: error: bad value in the front matter (AttributeError: 'NoneType' object has no attribute 'groupdict'): "
     f"{FIX_VALUE}"),
    ("---\ntitle: x\ndate: 2024-01-02 10:00:00 +25:00\n---\n",
     "3: error: impossible date in the front matter (offset must be a timedelta strictly between "
     f"-timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=1, seconds=3600).): {FIX_DATE}"),
    # Not fooled by a block of text before it, nor by a date in a list.
    ("---\ntitle: x\nsummary: |\n  Note: see: this\ndate: 2024-01-01\nmilestones:\n  - 2024-13-45\n---\n",
     f"7: error: impossible date in the front matter (month must be in 1..12): {FIX_DATE}"),
    ("---\ntitle: x\ndate: 2024-01-01\nslug: notes#1\n---\n", "4: error: slug 'notes#1' has '#', which a URL "
                                                           "reserves: use letters, digits and hyphens (rename the "
                                                           "file or set 'slug')"),
])
def test_errors_name_file_and_line(builder, text, error):
    path = builder.file("posts/bad.md", text)
    with pytest.raises(ContentError) as info:
        load(path)
    assert str(info.value) == f"posts/bad.md:{error}"
    assert info.value.line == int(error.split(":")[0])


def test_a_control_character_is_named_on_its_line_after_a_long_front_matter(builder):
    lines = "".join(f"key{i}: value {i}\n" for i in range(30))
    with pytest.raises(ContentError) as info:
        load(builder.file("posts/bad.md", f"---\ntitle: x\ndate: 2024-01-01\n{lines}bad: \x1b[0m\n---\n"))
    assert info.value.line == 34


@pytest.mark.parametrize("call, message", [
    ("quire.content.load_yaml", "posts/p.md:1: error: the front matter is nested too deeply: flatten it"),
    ("quire.content.render_markdown",
     "posts/p.md: error: the Markdown is nested too deeply to render: flatten lists and quotes"),
])
def test_running_out_of_stack_is_a_content_error(builder, monkeypatch, call, message):
    # The bounds checks stop every nesting found so far; a deeper one must still name the file, not crash.
    def too_deep(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(call, too_deep)
    with pytest.raises(ContentError) as info:
        load(builder.post("p"))
    assert str(info.value) == message


@pytest.mark.parametrize("data, line, byte, offset", [
    ("---\ntitle: x\ndate: 2024-01-01\n---\ncaf\xe9\n".encode("latin-1"), 5, "e9", 37),
    (b"\ncaf\xe9", 2, "e9", 4),  # a line end as the very first byte counts too
])
def test_not_utf8_names_line(builder, data, line, byte, offset):
    path = builder.file("posts/latin.md", data)
    with pytest.raises(ContentError) as info:
        load(path)
    assert str(info.value) == (f"posts/latin.md:{line}: error: not UTF-8 (byte 0x{byte} at offset {offset}): save the "
                               f"file as UTF-8")


def test_an_unreadable_file_is_named(builder, monkeypatch):
    path = builder.post("locked")

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ContentError) as info:
        load(path)
    assert str(info.value) == "posts/locked.md: error: cannot read the file: Permission denied"


def test_binary_file(builder):
    with pytest.raises(ContentError) as info:
        load(builder.file("posts/x.md", b"\x00\x01\x02"))
    assert str(info.value) == ("posts/x.md: error: this is a binary file, not Markdown: move it out of the content "
                               "folder")


def test_only_a_nul_in_the_first_8_kib_makes_a_file_binary(builder):
    head = b"---\ntitle: x\ndate: 2024-01-01\n---\n"
    with pytest.raises(ContentError, match="binary"):
        load(builder.file("posts/early.md", head + b"a" * (8191 - len(head)) + b"\0"))
    assert load(builder.file("posts/late.md", head + b"a" * (8192 - len(head)) + b"\0 tail\n")).title == "x"


@pytest.mark.parametrize("end", ["\r\n", "\r"])
def test_windows_and_old_mac_line_ends_read_as_unix_ones(builder, end):
    text = "---|title: x|date: 2024-01-01|---|one|two||three|".replace("|", end)
    post = load(builder.file("posts/ends.md", text.encode()))
    assert post.html == "<p>one\ntwo</p>\n<p>three</p>\n"


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
    assert str(info.value).startswith(f"posts/bad.md:{line}: error: alias ")


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
