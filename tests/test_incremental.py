"""A re-freeze renders only what an edit can change, and its output is byte for byte a cold build's."""

import errno
import json
import os
import pickle
import re
import shutil
import stat

import pytest

import quire.search
from quire import create_app
from quire.freeze import freeze
from quire.incremental import read_manifest

POSTS = 14  # with posts_per_page = 3: lists of five pages, so an edit touches some pages and not others


@pytest.fixture(autouse=True)
def patched_search_index(monkeypatch) -> list[bool]:
    """Let an edit of these small blogs patch the last build's search index, as a large blog's does; note whether
    each index was patched."""
    monkeypatch.setattr(quire.search, "PATCH_SHARE", 1)
    outcomes, patched = [], quire.search.SearchIndex._patched.__func__

    def noting(cls, *args):
        index = patched(cls, *args)
        outcomes.append(index is not None)
        return index

    monkeypatch.setattr(quire.search.SearchIndex, "_patched", classmethod(noting))
    return outcomes


@pytest.fixture
def blog(site_dir, builder):
    (site_dir / "site.toml").write_text(site_dir.joinpath("site.toml").read_text() + "posts_per_page = 3\n")
    for n in range(1, POSTS + 1):
        tags = "[common, odd]" if n % 2 else "[common, even]"
        builder.post(f"2024-01-{n:02d}-post-{n}", title=f"Post {n}", date=f"2024-01-{n:02d}", tags=tags,
                     body=f"Opening of post {n}, with $x_{n}$.\n\n<!--more-->\n\n## Part\n\nBody of post {n}.\n")
    builder.page("about", body="About text.")
    return site_dir


def build(site, dest, monkeypatch, cache: str = "on"):
    """Freeze the site as a new `flask freeze` process would (a new app; its own render cache, or none)."""
    monkeypatch.setenv("QUIRE_CACHE_DIR", str(site / ".quire-cache") if cache == "on" else "off")
    return freeze(create_app(site), dest, jobs=1)


