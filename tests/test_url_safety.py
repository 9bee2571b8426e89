"""URLs from content stay inside the site: aliases, slugs, reserved output names, symlinks, NFC, canonical links."""

import os
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

from quire import create_app

ESCAPES = ["/../ESC.html", "/../../ESC1/", "/a/../../ESC2/", "/%2e%2e/ESC3/", "/a/%2E%2E/%2e%2e/ESC4.html",
           "/..\\\\ESC5/", "//evil.example/x/", "http://evil.example/x/", "/./x/", "/a\\x00b/", "/q?x=1", "/#top"]


def freeze(runner, dest, *options):
    result = runner.invoke(args=["freeze", "--dest", str(dest), *options])
    return result.exit_code, result.output


def check(runner):
    result = runner.invoke(args=["check"])
    return result.exit_code, result.output


@pytest.mark.parametrize("alias", ESCAPES)
def test_alias_leaving_the_site_is_an_error_everywhere(builder, runner, client, tmp_path, alias):
    builder.file("posts/a.md", f'---\ntitle: A\ndate: 2024-01-01\naliases: ["/fine/", "{alias}"]\n---\nText.\n')
    builder.post("b", title="B")
    code, output = check(runner)
    assert code == 1 and "posts/a.md:4: error: alias" in output, output
    assert client.get("/posts/b/").status_code == 200 and client.get("/posts/a/").status_code == 500
    dest = tmp_path / "o" / "d"
    code, output = freeze(runner, dest)
    assert code == 1 and "posts/a.md:4: error: alias" in output
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if "ESC" in p.name)
    assert written == [] and not dest.exists()


def test_freeze_refuses_any_path_outside_the_build_folder(builder, app, tmp_path, monkeypatch):
    # Whatever produced a URL (a future route, a bug), the freeze's one write check stops it.
    from quire import freeze as freezing
    builder.post("a", title="A")
    dest = tmp_path / "o" / "d"
    real = freezing.page_urls
    monkeypatch.setattr(freezing, "page_urls", lambda app, *args: [*real(app, *args), "/../ESC.html"])
    with pytest.raises(freezing.FreezeError, match=r"refusing to write '\.\./ESC\.html'"):
        freezing.freeze(app, dest, jobs=1)
    monkeypatch.setattr(freezing, "page_urls", real)
    real_files = freezing.direct_files
    monkeypatch.setattr(freezing, "direct_files", lambda *args: [*real_files(*args), lambda: [("../ESC2.txt", b"x")]])
    with pytest.raises(freezing.FreezeError, match=r"refusing to write '\.\./ESC2\.txt'"):
        freezing.freeze(app, dest, jobs=1)
    assert not list(tmp_path.rglob("ESC*")) and not dest.exists()


@pytest.mark.parametrize("rel, problem", [
    ("a/../b.html", "it has an empty, '.' or '..' part"),
    ("CNAME", "'CNAME' is a name the freeze keeps in its output"),
    ("link/x.html", "it resolves outside the build folder"),  # through a symlink inside the build folder
])
def test_the_one_write_check_names_every_path_it_refuses(tmp_path, rel, problem):
    from quire.freeze import FreezeError, output_path

    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    (work / "link").symlink_to(outside)
    with pytest.raises(FreezeError) as info:
        output_path(work, rel)
    assert str(info.value) == f"error: refusing to write {rel!r}: {problem}"
    assert output_path(work, "posts/a/index.html") == f"{work}/posts/a/index.html"


def test_jekyll_import_drops_aliases_that_leave_the_site(site_dir, runner, tmp_path):
    src = tmp_path / "jekyll"
    (src / "_posts").mkdir(parents=True)
    (src / "_config.yml").write_text("baseurl: ''\n")
    (src / "_posts/2024-01-01-x.md").write_text(
        "---\ntitle: X\nredirect_from: ['/../../ESCJ/', '/old/x/']\npermalink: /../ESCP.html\n---\nHi\n")
    result = runner.invoke(args=["import", "jekyll", str(src)])
    assert "_posts/2024-01-01-x.md: warning: alias '/../../ESCJ/' has a '.' or '..' segment" in result.output
    assert "_posts/2024-01-01-x.md: warning: alias '/../ESCP.html' has a '.' or '..' segment" in result.output
    text = (site_dir / "posts/2024-01-01-x.md").read_text()
    assert "ESC" not in text and "/old/x/" in text
    assert check(runner)[0] == 0


