"""Freeze: complete, byte-identical to the live server, linked, sub-path safe, atomic, never destructive."""

import functools
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from pathlib import Path

import pytest
from flask import abort, request

from quire import PROJECT_ROOT, create_app
from quire.freeze import MARKER, FreezeError, direct_files
from quire.freeze import freeze as freeze_site
from quire.workers import Aside

from linkcheck import broken_links


def run_freeze(runner, *args):
    return runner.invoke(args=["freeze", *args])


@pytest.fixture
def blog(builder):
    builder.post("2024-01-01-first", title="First", date="2024-01-01", tags="[alpha, beta]",
                 body="# Intro\n\nSee [second](/posts/2024-02-01-second/#details) and $x$.\n\n## Details\n\nx\n")
    builder.post("2024-02-01-second", title="Second", date="2024-02-01", tags="[alpha]",
                 aliases='["/lil-log/2024/02/01/second.html"]',
                 body="# Details\n\nBack to [first](/posts/2024-01-01-first/#intro).\n")
    builder.file("posts/2024-03-01-bundle/index.md",
                 "---\ntitle: Bundle\ndate: 2024-03-01\ntags: [beta]\n---\n![Fig](fig.svg)\n*A figure*\n")
    builder.file("posts/2024-03-01-bundle/fig.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    builder.file("posts/2024-03-01-bundle/data/table.csv", "a,b\n1,2\n")
    for i in range(11):
        builder.post(f"2023-05-{i + 1:02d}-filler", title=f"Filler {i}", date=f"2023-05-{i + 1:02d}", tags="[alpha]")
    builder.page("faq", title="FAQ", body="Questions.")
    return builder


def leftovers(folder: Path) -> list[str]:
    """Name the work folders a freeze left beside its destination."""
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp") or ".old-" in p.name]


def frozen_urls(root: Path):
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != MARKER:
            rel = path.relative_to(root).as_posix()
            yield path, "/" + (rel.removesuffix("index.html"))


def test_freeze_writes_every_route(blog, runner, site_dir, tmp_path):
    dest = tmp_path / "out"
    result = run_freeze(runner, "--dest", str(dest))
    assert result.exit_code == 0, result.output
    assert "Froze" in result.output and "pages" in result.output and "MB" in result.output
    for rel in ("index.html", "page/2/index.html", "posts/2024-01-01-first/index.html",
                "posts/2024-03-01-bundle/fig.svg", "posts/2024-03-01-bundle/data/table.csv",
                "tags/index.html", "tags/alpha/index.html", "tags/alpha/page/2/index.html",
                "tags/alpha/index.xml", "archives/index.html", "faq/index.html", "search/index.html",
                "search/index.json", "index.xml", "atom.xml", "index.json", "sitemap.xml", "robots.txt",
                "404.html", "lil-log/2024/02/01/second.html", "static/quire.js", "static/search.js",
                "assets/quire.css", "page/1/index.html", MARKER):
        assert (dest / rel).is_file(), rel
    assert list(dest.glob("search/shards/*.json")) and list(dest.glob("search/text/*.txt"))
    assert not (dest / "posts/2024-03-01-bundle/index.md").exists()


def test_frozen_files_identical_to_live(blog, runner, app, tmp_path):
    dest = tmp_path / "out"
    assert run_freeze(runner, "--dest", str(dest)).exit_code == 0
    live = create_app(app.extensions["quire"].site_dir,
                      config={"TESTING": True, "SERVER_NAME": None}).test_client()
    count = 0
    for path, url in frozen_urls(dest):
        with live.get(url) as response:
            assert response.status_code == 200, url
            assert response.data == path.read_bytes(), url
        count += 1
    assert count > 60


def test_no_broken_links(blog, runner, tmp_path):
    dest = tmp_path / "out"
    assert run_freeze(runner, "--dest", str(dest)).exit_code == 0
    assert broken_links(dest, "https://blog.example.org/") == []


def test_link_checker_catches_misses(blog, runner, tmp_path):
    blog.post("2024-04-01-bad", title="Bad links", date="2024-04-01",
              body="[x](/posts/nope/) [y](/posts/2024-01-01-first/#no-such-heading)")
    dest = tmp_path / "out"
    assert run_freeze(runner, "--dest", str(dest), "--ignore-errors").exit_code == 0
    problems = broken_links(dest, "https://blog.example.org/")
    assert any("/posts/nope/" in p for p in problems)
    assert any("no-such-heading" in p for p in problems)




def serve(folder: Path, prefix: str):
    """Serve a folder under a URL prefix on a free loopback port; return the server."""
    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path):
            if not path.startswith(prefix + "/"):
                return str(folder / "__missing__")
            return super().translate_path(path[len(prefix):])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_sub_path_hosting(blog, runner, tmp_path):
    path, dest = "/blog", tmp_path / "out"
    result = run_freeze(runner, "--dest", str(dest), "--base-url", f"https://example.org{path}/")
    assert result.exit_code == 0, result.output
    assert broken_links(dest, f"https://example.org{path}/") == []
    home = (dest / "index.html").read_text()
    assert f'href="{path}/assets/quire.css"' in home and f'href="{path}/posts/2024-01-01-first/"' in home
    assert f'rel="canonical" href="https://example.org{path}/"' in home
    post = (dest / "posts/2024-01-01-first/index.html").read_text()
    assert f'href="{path}/posts/2024-02-01-second/#details"' in post
    assert f'data-index="{path}/search/index.json"' in (dest / "search/index.html").read_text()
    assert f"url={path}/posts/2024-02-01-second/" in (dest / "lil-log/2024/02/01/second.html").read_text()
    assert f"https://example.org{path}/posts/" in (dest / "index.xml").read_text()
    assert f"Sitemap: https://example.org{path}/sitemap.xml" in (dest / "robots.txt").read_text()
    server = serve(dest, path)
    try:
        port = server.server_address[1]
        seen, queue = set(), [f"{path}/"]
        from urllib.parse import urljoin, urlsplit

        from linkcheck import _Links
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{url}") as response:
                assert response.status == 200, url
                body = response.read()
                if response.headers.get_content_type() != "text/html":
                    continue
            parser = _Links()
            parser.feed(body.decode())
            for link in parser.links:
                parts = urlsplit(urljoin(url, link))
                if not parts.scheme and parts.path.startswith("/"):
                    assert parts.path.startswith(f"{path}/"), (url, link)
                    queue.append(parts.path)
        assert len(seen) >= 30
    finally:
        server.shutdown()
        server.server_close()