def tree(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def same_as_cold(site, dest, tmp_path, monkeypatch) -> None:
    cold = tmp_path / f"cold-{len(list(tmp_path.glob('cold-*')))}"
    build(site, cold, monkeypatch, cache="off")
    assert tree(dest) == tree(cold)


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_body_edit_renders_few_pages_and_equals_a_cold_build(blog, tmp_path, monkeypatch, patched_search_index):
    dest = tmp_path / "site"
    first = build(blog, dest, monkeypatch)
    assert first.rendered >= first.pages  # (one process also follows every url_for: a few more)
    post = blog / "posts/2024-01-07-post-7.md"
    lists = ["index.html", "archives/index.html", "tags/odd/index.html", "tags/odd/page/2/index.html"]
    before = {page: (dest / page).stat().st_ino for page in [*lists, "posts/2024-01-07-post-7/index.html"]}
    edit(post, "Body of post 7.", "Body of post 7, rewritten with much more to say about it.")
    second = build(blog, dest, monkeypatch)
    assert patched_search_index == [True]
    assert second.pages == first.pages
    assert second.rendered < first.pages / 2, (second.rendered, first.pages)
    # The summary and the reading time are as they were: no list is rendered again, only the post and its feeds.
    after = {page: (dest / page).stat().st_ino for page in before}
    assert [page for page in before if after[page] != before[page]] == ["posts/2024-01-07-post-7/index.html"]
    same_as_cold(blog, dest, tmp_path, monkeypatch)
    # Three hundred words more: two minutes to read, which the archive and the lists show.
    edit(post, "Body of post 7, rewritten", "Body of post 7, rewritten" + " at length" * 150)
    build(blog, dest, monkeypatch)
    assert b"2 min" in (dest / "archives/index.html").read_bytes()
    same_as_cold(blog, dest, tmp_path, monkeypatch)
    # An edit above <!--more--> changes the summary: the lists that show it are rendered again.
    edit(post, "Opening of post 7", "A new opening of post 7")
    third = build(blog, dest, monkeypatch)
    assert third.rendered < first.pages / 2
    assert b"A new opening of post 7" in (dest / "tags/odd/index.html").read_bytes() + \
        (dest / "tags/odd/page/2/index.html").read_bytes()
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_nothing_changed_renders_nothing(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    again = build(blog, dest, monkeypatch)
    assert again.rendered == 0
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_site_wide_pages_outside_shows_text_and_shows_listed_show_no_body(blog, builder, monkeypatch):
    # What lets a re-freeze carry them over after an edit of bodies: a page of these sets that came to show a
    # post's text, summary or reading time would have to move into one.
    from flask import url_for

    from quire import urls

    monkeypatch.setenv("QUIRE_CACHE_DIR", "off")
    app = create_app(blog)
    client = app.test_client()
    with app.test_request_context():
        paths = {route.endpoint: url_for(route.endpoint) for route in urls.routes(urls.PAGE)}

    def pages() -> dict[str, bytes]:
        return {endpoint: client.get(path).data for endpoint, path in paths.items()}

    before = pages()
    for n in range(1, POSTS + 1):
        edit(blog / f"posts/2024-01-{n:02d}-post-{n}.md", f"Opening of post {n}, with $x_{n}$.",
             f"Now opening with ![a figure](/static/f{n}.png) and\n\n```python\nprint({n})\n```\n\n" + "word " * 600)
    edit(blog / "pages/about.md", "About text.", "About text, and much more " * 100)
    after = pages()
    changed = {endpoint for endpoint in paths if after[endpoint] != before[endpoint]}
    lists = {route.endpoint for route in urls.routes(urls.LIST)} & paths.keys()  # by where the edited posts are
    assert changed - lists == urls.SHOWS_TEXT | urls.SHOWS_LISTED and lists <= changed


def test_unchanged_pages_are_carried_over_not_rendered_again(blog, builder, tmp_path, monkeypatch):
    builder.page("X-files", body="Filed under X.")  # a URL that starts with an X
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    pages = ["X-files/index.html", "posts/2024-01-03-post-3/index.html", "about/index.html"]
    before = [(dest / page).stat().st_ino for page in pages]
    build(blog, dest, monkeypatch)
    assert [(dest / page).stat().st_ino for page in pages] == before  # the same files, linked into the new build


@pytest.mark.parametrize("change", ["new post", "deleted post", "retagged post", "retitled post", "template",
                                    "setting", "static file", "page body"])
def test_every_other_change_is_byte_identical_to_a_cold_build(blog, builder, tmp_path, monkeypatch, change):
    dest = tmp_path / "site"
    first = build(blog, dest, monkeypatch)
    post = blog / "posts/2024-01-05-post-5.md"
    if change == "new post":
        builder.post("2024-01-20-post-20", title="Post 20", date="2024-01-20", tags="[common, fresh]")
    elif change == "deleted post":
        post.unlink()
    elif change == "retagged post":
        edit(post, "tags: [common, odd]", "tags: [common, even, new]")
    elif change == "retitled post":
        edit(post, "title: 'Post 5'", "title: 'Post five'")
    elif change == "template":
        builder.file("templates/extend_head.html", "<meta name=\"x-test\" content=\"1\">\n")
    elif change == "setting":
        (blog / "site.toml").write_text((blog / "site.toml").read_text().replace('title = "Test Blog"',
                                                                                  'title = "Renamed Blog"'))
    elif change == "static file":
        builder.file("static/extra.css", "body { color: red; }\n")
    else:
        edit(blog / "pages/about.md", "About text.", "About text, longer now.")
    result = build(blog, dest, monkeypatch)
    if change == "page body":
        assert result.rendered < first.pages / 2
    elif change not in ("static file",):
        assert result.rendered >= result.pages, change
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_a_build_without_a_manifest_renders_everything(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    assert read_manifest(dest)["posts"]["posts/2024-01-01-post-1.md"]
    (dest / ".quire-build").write_text("Written by an older Quire.\n")
    again = build(blog, dest, monkeypatch)
    assert again.rendered >= again.pages
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_a_carried_file_that_went_missing_is_rendered(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    (dest / "posts/2024-01-02-post-2/index.html").unlink()
    build(blog, dest, monkeypatch)
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_the_previous_build_is_not_changed_by_the_next(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    kept = tmp_path / "kept"
    kept.mkdir()
    page = dest / "posts/2024-01-03-post-3/index.html"
    before = page.read_bytes()
    (kept / "page.html").hardlink_to(page)  # hold on to the old file, as a server reading it would
    edit(blog / "posts/2024-01-03-post-3.md", "Body of post 3.", "Body of post 3, edited.")
    build(blog, dest, monkeypatch)
    assert (kept / "page.html").read_bytes() == before
    assert b"Body of post 3, edited." in (dest / "posts/2024-01-03-post-3/index.html").read_bytes()


def search_texts(dest) -> dict[str, tuple[int, bytes]]:
    return {p.relative_to(dest).as_posix(): (p.stat().st_ino, p.read_bytes())
            for p in sorted((dest / "search/text").rglob("*")) if p.is_file()}


def test_search_files_of_unchanged_posts_are_linked_not_written(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    before, style = search_texts(dest), (dest / "static/quire.css").stat().st_ino
    edit(blog / "posts/2024-01-07-post-7.md", "Body of post 7.", "Body of post 7, now about gradients.")
    build(blog, dest, monkeypatch)
    after = search_texts(dest)
    assert (dest / "static/quire.css").stat().st_ino == style  # a file given whole is linked by its digest
    assert set(after) == set(before) and len(after) >= POSTS
    changed = [rel for rel in after if after[rel][1] != before[rel][1]]
    linked = [rel for rel in after if after[rel][0] == before[rel][0]]
    assert len(changed) == 1 and b"now about gradients" in after[changed[0]][1]
    assert sorted(linked) == sorted(set(after) - set(changed))
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_the_search_text_of_an_unchanged_post_is_not_made_again(blog, tmp_path, monkeypatch):
    import quire.freeze

    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    made = []
    real = quire.freeze.Keyed.__call__

    def call(self):
        made.append(self.key)
        return real(self)

    monkeypatch.setattr(quire.freeze.Keyed, "__call__", call)
    edit(blog / "posts/2024-01-07-post-7.md", "Body of post 7.", "Body of post 7, now about gradients.")
    build(blog, dest, monkeypatch)
    assert len(made) == 1  # only the edited post's chunks: the others are linked as a group, never produced
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_a_refreeze_in_worker_processes_links_what_it_can_and_equals_a_cold_build(blog, builder, tmp_path,
                                                                                  monkeypatch):
    import quire.freeze

    for n in range(100):
        builder.post(f"2023-02-{n % 28 + 1:02d}-extra-{n}", title=f"Extra {n}", date=f"2023-02-{n % 28 + 1:02d}")
    dest, made = tmp_path / "site", tmp_path / "made.txt"
    monkeypatch.setenv("QUIRE_CACHE_DIR", str(blog / ".quire-cache"))
    freeze(create_app(blog), dest, jobs=2)
    before = search_texts(dest)
    real = quire.freeze.Keyed.__call__

    def call(self):
        with open(made, "a") as f:  # written by whichever worker makes it
            f.write(self.key + "\n")
        return real(self)

    monkeypatch.setattr(quire.freeze.Keyed, "__call__", call)
    edit(blog / "posts/2024-01-07-post-7.md", "Body of post 7.", "Body of post 7, now about gradients.")
    again = freeze(create_app(blog), dest, jobs=2)
    after = search_texts(dest)
    assert again.rendered < again.pages / 2 and len(made.read_text().split()) == 1
    assert sum(after[rel][0] == before[rel][0] for rel in after) == len(after) - 1
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_search_text_made_by_other_engine_code_is_made_again(blog, tmp_path, monkeypatch):
    import quire.freeze

    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    # A new engine that names the files otherwise: the groups the last one made must not be linked.
    real = quire.freeze._file_path
    monkeypatch.setattr(quire.freeze, "engine_code", lambda: "another engine")
    monkeypatch.setattr(quire.freeze, "_file_path", lambda endpoint, **values: real(endpoint, **values).replace(
        "search/text/", "search/text-v2/"))
    build(blog, dest, monkeypatch)
    assert not (dest / "search/text").exists() and len(list((dest / "search/text-v2").iterdir())) >= POSTS


def test_a_file_the_manifest_vouches_for_is_written_if_it_is_not_a_plain_file(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    # Someone replaced a carried search file and a static file of the old output with symlinks to a secret.
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the web")
    victims = [sorted((dest / "search/text").rglob("*.txt"))[0], dest / "static/quire.css"]
    assert all(v.is_file() for v in victims)
    for victim in victims:
        victim.unlink()
        victim.symlink_to(secret)
    build(blog, dest, monkeypatch)
    assert not any(v.is_symlink() for v in victims)
    assert all(b"not for the web" not in v.read_bytes() for v in victims)
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_the_manifest_records_each_direct_file_by_digest(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    files = read_manifest(dest)["files"]
    assert "index.json" in files and "static/quire.css" in files and "search/shards/" in " ".join(files)
    assert all(len(digest) == 32 for digest in files.values())


def test_a_change_to_any_engine_module_renders_everything(blog, tmp_path, monkeypatch):
    import shutil

    import quire.incremental

    from conftest import PROJECT

    dest = tmp_path / "site"
    first = build(blog, dest, monkeypatch)
    engine = tmp_path / "engine"
    shutil.copytree(PROJECT / "quire", engine, ignore=shutil.ignore_patterns("__pycache__"))
    with open(engine / "views.py", "a", encoding="utf-8") as f:
        f.write("\n# a view changed: the list pages may show posts otherwise\n")
    monkeypatch.setattr(quire.incremental, "__file__", str(engine / "incremental.py"))
    quire.incremental.engine_code.cache_clear()
    try:
        again = build(blog, dest, monkeypatch)
    finally:
        quire.incremental.engine_code.cache_clear()
    assert again.rendered >= first.pages


def test_a_file_written_in_pieces_has_the_digest_of_its_whole_bytes():
    from quire.incremental import content_digest, stream_digest

    pieces, written = [b"[", b'{"title":"A"}', b",", b'{"title":"B"}', b"]"], []
    assert stream_digest(iter(pieces), written.append) == content_digest(b"".join(pieces))
    assert written == pieces
    assert stream_digest([], written.append) == content_digest(b"")


def test_a_tampered_manifest_never_leads_outside_the_output(blog, tmp_path, monkeypatch):
    import json

    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    marker = dest / ".quire-build"
    manifest = json.loads(marker.read_text())
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the web")
    # Every group now claims the secret (by a path that climbs out) and a file listed twice.
    for key in manifest["groups"]:
        manifest["groups"][key] = ["../secret.txt", "search/shards/x.json", "search/shards/x.json"]
    manifest["files"]["../secret.txt"] = "0" * 32
    manifest["files"]["search/shards/x.json"] = "1" * 32
    marker.write_text(json.dumps(manifest))
    build(blog, dest, monkeypatch)
    assert not any(b"not for the web" in p.read_bytes() for p in dest.rglob("*") if p.is_file())
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_a_refreeze_starts_from_the_build_it_replaced(blog, tmp_path, monkeypatch):
    dest, previous = tmp_path / "site", tmp_path / ".site.previous"
    build(blog, dest, monkeypatch)
    assert not previous.exists()  # a first build replaces nothing
    edit(blog / "posts/2024-01-07-post-7.md", "Body of post 7.", "Body of post 7, once.")
    build(blog, dest, monkeypatch)
    replaced = tree(dest)
    edit(blog / "posts/2024-01-07-post-7.md", "post 7, once.", "post 7, twice.")
    build(blog, dest, monkeypatch)
    # The build it replaced is kept beside dest, untouched: nothing was written into a file the two share.
    assert tree(previous) == replaced
    assert b"post 7, twice." in (dest / "posts/2024-01-07-post-7/index.html").read_bytes()
    same_as_cold(blog, dest, tmp_path, monkeypatch)
    # A build that renders everything shares nothing with the one it replaced: that one is not kept.
    (blog / "site.toml").write_text((blog / "site.toml").read_text().replace('title = "Test Blog"',
                                                                              'title = "Renamed Blog"'))
    build(blog, dest, monkeypatch)
    assert not previous.exists()
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_what_lies_in_the_replaced_build_never_reaches_the_new_one(blog, tmp_path, monkeypatch):
    dest, previous, outside = tmp_path / "site", tmp_path / ".site.previous", tmp_path / "outside"
    build(blog, dest, monkeypatch)
    build(blog, dest, monkeypatch)
    outside.mkdir()
    (outside / "index.html").write_text("outside")
    (previous / "junk.html").write_text("junk")
    (previous / "posts/2024-01-03-post-3/index.html").unlink()
    (previous / "posts/2024-01-03-post-3/index.html").write_text("tampered")  # a file of its own, not dest's
    (previous / "posts/2024-01-04-post-4/index.html").unlink()
    (previous / "posts/2024-01-04-post-4/index.html").symlink_to(outside / "index.html")
    shutil.rmtree(previous / "tags/odd")
    (previous / "tags/odd").symlink_to(outside, target_is_directory=True)
    (previous / "search/stray").mkdir()
    os.mkfifo(previous / "search/stray/pipe")
    edit(blog / "posts/2024-01-07-post-7.md", "Body of post 7.", "Body of post 7, edited.")
    build(blog, dest, monkeypatch)
    same_as_cold(blog, dest, tmp_path, monkeypatch)
    assert sorted(p.name for p in outside.iterdir()) == ["index.html"]
    assert (outside / "index.html").read_text() == "outside"


@pytest.mark.parametrize("kind", ["symlink", "file"])
def test_a_replaced_build_that_is_no_folder_is_not_taken_up(blog, tmp_path, monkeypatch, kind):
    dest, previous, outside = tmp_path / "site", tmp_path / ".site.previous", tmp_path / "outside"
    build(blog, dest, monkeypatch)
    outside.mkdir()
    (outside / "index.html").write_text("outside")
    if kind == "symlink":
        previous.symlink_to(outside, target_is_directory=True)
    else:
        previous.write_text("a file")
    edit(blog / "posts/2024-01-07-post-7.md", "Body of post 7.", "Body of post 7, edited.")
    build(blog, dest, monkeypatch)
    same_as_cold(blog, dest, tmp_path, monkeypatch)
    assert sorted(p.name for p in outside.iterdir()) == ["index.html"]
    assert previous.is_dir() and not previous.is_symlink()  # the build just replaced, in its place


def index_entries_made(monkeypatch) -> list[str]:
    import quire.search

    made, real = [], quire.search.safe_json

    def counting(data):
        if isinstance(data, dict) and "permalink" in data:
            made.append(data["title"])
        return real(data)

    monkeypatch.setattr(quire.search, "safe_json", counting)
    return made


def copies(monkeypatch) -> list[int]:
    """Record the bytes each copy_file_range call copies (index.json's unchanged entries, in the kernel)."""
    done, real = [], os.copy_file_range

    def counted(*args, **kwargs):
        done.append(real(*args, **kwargs))
        return done[-1]

    monkeypatch.setattr(os, "copy_file_range", counted)
    return done


def test_index_json_copies_unchanged_posts_entries_from_the_previous_build(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    made, copied = index_entries_made(monkeypatch), copies(monkeypatch)
    edit(blog / "posts/2024-01-07-post-7.md", "Body of post 7.", "Body of post 7, now about gradients.")
    build(blog, dest, monkeypatch)
    assert made == ["Post 7"]
    data = (dest / "index.json").read_bytes()
    assert b"now about gradients" in data
    # Two runs of entries, before and after post 7's (the newest first): the rest of the file, never read here.
    entry = re.search(rb'\{"title":"Post 7".*?\}(?=,|\])', data).group()
    assert len(copied) == 2 and sum(copied) == len(data) - len(entry) - 4  # "[", "]" and two ","
    assert stat.S_IMODE((dest / "index.json").stat().st_mode) == stat.S_IMODE((dest / "robots.txt").stat().st_mode)
    same_as_cold(blog, dest, tmp_path, monkeypatch)
    # and again, from the file this freeze wrote
    made.clear()
    copied.clear()
    edit(blog / "posts/2024-01-01-post-1.md", "Body of post 1.", "Body of post 1, edited.")
    build(blog, dest, monkeypatch)
    assert made == ["Post 1"] and len(copied) == 1  # the oldest post: its entry is the last
    same_as_cold(blog, dest, tmp_path, monkeypatch)


@pytest.mark.parametrize("change", ["written in place", "record lost", "record wrong", "no copy_file_range",
                                    "copy cut short"])
def test_index_json_is_made_whole_when_its_entries_cannot_be_copied_as_recorded(blog, tmp_path, monkeypatch,
                                                                                change):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    records = [p for p in (blog / ".quire-cache").rglob("*.pickle")
               if isinstance(data := pickle.loads(p.read_bytes()), dict) and "stamp" in data]
    assert len(records) == 1
    if change == "written in place":
        index, before = dest / "index.json", (dest / "index.json").stat()
        with open(index, "r+b") as f:
            f.seek(30)
            f.write(b"X")  # the same inode and size, a new mtime
        # (as a write a moment later would have: the file system's clock may not have ticked yet)
        os.utime(index, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    elif change == "record lost":
        records[0].unlink()
    elif change == "record wrong":
        record = pickle.loads(records[0].read_bytes())
        record["entries"][0][0] += 1
        record["entries"][1][0] -= 1  # the same size in all, a wrong place for the second entry
        records[0].write_bytes(pickle.dumps(record))
    elif change == "no copy_file_range":
        def unsupported(*args, **kwargs):
            raise OSError(errno.ENOSYS, "not here")
        monkeypatch.setattr(os, "copy_file_range", unsupported)
    else:
        monkeypatch.setattr(os, "copy_file_range", lambda *args, **kwargs: 0)
    made = index_entries_made(monkeypatch)
    edit(blog / "posts/2024-01-07-post-7.md", "Body of post 7.", "Body of post 7, edited.")
    build(blog, dest, monkeypatch)
    assert made == (["Post 7"] if change == "no copy_file_range" else [f"Post {n}" for n in range(POSTS, 0, -1)])
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_an_index_json_that_is_not_the_one_recorded_is_made_again(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    index = dest / "index.json"
    data = index.read_bytes()
    index.unlink()  # not written into: the old file may be another build's too
    index.write_bytes(data.replace(b"Body of post 3.", b"Body of post 3, tampered."))
    made = index_entries_made(monkeypatch)
    edit(blog / "posts/2024-01-07-post-7.md", "Body of post 7.", "Body of post 7, edited.")
    build(blog, dest, monkeypatch)
    assert len(made) == POSTS  # every entry
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_workers_start_from_the_replaced_build_and_render_what_it_lost(blog, builder, tmp_path, monkeypatch):
    for n in range(100):
        builder.post(f"2023-02-{n % 28 + 1:02d}-extra-{n}", title=f"Extra {n}", date=f"2023-02-{n % 28 + 1:02d}")
    dest, previous = tmp_path / "site", tmp_path / ".site.previous"
    monkeypatch.setenv("QUIRE_CACHE_DIR", str(blog / ".quire-cache"))
    freeze(create_app(blog), dest, jobs=2)
    edit(blog / "posts/2024-01-07-post-7.md", "Body of post 7.", "Body of post 7, once.")
    freeze(create_app(blog), dest, jobs=2)
    replaced = tree(dest)
    page = "posts/2023-02-03-extra-2/index.html"
    (dest / page).unlink()  # lost from the output: the workers cannot carry it over, so it is rendered
    (previous / "tags/index.html").unlink()
    (previous / "tags/index.html").write_text("tampered")
    edit(blog / "posts/2024-01-07-post-7.md", "post 7, once.", "post 7, twice.")
    again = freeze(create_app(blog), dest, jobs=2)
    assert again.rendered < again.pages / 2
    # What it replaced is kept as it was; what lay in the tree it started from (tampered) is nowhere.
    assert tree(previous) == {k: v for k, v in replaced.items() if k != page}
    assert b"post 7, twice." in (dest / "posts/2024-01-07-post-7/index.html").read_bytes()
    same_as_cold(blog, dest, tmp_path, monkeypatch)


@pytest.mark.parametrize("kind", ["fifo", "symlink to a fifo", "folder", "not in the manifest"])
def test_an_index_json_that_cannot_be_read_as_recorded_is_made_again(blog, tmp_path, monkeypatch, kind):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    index = dest / "index.json"
    if kind == "not in the manifest":
        marker = dest / ".quire-build"
        manifest = json.loads(marker.read_text())
        del manifest["files"]["index.json"]
        marker.write_text(json.dumps(manifest))
    else:
        index.unlink()
        if kind == "fifo":
            os.mkfifo(index)  # reading it would wait for a writer forever
        elif kind == "folder":
            index.mkdir()
        else:
            os.mkfifo(tmp_path / "pipe")
            index.symlink_to(tmp_path / "pipe")
    made = index_entries_made(monkeypatch)
    edit(blog / "posts/2024-01-07-post-7.md", "Body of post 7.", "Body of post 7, edited.")
    build(blog, dest, monkeypatch)
    assert len(made) == POSTS
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def twice_edited(blog, dest, monkeypatch) -> None:
    """Freeze, then freeze after an edit: the second leaves the build it replaced beside dest."""
    build(blog, dest, monkeypatch)
    edit(blog / "posts/2024-01-07-post-7.md", "Body of post 7.", "Body of post 7, once.")
    build(blog, dest, monkeypatch)
    edit(blog / "posts/2024-01-07-post-7.md", "post 7, once.", "post 7, twice.")


def counting_links(monkeypatch) -> list[str]:
    linked, real = [], os.link

    def link(source, target, *args, **kwargs):
        linked.append(str(target))
        return real(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)
    return linked


def test_a_refreeze_from_the_replaced_build_links_nothing_anew(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    twice_edited(blog, dest, monkeypatch)
    before = search_texts(dest)
    linked = counting_links(monkeypatch)
    result = build(blog, dest, monkeypatch)
    # Every page and file it carries over is in the tree it started from already, and stays as it is.
    assert result.rendered < result.pages / 2 and linked == []
    after = search_texts(dest)
    assert sum(after[rel] == before[rel] for rel in after) == len(after) - 1  # all but the edited post's text
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_a_replaced_build_swapped_for_a_symlink_meanwhile_is_not_followed(blog, tmp_path, monkeypatch):
    import quire.incremental

    dest, outside = tmp_path / "site", tmp_path / "outside"
    twice_edited(blog, dest, monkeypatch)
    outside.mkdir()
    real = os.rename

    def swapped(source, target):
        if str(source).endswith(".site.previous"):  # another process puts a symlink there first
            os.rmdir(target)
            os.symlink(outside, target)
            return
        real(source, target)

    monkeypatch.setattr(quire.incremental.os, "rename", swapped)
    linked = counting_links(monkeypatch)
    build(blog, dest, monkeypatch)
    assert linked  # it started empty, and linked what it carried over
    assert list(outside.iterdir()) == []
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_a_replaced_build_with_a_folder_that_cannot_be_read_is_set_aside(blog, tmp_path, monkeypatch):
    dest, previous = tmp_path / "site", tmp_path / ".site.previous"
    twice_edited(blog, dest, monkeypatch)
    (previous / "tags/odd/index.html").unlink()
    (previous / "tags/odd/index.html").write_text("stale")  # unseen, it would be kept as if carried over
    real = os.scandir

    def unreadable(path=".", *args):
        if str(path).endswith("tags/odd") and ".site." in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args)

    monkeypatch.setattr(os, "scandir", unreadable)
    build(blog, dest, monkeypatch)
    monkeypatch.setattr(os, "scandir", real)
    same_as_cold(blog, dest, tmp_path, monkeypatch)
    assert [p.name.split(".old-")[0].endswith(".tmp") for p in tmp_path.glob(".site.*.old-*")] == [True]


def test_a_page_that_became_a_symlink_is_rendered_not_carried(blog, tmp_path, monkeypatch):
    dest, outside = tmp_path / "site", tmp_path / "outside.html"
    build(blog, dest, monkeypatch)
    outside.write_text("outside")
    page = dest / "posts/2024-01-03-post-3/index.html"
    page.unlink()
    page.symlink_to(outside)
    build(blog, dest, monkeypatch)
    assert not page.is_symlink() and outside.read_text() == "outside"
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_a_disk_without_hard_links_gets_copies(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)

    def no_links(*args, **kwargs):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    edit(blog / "posts/2024-01-07-post-7.md", "Body of post 7.", "Body of post 7, edited.")
    result = build(blog, dest, monkeypatch)
    assert result.rendered < result.pages / 2
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_a_folder_of_the_output_that_cannot_be_read_is_linked_again_and_nothing_else(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    twice_edited(blog, dest, monkeypatch)
    real = os.scandir

    def unreadable(path=".", *args):
        if str(path) == str(dest / "tags/odd"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args)

    monkeypatch.setattr(os, "scandir", unreadable)
    linked = counting_links(monkeypatch)
    build(blog, dest, monkeypatch)
    monkeypatch.setattr(os, "scandir", real)
    # Unseen in the output, its files cannot be vouched for: they are linked from it again, and only they.
    assert linked and all("/tags/odd/" in target for target in linked), linked
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_files_the_replaced_build_had_and_this_one_does_not_make_are_removed(blog, tmp_path, monkeypatch):
    dest, post = tmp_path / "site", blog / "posts/2024-01-07-post-7.md"
    long_text = " ".join(f"word{n} and more text" for n in range(2000))  # several search text chunks
    edit(post, "Body of post 7.", long_text)
    build(blog, dest, monkeypatch)
    edit(blog / "posts/2024-01-05-post-5.md", "Body of post 5.", "Body of post 5, edited.")
    build(blog, dest, monkeypatch)  # the long post's chunks are carried over: the two builds share them
    many = len(list((dest / "search/text").iterdir()))
    edit(post, long_text, "Short at last.")
    build(blog, dest, monkeypatch)  # starts from the first build, which holds those chunks: they must go
    assert len(list((dest / "search/text").iterdir())) < many
    same_as_cold(blog, dest, tmp_path, monkeypatch)


@pytest.mark.parametrize("change", ["text", "summary"])
def test_a_series_post_edit_equals_a_cold_build(blog, builder, tmp_path, monkeypatch, change):
    for n in (3, 4):
        edit(blog / f"posts/2024-01-0{n}-post-{n}.md", "tags:", "series: Steps\ntags:")
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    page = (dest / "series/steps/index.html").stat().st_ino
    old, new = ("Body of post 4.", "Body of post 4, longer.") if change == "text" else ("Opening of post 4", "Post 4")
    edit(blog / "posts/2024-01-04-post-4.md", old, new)
    build(blog, dest, monkeypatch)
    assert ((dest / "series/steps/index.html").stat().st_ino == page) == (change == "text")
    assert new.encode() in (dest / "posts/2024-01-04-post-4/index.html").read_bytes()
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_a_summary_edit_on_the_first_page_of_a_list_renders_that_page(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    edit(blog / "posts/2024-01-14-post-14.md", "Opening of post 14", "A new opening of post 14")
    build(blog, dest, monkeypatch)
    assert b"A new opening of post 14" in (dest / "index.html").read_bytes()
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_a_site_under_a_path_is_re_frozen_as_a_cold_build(blog, tmp_path, monkeypatch):
    toml = (blog / "site.toml").read_text()
    (blog / "site.toml").write_text(re.sub(r'(?m)^base_url = .*$', 'base_url = "https://example.org/blog/"', toml))
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    edit(blog / "posts/2024-01-14-post-14.md", "Body of post 14.", "Body of post 14, and more.")
    edit(blog / "posts/2024-01-13-post-13.md", "Opening of post 13", "A new opening of post 13")
    result = build(blog, dest, monkeypatch)
    assert result.rendered < result.pages / 2
    assert b"Body of post 14, and more." in (dest / "posts/2024-01-14-post-14/index.html").read_bytes()
    assert b"A new opening of post 13" in (dest / "index.html").read_bytes()
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_a_manifest_whose_list_digests_are_not_a_mapping_renders_the_lists(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    marker = json.loads((dest / ".quire-build").read_text())
    marker["listed"] = ["not", "a", "mapping"]
    (dest / ".quire-build").write_text(json.dumps(marker))
    edit(blog / "posts/2024-01-14-post-14.md", "Body of post 14.", "Body of post 14, and more.")
    result = build(blog, dest, monkeypatch)
    assert result.rendered < result.pages  # bodies alone changed: the lists are rendered, not everything
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_a_carried_group_whose_file_the_manifest_does_not_vouch_for_is_made_again(blog, tmp_path, monkeypatch):
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    build(blog, dest, monkeypatch)  # the next re-freeze keeps the files of the build it replaced
    marker = json.loads((dest / ".quire-build").read_text())
    doc = "search/docs/0.json"
    del marker["files"][doc]  # listed in its group, with no digest
    (dest / ".quire-build").write_text(json.dumps(marker))
    (dest / doc).write_text("tampered")  # in place: the replaced build's copy is the same file
    build(blog, dest, monkeypatch)
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_a_bundle_file_changed_in_place_is_copied_again(blog, builder, tmp_path, monkeypatch):
    builder.file("posts/2024-02-01-bundle/index.md", "---\ntitle: Bundle\ndate: 2024-02-01\n---\n![Plot](plot.svg)\n")
    builder.file("posts/2024-02-01-bundle/plot.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    dest = tmp_path / "site"
    build(blog, dest, monkeypatch)
    builder.file("posts/2024-02-01-bundle/plot.svg", "<svg xmlns='http://www.w3.org/2000/svg'><g/></svg>")
    build(blog, dest, monkeypatch)
    assert (dest / "posts/2024-02-01-bundle/plot.svg").read_text().endswith("<g/></svg>")
    same_as_cold(blog, dest, tmp_path, monkeypatch)


def test_the_manifest_has_an_entry_a_line_and_reads_back_whatever_the_names(tmp_path):
    from quire.incremental import write_manifest

    current = {"files": {'a,"b.html': 'x",y', "c.html": "z"}, "groups": {"k": ['a,"b.html', "c.html"]},
               "posts": {}, "shape": "s", "shared": "t"}
    write_manifest(tmp_path, current)
    text = (tmp_path / ".quire-build").read_text()
    assert read_manifest(tmp_path) == current == json.loads(text)
    assert text.splitlines() == ['{"files":{"a,\\"b.html":"x\\",y",', '"c.html":"z"},', '"groups":{"k":["a,\\"b.html",',
                                 '"c.html"]},', '"posts":{},', '"shape":"s",', '"shared":"t"}']