@pytest.mark.parametrize("front, message", [
    ('aliases: ["/.git/hooks/index.html"]', "alias '/.git/hooks/index.html' starts with '.git', a name the freeze"),
    ('aliases: ["/CNAME"]', "alias '/CNAME' starts with 'CNAME'"),
    ('aliases: ["/.nojekyll"]', "alias '/.nojekyll' starts with '.nojekyll'"),
    ('aliases: ["/.quire-build"]', "alias '/.quire-build' starts with '.quire-build'"),
])
def test_names_the_freeze_keeps_are_reserved_for_aliases(builder, runner, front, message):
    builder.file("posts/a.md", f"---\ntitle: A\ndate: 2024-01-01\n{front}\n---\nText.\n")
    code, output = check(runner)
    assert code == 1 and f"posts/a.md:4: error: {message}" in output, output


def test_a_page_named_cname_is_reserved_and_the_outputs_git_survives(builder, runner, tmp_path):
    builder.post("a", title="A")
    dest = tmp_path / "out"
    assert freeze(runner, dest)[0] == 0
    (dest / ".git").mkdir()
    (dest / ".git/HEAD").write_text("ref: refs/heads/main\n")
    (dest / "CNAME").write_text("blog.example.org\n")
    builder.page("CNAME", title="Cname")
    code, output = freeze(runner, dest)
    assert code == 1 and "pages/CNAME.md: error: page slug 'CNAME' is a name the freeze keeps" in output, output
    (Path(builder.root) / "pages/CNAME.md").unlink()
    assert freeze(runner, dest)[0] == 0
    assert (dest / ".git/HEAD").read_text() == "ref: refs/heads/main\n"
    assert (dest / "CNAME").read_text() == "blog.example.org\n"


