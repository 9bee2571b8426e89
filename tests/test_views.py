"""Pages as a reader sees them: home, pagination, posts, pages, drafts, errors, the live cache."""

import json
import os
import re
from datetime import UTC, datetime

import pytest

from quire import create_app
from quire.settings import SettingsError, load_settings


def text_of(response) -> str:
    return response.get_data(as_text=True)


def add_posts(builder, count: int):
    for i in range(count):
        builder.post(f"p{i:02d}", title=f"Post {i:02d}", date=f"2024-01-{i + 1:02d}", tags="[common]")


def test_home_lists_posts_with_meta(builder, client):
    builder.post("2024-11-28-reward", title="Reward Hacking", date="2024-11-28", author="Lilian",
                 body="word " * 7800)
    page = text_of(client.get("/"))
    assert "Welcome to the test blog" in page and "<em>testing</em>" in page
    assert "Reward Hacking" in page
    assert "Date: <time datetime=\"2024-11-28T00:00:00+00:00\">November 28, 2024</time>" in page
    assert "Estimated Reading Time: 37 min" in page and "Author: Lilian" in page
    assert 'class="entry-link" href="/posts/2024-11-28-reward/"' in page


@pytest.mark.parametrize("count, pages", [(0, 1), (10, 1), (11, 2), (21, 3)])
def test_pagination_edges(builder, client, count, pages):
    add_posts(builder, count)
    first = text_of(client.get("/"))
    assert first.count('class="entry"') == min(count, 10)
    if count == 0:
        assert "No posts yet" in first
    for n in range(2, pages + 1):
        page = client.get(f"/page/{n}/")
        assert page.status_code == 200
        assert "&laquo; Prev" in text_of(page)
    assert client.get(f"/page/{pages + 1}/").status_code == 404
    assert ("Next &raquo;" in first) == (pages > 1)


def test_page_one_redirects_home(builder, client):
    add_posts(builder, 11)
    response = client.get("/page/1/")
    assert response.status_code == 200
    assert '<meta http-equiv="refresh" content="0; url=/">' in text_of(response)
    assert 'href="/page/2/"' in text_of(client.get("/"))
    assert 'href="/"' in text_of(client.get("/page/2/"))


@pytest.mark.parametrize("path", ["/page/0/", "/page/-1/", "/page/99999999999999999999/", "/page/x/"])
def test_absurd_page_numbers(client, path):
    assert client.get(path).status_code == 404


def test_post_page(builder, client):
    builder.post("a-old", title="Older one", date="2024-01-01", tags="[shared]")
    builder.post("b-mid", title="Middle <one> & \"quotes\"", date="2024-02-01", tags="[shared, Other Tag]",
                 updated="2024-03-01", body="# Intro\n\nText $x_1$.\n\n## Details\n\nMore.\n")
    builder.post("c-new", title="Newer one", date="2024-03-01")
    page = text_of(client.get("/posts/b-mid/"))
    assert "<title>Middle &lt;one&gt; &amp; &#34;quotes&#34; | Test Blog</title>" in page
    assert "Updated on" in page
    assert '<details class="toc">' in page and 'href="#details"' in page
    assert '<h1 id="intro">' in page
    assert 'href="/tags/other-tag/">Other Tag</a>' in page
    assert 'rel="prev" href="/posts/c-new/"' in page and "Newer one" in page
    assert 'rel="next" href="/posts/a-old/"' in page
    assert "Related posts" in page and 'href="/posts/a-old/">Older one</a>' in page
    assert "news.ycombinator.com/submitlink" in page
    assert '"@type": "BlogPosting"' in page or '"@type":"BlogPosting"' in page
    assert 'rel="canonical" href="https://blog.example.org/posts/b-mid/"' in page
    assert 'property="og:type" content="article"' in page
    assert "mathjax@3/es5/startup.js" in page and "input/tex" in page


def test_mathjax_only_on_math_pages(builder, client):
    builder.post("plain", body="No math here, only $5 and $10.")
    builder.post("forced", body="Nothing", math="true")
    assert "MathJax" not in text_of(client.get("/posts/plain/"))
    assert "MathJax" in text_of(client.get("/posts/forced/"))
    assert "MathJax" not in text_of(client.get("/"))


