"""What a blogger moving in expects: dateless pages, /posts/, any tag spelling, overrides, live settings."""

import os
import re
import subprocess
import sys
import time

from quire import PROJECT_ROOT, create_app
from quire.freeze import freeze

from conftest import SITE_TOML


def text_of(response) -> str:
    return response.get_data(as_text=True)


def touch_later(path) -> None:
    """Move a file's mtime on, so a change within the same clock tick is still seen."""
    stamp = time.time_ns() + 2_000_000_000
    os.utime(path, ns=(stamp, stamp))


# ---------------------------------------------------------------- pages without dates

def test_page_needs_only_a_title(builder, client, runner):
    builder.file("pages/about.md", "---\ntitle: About\n---\n\nWho I am.\n")
    page = text_of(client.get("/about/"))
    assert "<h1 class=\"post-title\">About</h1>" in page and "Who I am." in page
    assert "Date:" not in page and "<time" not in page
    assert runner.invoke(args=["check"]).output == "No problems found.\n"
    assert "<loc>https://blog.example.org/about/</loc></url>" in text_of(client.get("/sitemap.xml"))


def test_page_with_a_date_shows_it(builder, client):
    builder.file("pages/now.md", "---\ntitle: Now\ndate: 2024-05-06\n---\n\nWhat I do now.\n")
    page = text_of(client.get("/now/"))
    assert 'Date: <time datetime="2024-05-06T00:00:00+00:00">May 6, 2024</time>' in page


def test_listed_page_still_needs_a_date(builder, client, runner):
    builder.file("pages/news.md", "---\ntitle: News\nlisted: true\n---\n\nNews.\n")
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1 and "pages/news.md:2: error: missing 'date'" in result.output


def test_post_still_needs_a_date(builder, runner):
    builder.file("posts/x.md", "---\ntitle: X\n---\n\nText.\n")
    assert "posts/x.md:2: error: missing 'date'" in runner.invoke(args=["check"]).output


# ---------------------------------------------------------------- /posts/

def test_posts_list_paginates_and_has_a_feed(builder, client):
    for i in range(12):
        builder.post(f"2024-01-{i + 1:02d}-p", title=f"Post {i}", date=f"2024-01-{i + 1:02d}")
    builder.page("listed", title="Listed page", listed="true")
    first = text_of(client.get("/posts/"))
    assert first.count('class="entry"') == 10 and "12 posts" in first
    assert "Post 11" in first and "Listed page" not in first
    assert 'href="/posts/page/2/"' in first and 'href="/posts/index.xml"' in first
    second = text_of(client.get("/posts/page/2/"))
    assert second.count('class="entry"') == 2 and "Post 0" in second and 'href="/posts/"' in second
    assert 'url=/posts/' in text_of(client.get("/posts/page/1/"))
    assert client.get("/posts/page/3/").status_code == 404
    feed = client.get("/posts/index.xml")
    assert feed.mimetype == "application/xml"
    assert text_of(feed).count("<item>") == 12 and "Listed page" not in text_of(feed)
    assert "<link>https://blog.example.org/posts/</link>" in text_of(feed)


def test_posts_list_is_frozen(builder, tmp_path):
    for i in range(11):
        builder.post(f"2024-01-{i + 1:02d}-p", title=f"Post {i}", date=f"2024-01-{i + 1:02d}")
    freeze(create_app(builder.root), tmp_path / "out", jobs=1)
    for rel in ("posts/index.html", "posts/page/2/index.html", "posts/page/1/index.html", "posts/index.xml"):
        assert (tmp_path / "out" / rel).is_file(), rel


# ---------------------------------------------------------------- tag spellings

def test_any_spelling_of_a_tag_leads_to_its_page(builder, client):
    builder.post("a", tags="[Reinforcement Learning, attention]")
    for variant in ("/tags/ATTENTION/", "/tags/Reinforcement-Learning/", "/tags/reinforcement_learning/",
                    "/tags/Reinforcement%20Learning/"):
        page = text_of(client.get(variant))
        assert re.search(r'http-equiv="refresh" content="0; url=/tags/(attention|reinforcement-learning)/"', page), \
            variant
    assert client.get("/tags/attention/").status_code == 200
    assert client.get("/tags/nothing-like-it/").status_code == 404
    assert client.get("/tags/ATTENTION/page/2/").status_code == 404