def test_refuses_foreign_non_empty_folder(blog, runner, tmp_path):
    dest = tmp_path / "precious"
    dest.mkdir()
    (dest / "thesis.tex").write_text("years of work")
    result = run_freeze(runner, "--dest", str(dest))
    assert result.exit_code == 1
    assert "refusing" in result.output
    assert (dest / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in dest.iterdir()) == ["thesis.tex"]


def test_refuses_a_file_as_destination(blog, runner, app, tmp_path):
    dest = tmp_path / "notes.txt"
    dest.write_text("my notes")
    result = run_freeze(runner, "--dest", str(dest))
    assert result.exit_code != 0
    assert f"{dest}" in result.output and "is a file" in result.output
    with pytest.raises(FreezeError, match=f"{dest} is a file, not a folder: choose another --dest"):
        freeze_site(app, dest, jobs=1)  # the same guard without the command line's
    assert dest.read_text() == "my notes"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".notes")] == []  # no work folder, no .old


def test_keeps_git_cname_nojekyll_and_drops_stale_pages(blog, runner, tmp_path):
    dest = tmp_path / "out"
    assert run_freeze(runner, "--dest", str(dest)).exit_code == 0
    (dest / ".git").mkdir()
    (dest / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages\n")
    (dest / "CNAME").write_text("blog.example.org\n")
    (dest / ".nojekyll").write_text("")
    (dest / "posts" / "deleted-long-ago").mkdir()
    (dest / "posts" / "deleted-long-ago" / "index.html").write_text("stale")
    assert run_freeze(runner, "--dest", str(dest)).exit_code == 0
    assert (dest / ".git" / "HEAD").read_text() == "ref: refs/heads/gh-pages\n"
    assert (dest / "CNAME").read_text() == "blog.example.org\n"
    assert (dest / ".nojekyll").exists()
    assert not (dest / "posts" / "deleted-long-ago").exists()
    assert leftovers(tmp_path) == []
    # The figures reported count the site's files as they are on disk: kept ones too, .git's never.
    result = freeze_site(runner.app, dest, jobs=1)
    on_disk = [p for p in dest.rglob("*") if p.is_file() and ".git" not in p.relative_to(dest).parts]
    assert (dest / "CNAME") in on_disk and (dest / ".nojekyll") in on_disk
    assert (result.files, result.bytes) == (len(on_disk), sum(p.stat().st_size for p in on_disk))
    assert 0 < result.seconds < 300


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_content_error_stops_freeze_and_reports_every_file(blog, runner, tmp_path):
    dest = tmp_path / "out"
    assert run_freeze(runner, "--dest", str(dest)).exit_code == 0
    before = snapshot(dest)
    blog.file("posts/broken-one.md", "---\ntitle: [x\ndate: 2024-01-01\n---\n")
    blog.file("posts/broken-two.md", "---\ntitle: Two\ndate: someday\n---\n")
    result = run_freeze(runner, "--dest", str(dest))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    # Each error once, on its own line.
    assert [line for line in lines if ": error: " in line] == [
        "posts/broken-one.md:2: error: bad YAML front matter: did not find expected ',' or ']'; check quoting and "
        "indentation",
        "posts/broken-two.md:3: error: 'date' 'someday' is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+HH:MM"]
    assert "2 error(s)" in result.output
    assert snapshot(dest) == before
    with pytest.raises(FreezeError, match="2 error"):  # called from Python, too, errors stop it
        freeze_site(runner.app, dest, jobs=1)
    assert snapshot(dest) == before


def test_render_failure_leaves_previous_output(blog, runner, app, tmp_path, monkeypatch):
    dest = tmp_path / "out"
    assert run_freeze(runner, "--dest", str(dest)).exit_code == 0
    before = snapshot(dest)
    import quire.freeze

    def explode(app):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(quire.freeze, "direct_files", explode)
    result = run_freeze(runner, "--dest", str(dest))
    assert result.exit_code != 0
    assert snapshot(dest) == before
    assert leftovers(tmp_path) == []


def break_page(app, path: str) -> None:
    """Make one page of the app answer 500, as a failing template would."""
    @app.before_request
    def fail():
        if request.path == path:
            abort(500)


def test_a_page_that_fails_to_render_is_named(blog, app, tmp_path):
    break_page(app, "/faq/")
    with pytest.raises(FreezeError) as info:
        freeze_site(app, tmp_path / "out", jobs=1)
    assert str(info.value) == "error: Unexpected status '500 INTERNAL SERVER ERROR' on URL /faq/"


def test_a_failed_freeze_whose_work_folder_cannot_be_removed_still_names_the_failure(blog, app, tmp_path,
                                                                                      monkeypatch):
    break_page(app, "/faq/")
    real = os.rmdir

    def refuse(path, *args, **kwargs):
        if str(path).endswith(".tmp"):
            raise PermissionError(1, "Operation not permitted", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "rmdir", refuse)
    with pytest.raises(FreezeError, match="Unexpected status '500 INTERNAL SERVER ERROR' on URL /faq/"):
        freeze_site(app, tmp_path / "out", jobs=1)


def test_a_page_that_cannot_be_written_is_named(blog, app, tmp_path, monkeypatch):
    def full(self, data):
        raise OSError(28, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", full)  # how Frozen-Flask writes a page
    with pytest.raises(FreezeError) as info:
        freeze_site(app, tmp_path / "out", jobs=1)
    assert str(info.value).startswith(f"error: cannot write {tmp_path}/.out.")
    assert str(info.value).endswith("/index.html: No space left on device")
    assert leftovers(tmp_path) == [] and not (tmp_path / "out").exists()


def test_a_file_that_cannot_be_written_is_named_with_its_source(blog, app, tmp_path, monkeypatch):
    import quire.freeze

    real = quire.freeze.direct_files
    monkeypatch.setattr(quire.freeze, "direct_files", lambda *args: [*real(*args), lambda: [("junk", b"1"),
                                                                                        ("junk/x.txt", b"2")]])
    with pytest.raises(FreezeError) as info:
        freeze_site(app, tmp_path / "out", jobs=1)
    work = str(info.value).rsplit("(", 1)[1].rstrip(")")
    assert str(info.value) == f"error: cannot write junk/x.txt: File exists ({work})" and work.endswith("/junk")
    monkeypatch.setattr(quire.freeze, "direct_files", real)

    def full(source, target):
        raise OSError(28, "No space left on device", target)

    monkeypatch.setattr(shutil, "copyfile", full)  # how a static or bundle file is copied
    with pytest.raises(FreezeError) as info:
        freeze_site(app, tmp_path / "out", jobs=1)
    assert re.fullmatch(rf"error: cannot write static/(\S+) from {re.escape(str(PROJECT_ROOT))}/static/\1: "
                        rf"No space left on device \(\S+/\.out\.\w+\.tmp/static/\1\)", str(info.value))


def test_a_warning_while_freezing_reaches_the_user(blog, app, tmp_path):
    # Only Frozen-Flask's warning about the endpoints Quire writes itself is silenced: a library's is not.
    @app.after_request
    def deprecated(response):
        if request.path == "/faq/":
            warnings.warn("this call goes away in the next release", DeprecationWarning, stacklevel=1)
        return response

    with pytest.warns(DeprecationWarning, match="goes away"):
        freeze_site(app, tmp_path / "out", jobs=1)


def test_hidden_files_are_not_published_and_the_rest_are(blog, app, site_dir, tmp_path):
    (site_dir / "static").mkdir(exist_ok=True)
    for folder in (site_dir / "static", site_dir / "posts/2024-03-01-bundle"):
        (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
        (folder / ".drafts").mkdir()
        (folder / ".drafts/notes.txt").write_text("not yet")
    (site_dir / "static/robots-extra.txt").write_text("User-agent: *\n")
    freeze_site(app, tmp_path / "out", jobs=1)
    published = {p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")}
    assert [rel for rel in published if "/." in "/" + rel] == [MARKER]  # the freeze's own mark
    assert {"static/robots-extra.txt", "posts/2024-03-01-bundle/fig.svg"} <= published


def test_a_freeze_builds_beside_its_destination_in_a_folder_it_can_find_again(blog, app, tmp_path):
    # A killed freeze's folder is found by this name and removed by the next one; beside dest, the swap is a rename.
    dest, seen = tmp_path / "new" / "deeper" / "out", []
    freeze_site(app, dest, progress=lambda count: seen.extend(dest.parent.iterdir()), jobs=1)
    (building,) = {p.name for p in seen if p.is_dir() or not p.exists()}  # the lock file stays
    assert building.startswith(".out.") and building.endswith(".tmp")
    assert (dest / "index.html").is_file() and sorted(p.name for p in dest.parent.iterdir()) == [".out.lock", "out"]


def test_the_work_folders_of_killed_freezes_are_removed_and_nothing_else(blog, app, tmp_path):
    dest = tmp_path / "out"
    stale = [tmp_path / ".out.k3j9.tmp", tmp_path / ".out.old-4242"]
    kept = [tmp_path / ".out.notes", tmp_path / ".out.drafts.tmp", tmp_path / ".outline.tmp"]
    for folder in [*stale, kept[0], kept[2]]:
        (folder / "posts").mkdir(parents=True)
        (folder / "posts/index.html").write_text("half written")
    kept[1].write_text("a file, not a work folder")
    freeze_site(app, dest, jobs=1)
    assert [p.exists() for p in stale] == [False, False]
    assert [p.exists() for p in kept] == [True, True, True]


def test_a_leftover_that_cannot_be_removed_does_not_stop_a_freeze(blog, app, tmp_path, monkeypatch):
    (tmp_path / ".out.k3j9.tmp/posts").mkdir(parents=True)
    stuck = ["k3j9"]
    real = os.rmdir

    def refuse(path, *args, **kwargs):
        if any(part in str(path) for part in stuck):
            raise PermissionError(1, "Operation not permitted", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "rmdir", refuse)
    freeze_site(app, tmp_path / "out", jobs=1)
    assert (tmp_path / "out/index.html").is_file() and (tmp_path / ".out.k3j9.tmp").is_dir()
    # Nor does the previous output, once swapped out, if it cannot be removed (a new post: all is rendered
    # again, so the replaced build is not kept).
    stuck = [".out.previous"]
    blog.post("2024-04-01-fourth", title="Fourth", date="2024-04-01")
    freeze_site(app, tmp_path / "out", jobs=1)
    assert "Fourth" in (tmp_path / "out/index.html").read_text()
    assert (tmp_path / ".out.previous").is_dir()
    # The next freeze cannot put its replaced build there either: it puts it aside under a name of its own.
    stuck = [".out.previous", "old-"]
    blog.post("2024-05-01-fifth", title="Fifth", date="2024-05-01")
    freeze_site(app, tmp_path / "out", jobs=1)
    assert "Fifth" in (tmp_path / "out/index.html").read_text()
    assert len(list(tmp_path.glob(".out.old-*"))) == 1  # left for the next freeze to remove


def test_a_replaced_build_goes_aside_when_its_place_is_taken(blog, app, tmp_path, monkeypatch):
    dest, taken = tmp_path / "out", tmp_path / ".out.previous"
    freeze_site(app, dest, jobs=1)
    taken.write_text("not a build, and it cannot be removed")
    real = os.unlink

    def refuse(path, *args, **kwargs):
        if str(path) == str(taken):
            raise PermissionError(1, "Operation not permitted", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", refuse)
    # Nothing changed: the build this freeze replaces would be kept, but not there; it is removed instead.
    result = freeze_site(app, dest, jobs=1)
    assert result.rendered < result.pages and (dest / "index.html").is_file()
    assert leftovers(tmp_path) == [] and taken.read_text() == "not a build, and it cannot be removed"


def test_one_job_renders_a_large_site_in_this_process_and_follows_its_links(large_blog, app, tmp_path,
                                                                            monkeypatch):
    # The safety net of a freeze in one process: every url_for met while rendering is frozen too.
    import quire.freeze

    every = quire.freeze.page_urls
    monkeypatch.setattr(quire.freeze, "page_urls",
                        lambda *args: [u for u in every(*args) if u != "/posts/2024-02-01-second/"])
    freeze_site(app, tmp_path / "out", jobs=1)
    assert "Back to" in (tmp_path / "out/posts/2024-02-01-second/index.html").read_text()


def test_killed_freeze_leaves_previous_output(site_dir, tmp_path):
    for i in range(300):
        (site_dir / "posts" / f"p{i}.md").write_text(
            f"---\ntitle: P{i}\ndate: 2024-01-01\ntags: [t{i % 7}]\n---\n" + "Words $x$ here.\n\n" * 200)
    dest = tmp_path / "out"
    env = dict(os.environ, QUIRE_SITE=str(site_dir), FLASK_APP=str(PROJECT_ROOT / "app.py"), QUIRE_CACHE_DIR="off")
    subprocess.run([sys.executable, "-m", "flask", "freeze", "--dest", str(dest)], env=env, check=True,
                   capture_output=True)
    before = snapshot(dest)
    (site_dir / "posts" / "p0.md").write_text("---\ntitle: Changed\ndate: 2024-01-01\n---\nnew\n")
    proc = subprocess.Popen([sys.executable, "-m", "flask", "freeze", "--dest", str(dest)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    # Kill it once it has begun writing its new output: mid-freeze.
    while time.time() < deadline and not any(p.name.endswith(".tmp") and any(p.rglob("*.html"))
                                             for p in tmp_path.iterdir()):
        time.sleep(0.005)
    assert proc.poll() is None, "the freeze finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert snapshot(dest) == before
    # The next freeze cleans up the killed one's leftovers.
    subprocess.run([sys.executable, "-m", "flask", "freeze", "--dest", str(dest)], env=env, check=True,
                   capture_output=True)
    assert "Changed" in (dest / "posts/p0/index.html").read_text()
    assert leftovers(tmp_path) == []


def test_drafts_flag(blog, runner, tmp_path):
    blog.post("2024-05-05-draft", title="Drafty", draft="true")
    dest = tmp_path / "out"
    assert run_freeze(runner, "--dest", str(dest)).exit_code == 0
    assert not (dest / "posts/2024-05-05-draft").exists()
    assert run_freeze(runner, "--dest", str(dest), "--drafts").exit_code == 0
    assert (dest / "posts/2024-05-05-draft/index.html").exists()


@pytest.fixture
def large_blog(blog):
    """The blog with enough pages to be frozen by two worker processes."""
    for i in range(120):
        blog.post(f"2022-01-01-more-{i}", title=f"More {i}", date="2022-01-01")
    return blog


def test_a_page_that_fails_in_a_worker_is_named(large_blog, app, tmp_path):
    break_page(app, "/faq/")
    with pytest.raises(FreezeError) as info:
        freeze_site(app, tmp_path / "out", jobs=2)
    assert str(info.value) == "error: Unexpected status '500 INTERNAL SERVER ERROR' on URL /faq/"
    assert leftovers(tmp_path) == [] and not (tmp_path / "out").exists()


def test_errors_the_check_finds_stop_a_freeze_in_workers_and_write_nothing(large_blog, app, tmp_path, monkeypatch):
    import quire.freeze

    asides = []
    monkeypatch.setattr(quire.freeze, "Aside", lambda *args: asides.append(args) or Aside(*args))
    dest = tmp_path / "out"
    freeze_site(app, dest, jobs=2)
    assert asides == []  # a full render checks first
    before = snapshot(dest)

    def refused(error: str) -> None:
        with pytest.raises(FreezeError) as info:
            freeze_site(app, dest, jobs=2)
        assert str(info.value) == (f"{error}\n1 error(s) (see `flask check`): nothing was written; fix them, or "
                                   f"publish anyway with --ignore-errors")
        assert snapshot(dest) == before and leftovers(tmp_path) == []

    # A body edit: a re-freeze, whose workers write while this process checks. The check's errors stop them,
    # and nothing is swapped in.
    large_blog.post("2022-01-01-more-3", title="More 3", date="2022-01-01", body="See [this](/nowhere/).")
    refused("posts/2022-01-01-more-3.md:5: error: link '/nowhere/' points nowhere: no page or file at /nowhere/")
    assert len(asides) == 1  # checked in a process aside
    large_blog.post("2022-01-01-more-3", title="More 3", date="2022-01-01")
    # A new post: everything is rendered, and the check (aside from the start, as there is a previous build)
    # ends first.
    large_blog.file("posts/broken.md", "---\ntitle: Broken\ndate: someday\n---\n")
    bad_date = ("posts/broken.md:3: error: 'date' 'someday' is not a date: write YYYY-MM-DD or "
                "YYYY-MM-DDTHH:MM:SS+HH:MM")
    refused(bad_date)
    assert len(asides) == 2
    reported = []
    freeze_site(app, dest, jobs=2, ignore_errors=True, report=reported.append)
    assert reported == [bad_date]
    assert (dest / "posts/2022-01-01-more-7/index.html").is_file()


def test_a_re_freeze_checks_aside_and_keeps_what_the_check_cached(large_blog, tmp_path, monkeypatch):
    import quire.freeze

    monkeypatch.setenv("QUIRE_CACHE_DIR", str(tmp_path / "cache"))
    dest = tmp_path / "out"
    freeze_site(create_app(large_blog.root), dest, jobs=2)
    cached = sorted(p.name for p in (tmp_path / "cache").rglob("*.pickle"))
    asides = []
    monkeypatch.setattr(quire.freeze, "Aside", lambda *args: asides.append(args) or Aside(*args))
    result = freeze_site(create_app(large_blog.root), dest, jobs=2)
    assert asides and result.rendered == 0
    # The check's own entries were used by the process aside: the freeze's pruning must not take them for stale.
    assert sorted(p.name for p in (tmp_path / "cache").rglob("*.pickle")) == cached

    def broken(app):
        raise ValueError("a bug in the check")

    monkeypatch.setattr(quire.freeze, "check_site", broken)
    before = snapshot(dest)
    with pytest.raises(FreezeError) as info:
        freeze_site(create_app(large_blog.root), dest, jobs=2)
    assert str(info.value) == "error: the check failed: ValueError: a bug in the check"
    assert snapshot(dest) == before and leftovers(tmp_path) == []


def test_a_call_aside_returns_its_value_or_says_why_not():
    assert Aside(divmod, 7, 2).result() == (3, 1)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        Aside(divmod, 7, 0).result()
    with pytest.raises(RuntimeError, match="^its process ended without an answer$"):
        Aside(os._exit, 3).result()
    slow = Aside(time.sleep, 60)
    pid, started = slow.pid, time.monotonic()
    slow.close()  # stopped and reaped, at once
    slow.close()  # and a second time, nothing more to do
    assert pid and time.monotonic() - started < 5 and slow.pid is None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # no such child: reaped


def test_a_bug_in_a_worker_is_named_not_lost(large_blog, app, tmp_path, monkeypatch):
    import quire.freeze

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(quire.freeze, "write_file", explode)  # inherited by the forked workers
    with pytest.raises(FreezeError) as info:
        freeze_site(app, tmp_path / "out", jobs=2)
    assert str(info.value) == "error: RuntimeError: disk on fire\nerror: RuntimeError: disk on fire"  # each worker


def test_progress_reports_files_written(large_blog, app, tmp_path, monkeypatch):
    import quire.freeze

    for jobs in (1, 2):
        if jobs > 1:  # workers that take a moment per file, so that progress has something to report meanwhile
            write = quire.freeze.write_file
            monkeypatch.setattr(quire.freeze, "write_file",
                                lambda *args, write=write: time.sleep(0.002) or write(*args))
        seen = []
        result = freeze_site(app, tmp_path / f"out{jobs}", progress=seen.append, jobs=jobs)
        assert seen == sorted(seen) and len(seen) > 1, jobs
        with app.test_request_context():  # file paths come from url_for, as when the freeze writes them
            direct = sum(1 for produce in direct_files(app) for _ in produce())
        assert seen[-1] == result.rendered + direct, jobs  # the final count: every page and every file
        if jobs > 1:  # one process also freezes the url_for targets it meets, static files among them
            assert seen[-1] == result.files - 1  # every file but the marker
            assert seen[0] < seen[-1], seen  # reported while the workers write, not only at the end
        else:  # one process reports every 20 files, then the final count
            assert seen[:-1] == list(range(20, 20 * len(seen), 20))


def test_a_re_freeze_finds_the_kept_files_while_its_workers_write_and_misses_none(large_blog, tmp_path, monkeypatch):
    import quire.freeze

    monkeypatch.setenv("QUIRE_CACHE_DIR", str(tmp_path / "cache"))
    dest = tmp_path / "out"
    cold = freeze_site(create_app(large_blog.root), dest, jobs=2)
    large_blog.post("2022-01-01-more-3", title="More 3", date="2022-01-01", body="Edited once.")
    freeze_site(create_app(large_blog.root), dest, jobs=2)  # (it leaves the build it replaced, to start from)
    large_blog.post("2022-01-01-more-3", title="More 3", date="2022-01-01", body="Edited.")
    looked, real = [], quire.freeze.file_sizes

    def counted(work, rels):
        rels = list(rels)
        looked.append(len(rels))
        return real(work, rels)

    monkeypatch.setattr(quire.freeze, "file_sizes", counted)
    again = freeze_site(create_app(large_blog.root), dest, jobs=2)
    assert 0 < again.rendered < again.pages / 10
    # The kept pages found while the workers wrote, the other files after.
    assert len(looked) == 2 and looked[0] > again.pages / 2 and looked[1] < again.files - again.pages / 2
    files = [p for p in dest.rglob("*") if p.is_file()]
    assert (again.files, again.bytes) == (len(files), sum(p.stat().st_size for p in files)) != (cold.files, cold.bytes)

    real_render = quire.freeze._render

    def losing_a_kept_file(app, work, *args, **kwargs):
        (work / "posts/2022-01-01-more-7/index.html").unlink()  # before the workers start
        return real_render(app, work, *args, **kwargs)

    monkeypatch.setattr(quire.freeze, "_render", losing_a_kept_file)
    large_blog.post("2022-01-01-more-3", title="More 3", date="2022-01-01", body="Edited again.")
    before = snapshot(dest)
    with pytest.raises(FreezeError) as info:
        freeze_site(create_app(large_blog.root), dest, jobs=2)
    assert "1 file(s) missing, first 'posts/2022-01-01-more-7/index.html'" in str(info.value)
    assert snapshot(dest) == before and leftovers(tmp_path) == []