def test_toc_off(builder, client):
    builder.post("a", toc="false", body="# One\n\n# Two\n")
    assert "Table of Contents" not in text_of(client.get("/posts/a/"))


def test_bundle_files_served(builder, client):
    builder.file("posts/bundle/index.md", "---\ntitle: B\ndate: 2024-01-01\n---\n![D](d.svg)\n*Caption*\n")
    builder.file("posts/bundle/d.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100"></svg>')
    page = text_of(client.get("/posts/bundle/"))
    assert '<img src="d.svg" alt="D" width="300" height="100" loading="lazy"' in page
    with client.get("/posts/bundle/d.svg") as response:
        assert response.status_code == 200 and b"<svg" in response.data
    assert client.get("/posts/bundle/index.md").status_code == 404
    assert client.get("/posts/bundle/missing.png").status_code == 404


@pytest.mark.parametrize("bundle, url", [("posts/b", "/posts/b/"), ("pages/about", "/about/")])
@pytest.mark.parametrize("name", ["index.md", "./index.md", "%2e/index.md", "index.md/", "index.md%2f", "x/../index.md",
                                  "x/..%2findex.md", ".//index.md", "./././index.md/."])
def test_bundle_source_is_never_served(builder, client, bundle, url, name):
    builder.file(f"{bundle}/index.md", "---\ntitle: B\ndate: 2024-01-01\n---\nThe SOURCE-TEXT.\n")
    builder.file(f"{bundle}/x/notes.txt", "NOTES-TEXT")
    assert "The SOURCE-TEXT." in text_of(client.get(url))
    with client.get(url + "x/notes.txt") as response:
        assert response.status_code == 200 and response.data == b"NOTES-TEXT"
    with client.get(url + name) as response:
        assert response.status_code == 404, name
        assert b"SOURCE-TEXT" not in response.data


def test_standalone_page(builder, client):
    builder.page("faq", title="FAQ", body="Questions.")
    page = text_of(client.get("/faq/"))
    assert "<h1 class=\"post-title\">FAQ</h1>" in page and "Questions." in page
    assert "Estimated Reading Time" not in page
    for url in ("/archives/", "/", "/tags/"):
        main = text_of(client.get(url)).split('<main id="quire-main"', 1)[1]
        assert "/faq/" not in main


def test_drafts_and_future_posts_hidden(builder, client):
    builder.post("visible")
    builder.post("draft", title="Secret draft", draft="true")
    builder.post("future", title="From the future", date="2999-01-01")
    home = text_of(client.get("/"))
    assert "Secret draft" not in home and "From the future" not in home
    assert client.get("/posts/draft/").status_code == 404
    assert client.get("/posts/future/").status_code == 404
    shown = json.loads(client.get("/search/index.json").data)["docs"]
    search = [f"/search/docs/{n}.json" for n in range(shown)]
    for url in ("/index.xml", "/atom.xml", "/sitemap.xml", "/index.json", "/archives/", *search):
        body = text_of(client.get(url))
        assert "Secret draft" not in body and "From the future" not in body and "/posts/draft/" not in body
    assert client.get(f"/search/docs/{shown}.json").status_code == 404


def test_drafts_shown_when_enabled(site_dir, builder, monkeypatch):
    builder.post("draft", title="Secret draft", draft="true")
    monkeypatch.setenv("QUIRE_DRAFTS", "1")
    client = create_app(site_dir, config={"TESTING": True}).test_client()
    assert "Secret draft" in text_of(client.get("/"))
    assert "This is a draft" in text_of(client.get("/posts/draft/"))


def test_edits_show_on_next_request(builder, client):
    path = builder.post("live", title="Before")
    assert "Before" in text_of(client.get("/posts/live/"))
    path.write_text(path.read_text().replace("Before", "After edit"))
    os.utime(path, ns=(path.stat().st_mtime_ns + 10_000_000,) * 2)
    assert "After edit" in text_of(client.get("/posts/live/"))
    builder.post("new-one", title="Brand new")
    assert "Brand new" in text_of(client.get("/"))
    path.unlink()
    assert client.get("/posts/live/").status_code == 404


def test_broken_post_shows_error_page_others_keep_working(builder, client, app):
    builder.post("good", title="Good post")
    builder.file("posts/broken.md", "---\ntitle: [oops\ndate: 2024-01-01\n---\n")
    response = client.get("/posts/broken/")
    assert response.status_code == 500
    body = text_of(response)
    assert "posts/broken.md" in body and "line 2" in body and "bad YAML" in body
    assert "Good post" in text_of(client.get("/"))
    assert "error-banner" not in text_of(client.get("/"))
    app.debug = True
    assert "error-banner" in text_of(client.get("/")) and "posts/broken.md" in text_of(client.get("/"))


def test_not_found_page(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "There is no page at this address" in text_of(response)
    assert client.get("/404.html").status_code == 200


def test_method_not_allowed(client):
    assert client.post("/").status_code == 405


def test_chrome(builder, client):
    page = text_of(client.get("/"))
    assert re.search(r'<html lang="en">', page)
    assert 'id="quire-theme-toggle"' in page and 'localStorage.getItem("quire-theme")' in page
    assert 'href="https://elsewhere.example.org/" rel="noopener" target="_blank"' in page
    assert "Powered by" in page and 'id="quire-to-top"' in page
    assert 'rel="icon"' in page and 'name="description" content="A blog for tests."' in page
    assert 'type="application/rss+xml"' in page
    assert client.get("/assets/quire.css").status_code == 200
    assert ".highlight .k" in text_of(client.get("/assets/quire.css"))
    with client.get("/static/quire.js") as response:
        assert response.status_code == 200


def test_dark_default_theme(site_dir, builder):
    client = create_app(site_dir, settings={"default_theme": "dark"}, config={"TESTING": True}).test_client()
    assert '<html lang="en" data-theme="dark">' in text_of(client.get("/"))


def test_site_static_overrides_engine_static(builder, client):
    builder.file("static/favicon.svg", "<svg>mine</svg>")
    with client.get("/static/favicon.svg") as response:
        assert response.data == b"<svg>mine</svg>"
    assert client.get("/static/../site.toml").status_code == 404


def test_self_hosted_mathjax_follows_the_base_path(site_dir, builder, tmp_path):
    builder.post("m", body="$x$")
    with open(site_dir / "site.toml", "a") as f:
        f.write('mathjax_url = "/static/mathjax/tex-chtml.js"\n')  # a combined file: no loader config
    app = create_app(site_dir)
    dest = tmp_path / "out"
    assert app.test_cli_runner().invoke(args=["freeze", "--dest", str(dest),
                                              "--base-url", "https://example.org/blog/"]).exit_code == 0
    page = (dest / "posts/m/index.html").read_text()
    # A combined file brings its own pieces: only the equation-label extension is loaded on top.
    assert 'src="/blog/static/mathjax/tex-chtml.js"' in page and 'loader: {load: ["[tex]/tagformat"]}' in page


def test_page_bundle_files(builder, client, runner, tmp_path):
    builder.file("pages/about/index.md", "---\ntitle: About\ndate: 2024-01-01\n---\n![me](me.svg)\n")
    builder.file("pages/about/me.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    assert 'src="me.svg" alt="me" width="4" height="4"' in text_of(client.get("/about/"))
    with client.get("/about/me.svg") as response:
        assert response.status_code == 200
    assert client.get("/about/index.md").status_code == 404
    assert client.get("/nothing/me.svg").status_code == 404
    assert runner.invoke(args=["check"]).exit_code == 0
    dest = tmp_path / "out"
    assert runner.invoke(args=["freeze", "--dest", str(dest)]).exit_code == 0
    assert (dest / "about/me.svg").is_file()


def test_heading_ids_never_collide_with_the_pages_own_ids(builder, client):
    titles = ["Top", "Main", "To top", "Theme toggle", "Related heading", "Search results"]
    builder.post("a", title="A", tags="[t]", body="".join(f"# {t}\n\nText.\n\n" for t in titles))
    builder.post("b", title="B", tags="[t]")
    page = text_of(client.get("/posts/a/"))
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert [i for i in ids if ids.count(i) > 1] == []
    # Headings keep their GitHub-style ids; the page's own elements carry a prefix.
    for heading in ("top", "main", "to-top", "theme-toggle", "related-heading", "search-results"):
        assert f'id="{heading}"' in page
    for own in ("quire-top", "quire-main", "quire-to-top", "quire-theme-toggle", "quire-related-heading"):
        assert f'id="{own}"' in page
    assert 'href="#quire-main"' in page and 'href="#quire-top"' in page


def test_date_format_without_leading_zeros(site_dir, builder):
    builder.post("d", title="Dated", date="2024-03-02")
    client = create_app(site_dir, settings={"date_format": "%-m/%-d/%Y"}, config={"TESTING": True}).test_client()
    assert '<time datetime="2024-03-02T00:00:00+00:00">3/2/2024</time>' in text_of(client.get("/posts/d/"))


def test_search_page_trims_long_and_blank_queries(builder, client):
    builder.post("a", title="Alpha", body="aaaa words")
    empty = text_of(client.get("/search/"))
    assert 'value=""' in empty and 'aria-live="polite"></p>' in empty  # no query: no status line
    page = text_of(client.get("/search/", query_string={"q": "a" * 300}))
    assert f'value="{"a" * 200}"' in page and "a" * 201 not in page
    blank = text_of(client.get("/search/", query_string={"q": "   "}))
    assert 'value="   "' in blank and "results for" not in blank and "result for" not in blank
    assert "1 result for &ldquo;alpha&rdquo;" in text_of(client.get("/search/?q=alpha"))


@pytest.mark.parametrize("rel, url", [("posts/x.markdown", "/posts/x/"), ("posts/b/index.md", "/posts/b/"),
                                      ("pages/p.md", "/p/"), ("pages/q/index.md", "/q/")])
def test_every_kind_of_broken_file_shows_its_error(builder, client, rel, url):
    builder.file(rel, "---\ntitle: [oops\ndate: 2024-01-01\n---\n")
    response = client.get(url)
    assert response.status_code == 500 and f"{rel}" in text_of(response) and "bad YAML" in text_of(response)


def test_other_http_errors_and_the_stylesheet(client):
    response = client.post("/")
    assert response.status_code == 405
    assert "<h1>405</h1>" in text_of(response) and "Method Not Allowed." in text_of(response)
    assert client.get("/assets/quire.css").mimetype == "text/css"


def test_post_links_follow_the_script_root(builder, client):
    builder.post("p", body="[t](/tags/) ![i](/static/i.png) [c](//cdn.example/y) [w](https://x.example/) [r](rel/)")
    page = text_of(client.get("/posts/p/", base_url="http://localhost/blog"))
    article = page[page.index('<div class="post-content"'):]
    assert 'href="/blog/tags/"' in article and 'src="/blog/static/i.png"' in article
    assert 'href="//cdn.example/y"' in article and 'href="https://x.example/"' in article
    assert 'href="rel/"' in article
    assert '<link rel="canonical" href="https://blog.example.org/posts/p/">' in page  # the published address
    assert 'href="/tags/"' in text_of(client.get("/posts/p/"))  # at the root: unchanged


def test_only_get_and_head_follow_an_alias(builder, client, runner, tmp_path):
    builder.post("p", aliases='["/old.html"]')  # one path segment: the pages' rule /<slug>/ would redirect it
    assert client.get("/old.html").status_code == client.head("/old.html").status_code == 200
    assert "url=/posts/p/" in text_of(client.get("/old.html"))
    assert client.post("/old.html").status_code == 404
    assert client.get("/posts/p").status_code == 308  # other URLs without their slash still redirect
    dest = tmp_path / "out"
    assert runner.invoke(args=["freeze", "--dest", str(dest)]).exit_code == 0
    assert "url=/posts/p/" in (dest / "old.html").read_text()


def test_footer_text_and_year(site_dir, builder):
    builder.page("Xmas", title="Xmas")  # a path starting with X: absolute() strips only the slash
    client = create_app(site_dir, settings={"footer_text": "Made with *care*"}, config={"TESTING": True}).test_client()
    page = text_of(client.get("/Xmas/"))
    assert '<div class="footer-text"><p>Made with <em>care</em></p>\n</div>' in page
    assert f"&copy; {datetime.now(UTC).year} " in page
    assert '<link rel="canonical" href="https://blog.example.org/Xmas/">' in page
    assert "footer-text" not in text_of(create_app(site_dir, config={"TESTING": True}).test_client().get("/"))


def test_templates_leave_no_stray_whitespace(builder, client):
    builder.post("p", title="Post", tags="[t]")
    for url in ("/", "/tags/", "/posts/p/", "/search/?q=post"):
        page = text_of(client.get(url))
        assert not re.search(r"\n[ \t]*\n", page), url  # block tags leave no blank lines (trim_blocks)
        assert '\n      <li><a href="/archives/">Archive</a></li>\n' in page, url  # nor their indent (lstrip_blocks)


def test_edit_link_points_at_the_source_file(site_dir, builder):
    (site_dir / "site.toml").write_text('edit_url = "https://github.com/ada/blog/edit/main/site"\n')
    builder.post("2024-01-01-flat", title="Flat")
    builder.file("posts/2024-02-02-bündle x/index.md", "---\ntitle: Bundle\ndate: 2024-02-02\n---\nText.\n")
    builder.page("about")
    builder.file("pages/undated.md", "---\ntitle: Undated\n---\nText.\n")
    client = create_app(site_dir, config={"TESTING": True}).test_client()
    expected = {
        "/posts/2024-01-01-flat/": "posts/2024-01-01-flat.md",
        "/posts/2024-02-02-b%C3%BCndle%20x/": "posts/2024-02-02-b%C3%BCndle%20x/index.md",
        "/about/": "pages/about.md",
        "/undated/": "pages/undated.md",
    }
    for url, source in expected.items():
        html = client.get(url).get_data(as_text=True)
        link = f'<a class="edit-link" href="https://github.com/ada/blog/edit/main/site/{source}" rel="noopener">' \
               'Suggest changes</a>'
        assert html.count(link) == 1, url
    assert "edit-link" not in client.get("/").get_data(as_text=True)


def test_no_edit_link_by_default(client, builder):
    builder.post("2024-01-01-flat")
    assert "Suggest changes" not in client.get("/posts/2024-01-01-flat/").get_data(as_text=True)


@pytest.mark.parametrize("value", ["javascript:alert(1)//", "github.com/ada/blog/edit/main/", "https://",
                                   "https://github.com/a b/", 'https://x.org/"><script>'])
def test_edit_url_must_be_a_full_address(site_dir, value):
    (site_dir / "site.toml").write_text(f"edit_url = {json.dumps(value)}\n")
    with pytest.raises(SettingsError, match="edit_url"):
        load_settings(site_dir)


def test_the_first_request_warms_the_highlighter_and_a_freeze_never_does(builder, site_dir, tmp_path,
                                                                       monkeypatch):
    from quire.freeze import freeze
    from quire.markdown import COMMON_LANGUAGES, _lexer

    builder.post("p", title="P", body="Text.\n")
    _lexer.cache_clear()
    app = create_app(site_dir)
    assert _lexer.cache_info().currsize == 0  # making the app (as every `flask` command does) imports no lexer
    freeze(app, tmp_path / "out", jobs=1)
    assert _lexer.cache_info().currsize == 1  # the post page's citation block (BibTeX), no other
    served = create_app(site_dir)
    assert served.test_client().get("/").status_code == 200
    assert _lexer.cache_info().currsize == len(COMMON_LANGUAGES) + 1
    warmed = []
    monkeypatch.setattr("quire.engine.warm_highlighter", lambda: warmed.append(1))
    assert served.test_client().get("/posts/").status_code == 200 and warmed == []  # once was enough