def test_freeze_writes_redirects_for_the_spellings_in_content(builder, tmp_path):
    builder.post("a", tags="[Reinforcement Learning, attention]")
    builder.post("b", title="B", tags="[C++]")
    freeze(create_app(builder.root), tmp_path / "out", jobs=1)
    out = tmp_path / "out" / "tags"
    assert "url=/tags/reinforcement-learning/" in (out / "Reinforcement-Learning" / "index.html").read_text()
    assert "url=/tags/c/" in (out / "C++" / "index.html").read_text()
    assert "Posts tagged" not in (out / "Reinforcement-Learning" / "index.html").read_text()
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["C++", "Reinforcement-Learning", "attention",
                                                                     "c", "reinforcement-learning"]


# ---------------------------------------------------------------- customise without forking

def test_site_templates_override_the_engines(builder, tmp_path):
    builder.post("2024-01-01-a", title="A")
    builder.post("2024-01-02-b", title="B")
    builder.file("templates/extend_head.html", '<meta name="my-analytics" content="on">\n')
    builder.file("templates/post_footer.html", '<section class="comments">giscus here</section>\n')
    app = create_app(builder.root)
    client = app.test_client()
    freeze(app, tmp_path / "out", jobs=1)
    for slug in ("2024-01-01-a", "2024-01-02-b"):
        live = text_of(client.get(f"/posts/{slug}/"))
        frozen = (tmp_path / "out" / "posts" / slug / "index.html").read_text()
        for page in (live, frozen):
            head, body = page.split("</head>")
            assert '<meta name="my-analytics" content="on">' in head
            assert '<section class="comments">giscus here</section>' in body
    home = text_of(client.get("/"))
    assert "my-analytics" in home and "giscus" not in home


def test_engine_partials_are_empty_by_default(client, builder):
    builder.post("a")
    page = text_of(client.get("/posts/a/"))
    assert "Override" not in page and "{#" not in page


# ---------------------------------------------------------------- settings and templates picked up live

def test_site_toml_edits_show_without_a_restart(builder, client):
    builder.post("a")
    assert "<title>Test Blog</title>" in text_of(client.get("/"))
    path = builder.root / "site.toml"
    path.write_text(SITE_TOML.replace('title = "Test Blog"', 'title = "Renamed Blog"'), encoding="utf-8")
    touch_later(path)
    assert "<title>Renamed Blog</title>" in text_of(client.get("/"))


def test_broken_site_toml_shows_an_error_page_then_recovers(builder, client):
    builder.post("a")
    path = builder.root / "site.toml"
    path.write_text(SITE_TOML + "post_per_page = 3\n", encoding="utf-8")
    touch_later(path)
    for url in ("/", "/posts/a/", "/tags/"):
        response = client.get(url)
        assert response.status_code == 500
        assert "unknown setting `post_per_page`: did you mean `posts_per_page`?" in text_of(response)
        assert "Traceback" not in text_of(response)
    assert client.get("/assets/quire.css").status_code == 200
    path.write_text(SITE_TOML, encoding="utf-8")
    touch_later(path)
    assert client.get("/").status_code == 200


def test_template_edits_show_without_a_restart(builder, client):
    builder.post("a")
    builder.file("templates/extend_footer.html", "<p>first version</p>\n")
    assert "first version" in text_of(client.get("/"))
    path = builder.file("templates/extend_footer.html", "<p>second version</p>\n")
    touch_later(path)
    assert "second version" in text_of(client.get("/"))