def test_symlinks_out_of_the_site_are_never_served_or_copied(builder, site_dir, client, runner, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    builder.file("posts/b/index.md", "---\ntitle: B\ndate: 2024-01-01\n---\n[data](data.csv)\n")
    builder.file("posts/b/inside.csv", "a,b\n")
    builder.file("static/own.txt", "own")
    secret = outside / "secret.txt"
    secret.write_text("SECRET")
    os.symlink(secret, site_dir / "posts/b/data.csv")
    os.symlink(secret, site_dir / "static/leak.txt")
    os.symlink(outside, site_dir / "posts/b/dir")
    os.symlink(site_dir / "posts/b/inside.csv", site_dir / "static/inside-link.csv")  # inside: fine
    for url in ("/posts/b/data.csv", "/static/leak.txt", "/posts/b/dir/secret.txt"):
        with client.get(url) as response:
            assert response.status_code == 404 and b"SECRET" not in response.data, url
    for url, body in (("/static/inside-link.csv", b"a,b\n"), ("/static/own.txt", b"own")):
        with client.get(url) as response:
            assert response.data == body
    code, output = check(runner)
    assert code == 1
    for rel in ("posts/b/data.csv", "static/leak.txt", "posts/b/dir"):
        assert f"{rel}: error: symlink points outside the site folder" in output, output
    dest = outside / "out"
    code, output = freeze(runner, dest)
    assert code == 1 and "symlink points outside the site folder" in output, output
    assert not dest.exists() and not list(outside.glob(".out*/**/*.csv"))
    # Told to publish despite check's errors, the copy itself still refuses, naming the link.
    code, output = freeze(runner, dest, "--ignore-errors")
    assert code == 1 and "static/leak.txt: error: symlink points outside the site folder: copy the file in" \
        in output.splitlines(), output
    assert not dest.exists() and not list(outside.glob(".out*/**/*.csv"))
    for rel in ("posts/b/data.csv", "static/leak.txt", "posts/b/dir"):
        (site_dir / rel).unlink()
    builder.file("posts/b/data.csv", "x,y\n")
    os.symlink(site_dir / "static/own.txt", site_dir / "posts/b/own-link.txt")
    code, output = freeze(runner, dest)
    assert code == 0, output
    # A link that stays inside the site is copied, in static/ and in a bundle.
    assert (dest / "static/inside-link.csv").read_bytes() == b"a,b\n"
    assert (dest / "posts/b/own-link.txt").read_bytes() == b"own"


@pytest.mark.parametrize("alias", ["/about.html", "/feed.xml", "/posts/old.html"])
def test_one_segment_aliases_with_a_dot_serve_and_freeze_at_their_path(builder, client, runner, tmp_path, alias):
    builder.post("a", title="A", aliases=f'["{alias}"]')
    response = client.get(alias)
    assert response.status_code == 200 and 'url=/posts/a/"' in response.get_data(as_text=True)
    dest = tmp_path / "out"
    code, output = freeze(runner, dest)
    assert code == 0, output
    assert 'url=/posts/a/"' in (dest / alias.lstrip("/")).read_text()
    assert client.get("/posts/a").status_code == 308  # a real route still redirects to its slash form


@pytest.mark.parametrize("base", [[], ["--base-url", "https://example.org/notes-X/"]], ids=["root", "sub-path"])
def test_a_page_named_like_quires_own_file_is_a_clear_freeze_error(builder, runner, tmp_path, base):
    builder.post("a", title="A")
    builder.page("index.xml", title="Feed page")
    builder.page("sitemap.xml", title="Map page")
    code, output = freeze(runner, tmp_path / "out", *base)
    assert code == 1 and "Traceback" not in output
    assert "pages/index.xml.md: error: page URL /index.xml/ is taken by Quire's own route" in output, output
    # Even told to publish despite check's errors, the freeze names the clash instead of crashing.
    code, output = freeze(runner, tmp_path / "out", "--ignore-errors", *base)
    assert code == 1 and "Traceback" not in output
    for name in ("index.xml", "sitemap.xml"):  # every clash, each on its own line
        assert (f"pages/{name}.md: error: its URL /{name}/ needs a folder {name}/ where Quire writes /{name} as a "
                f"file: set another 'slug' or alias") in output.splitlines(), output


def test_a_clash_deeper_in_the_tree_is_named_too(builder, runner, tmp_path):
    builder.post("a", title="A", aliases='["/old/notes.html"]')
    builder.post("b", title="B", aliases='["/old/notes.html/more/"]')
    code, output = freeze(runner, tmp_path / "out", "--ignore-errors")
    assert code == 1 and "Traceback" not in output
    assert ("posts/b.md: error: its URL /old/notes.html/more/ needs a folder old/notes.html/ where Quire writes "
            "/old/notes.html as a file: set another 'slug' or alias") in output.splitlines(), output


def test_a_clash_an_edit_brings_stops_the_re_freeze(builder, runner, tmp_path):
    builder.post("a", title="A", aliases='["/old/notes.html"]')
    builder.post("b", title="B")
    dest = tmp_path / "out"
    assert freeze(runner, dest, "--ignore-errors")[0] == 0
    before = (dest / "posts/b/index.html").read_bytes()
    builder.post("b", title="B", aliases='["/old/notes.html/more/"]')
    code, output = freeze(runner, dest, "--ignore-errors")
    assert code == 1 and "posts/b.md: error: its URL /old/notes.html/more/ needs a folder" in output, output
    assert (dest / "posts/b/index.html").read_bytes() == before and not (dest / "old/notes.html/more").exists()


@pytest.mark.parametrize("slug, bad", [("q?x#y", "?"), ("pct%41", "%"), ("a\\\\b", "\\\\"), ("x[1]", "[")])
def test_slugs_with_url_reserved_characters_are_refused(builder, runner, tmp_path, slug, bad):
    builder.post("a", title="A", slug=f'"{slug}"')
    code, output = check(runner)
    assert code == 1 and f"posts/a.md:4: error: slug {unescape(slug)!r} has {unescape(bad)!r}" in output, output
    code, output = freeze(runner, tmp_path / "out")
    assert code == 1 and "posts/a.md:4: error: slug" in output


def unescape(text: str) -> str:
    return text.replace("\\\\", "\\")


def test_file_names_in_nfd_become_nfc_urls_and_paths(builder, runner, tmp_path, client):
    name = unicodedata.normalize("NFD", "café")
    builder.post(name, title="Cafe", tags='["naïve"]')
    builder.file(f"posts/{name}-b/index.md", "---\ntitle: B\ndate: 2024-01-02\n---\n![x](pic.png)\n")
    builder.file(f"posts/{name}-b/pic.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    assert client.get("/posts/caf%C3%A9/").status_code == 200
    dest = tmp_path / "out"
    assert freeze(runner, dest)[0] == 0
    index = (dest / "index.html").read_text()
    links = {unquote(link) for link in re.findall(r'href="(/posts/[^"]+/)"', index)}
    assert links == {"/posts/café/", "/posts/café-b/"}
    for link in links:
        assert unicodedata.is_normalized("NFC", link) and (dest / link.strip("/") / "index.html").is_file()
    assert (dest / "posts/café-b/pic.png").is_file() and (dest / "tags/naïve/index.html").is_file()


def test_404_canonical_link_stays_on_the_site(builder, client):
    response = client.get("/http:/evil.example/x/y")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert '<link rel="canonical" href="https://blog.example.org/http:/evil.example/x/y">' in page
    assert 'content="https://blog.example.org/http:/evil.example/x/y"' in page  # og:url
    frozen = create_app(builder.root, config={"TESTING": True}).test_client().get("/404.html")
    assert '<link rel="canonical" href="https://blog.example.org/404.html">' in frozen.get_data(as_text=True)


def test_alias_paths_are_decoded_and_nfc(builder, client):
    builder.post("a", title="A", aliases='["/old%20page.html", "/cafe\\u0301/"]')
    assert client.get("/old page.html").status_code == 200
    assert client.get("/caf%C3%A9/").status_code == 200