def flask(site, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QUIRE_SITE=str(site), FLASK_APP=str(PROJECT_ROOT / "app.py"), QUIRE_CACHE_DIR="off")
    return subprocess.run([sys.executable, "-m", "flask", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_broken_site_toml_is_one_line_in_the_commands(site_dir):
    (site_dir / "site.toml").write_text('title = "x"\nposts_per_page = "ten"\n', encoding="utf-8")
    for command in (["check"], ["freeze", "--dest", str(site_dir / "out")]):
        result = flask(site_dir, *command)
        assert result.returncode == 1, result
        output = (result.stdout + result.stderr).strip()
        assert "Traceback" not in output
        assert f"{site_dir / 'site.toml'}:2: error: `posts_per_page` must be an integer, not 'ten'" in output
    assert not (site_dir / "out").exists()


def test_freeze_without_dest_writes_build_in_the_site_folder(builder):
    builder.post("a")
    result = flask(builder.root, "freeze")
    assert result.returncode == 0, result.stderr
    assert (builder.root / "build" / "index.html").is_file()
    assert f"into {builder.root / 'build'}" in result.stdout


# ---------------------------------------------------------------- the build refuses what check calls broken

BROKEN = "Link to [nowhere](/posts/missing/).\n\n$$\n\\frac{a}{b}\n"


def test_freeze_refuses_what_check_calls_broken(builder, runner, tmp_path):
    builder.post("a", title="Fine")
    builder.post("b", title="Broken", body=BROKEN)
    builder.page("posts", title="Clash")  # a page named like Quire's own /posts/
    result = runner.invoke(args=["freeze", "--dest", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "posts/b.md:5: error: link '/posts/missing/' points nowhere" in result.output
    assert "posts/b.md:7: error: display math opened with '$$' is never closed" in result.output
    assert "pages/posts.md: error: page URL /posts/ is taken by Quire's own route" in result.output
    assert "nothing was written" in result.output and not (tmp_path / "out").exists()


def test_ignore_errors_publishes_and_prints_them(builder, runner, tmp_path):
    builder.post("a", title="Fine")
    builder.post("b", title="Broken", body=BROKEN)
    builder.post("c", title="Later", date="2999-01-01")
    result = runner.invoke(args=["freeze", "--dest", str(tmp_path / "out"), "--ignore-errors"])
    assert result.exit_code == 0, result.output
    assert "posts/b.md:5: error: link '/posts/missing/' points nowhere" in result.output
    assert "scheduled" not in result.output  # `flask check` tells of it; a freeze prints only what is wrong
    assert (tmp_path / "out" / "posts" / "b" / "index.html").is_file()


def test_case_only_spellings_are_skipped_on_a_case_insensitive_disk(builder, app):
    from quire.freeze import tag_spellings

    builder.post("a", tags="[Reinforcement Learning, C++, attention, CI/CD]")
    builder.post("b", tags="[REINFORCEMENT LEARNING, c++]")
    site = app.extensions["quire"].site()
    # Each spelling its own page where case tells files apart; never one with a slash (it would be two folders).
    assert tag_spellings(site, case_sensitive=True) == ["C++", "REINFORCEMENT-LEARNING", "Reinforcement-Learning",
                                                        "c++"]
    assert tag_spellings(site, case_sensitive=False) == ["C++"]  # c++ would be the same folder


def test_a_freeze_on_a_case_insensitive_disk_writes_no_case_only_spelling(builder, app, tmp_path, monkeypatch):
    import quire.freeze

    builder.post("a", tags="[Reinforcement Learning, C++]")
    monkeypatch.setattr(quire.freeze, "is_case_sensitive", lambda folder: False)
    dest = tmp_path / "out"
    quire.freeze.freeze(app, dest, jobs=1)
    tags = sorted(p.name for p in (dest / "tags").iterdir() if p.is_dir())
    assert tags == ["C++", "c", "reinforcement-learning"]  # on a Mac's disk a second folder would be the first


class CaseBlindFolder:
    """A folder as a Mac's usual disk sees it: names differing only in case are one file."""

    def __init__(self, path):
        self.path = path

    def __truediv__(self, name):
        return self.path / name.lower()


def test_a_disk_is_found_case_sensitive_or_not(tmp_path):
    from quire.freeze import is_case_sensitive

    assert is_case_sensitive(tmp_path) is True
    assert is_case_sensitive(CaseBlindFolder(tmp_path)) is False
    assert list(tmp_path.iterdir()) == []  # the probe is gone
