"""`flask check`: every kind of finding, its file and line, the exit status and the JSON form."""

import json
import os
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quire import create_app
from quire.check import as_json, check_site


def check(runner, *args):
    result = runner.invoke(args=["check", *args])
    return result.exit_code, result.output




def test_clean_site_exits_zero(builder, runner):
    builder.post("ok", body="# Hello\n\nSee [me](#hello) and $x_1$ and `$lone` in code.\n\n```\n{{ code }}\n$\n```\n")
    assert check(runner) == (0, "No problems found.\n")


@pytest.mark.parametrize("text, line, fragment", [
    (b"---\ntitle: x\ndate: 2024-01-01\n---\ncaf\xe9\n", 5, "not UTF-8"),
    (b"", 1, "no front matter"),
    (b"---\ntitle: x\ndate: 2024-01-01\nbody without end\n", 1, "never closed"),
    (b"---\n- a\n---\n", 2, "mapping"),
    (b"---\ntitle: [x\ndate: 2024-01-01\n---\n", 2, "bad YAML"),
    (b"+++\ntitle = x\n+++\n", 2, "bad TOML"),
    (b"---\ndate: 2024-01-01\n---\n", 2, "missing 'title'"),
    (b"---\ntitle: x\ndate: June\n---\n", 3, "not a date"),
    (b"\x00\x01binary", 0, "binary"),
])
def test_file_errors(builder, runner, text, line, fragment):
    builder.file("posts/bad.md", text)
    code, output = check(runner)
    assert code == 1
    prefix = f"posts/bad.md:{line}: error: " if line else "posts/bad.md: error: "
    assert any(row.startswith(prefix) and fragment in row for row in output.splitlines()), output


def test_bom_is_a_warning_only(builder, runner):
    builder.file("posts/bom.md", b"\xef\xbb\xbf---\ntitle: x\ndate: 2024-01-01\n---\nok\n")
    code, output = check(runner)
    assert code == 0 and "posts/bom.md:1: warning: the file starts with a UTF-8 byte order mark" in output


def test_url_conflicts(builder, runner):
    builder.post("one", slug="same")
    builder.post("two", slug="same")
    builder.page("tags", title="Clash")
    builder.post("three", aliases='["/posts/same/"]')
    builder.post("four", aliases='["/old/"]')
    builder.post("five", aliases='["/old/"]')
    code, output = check(runner)
    assert code == 1
    assert "posts/two.md: error: slug 'same' is already used by posts/one.md" in output
    assert "pages/tags.md: error: page URL /tags/ is taken" in output
    assert "alias /posts/same/ is the URL of posts/one.md" in output
    assert "alias /old/ is also claimed by posts/five.md" in output


def test_tag_spellings_and_quotes(builder, runner):
    builder.post("a", tags='[Auto-ML, "long-read\\""]')
    builder.post("b", tags="[auto ml]")
    code, output = check(runner)
    assert code == 0
    assert "posts/a.md:4: warning: tag 'long-read\"' has stray quotes" in output
    assert "posts/b.md:4: warning: tag 'auto ml' differs from 'Auto-ML' (in posts/a.md)" in output


def test_links_anchors_and_images(builder, runner):
    builder.post("target", body="# Real Heading\n")
    builder.file("posts/bundle/index.md", "---\ntitle: B\ndate: 2024-01-01\n---\n![ok](here.png)\n")
    builder.file("posts/bundle/here.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    builder.post("links", body=(
        "Intro.\n\n[ok](/posts/target/#real-heading) [tag](/tags/) [feed](/index.xml) [css](/static/quire.js)\n\n"
        "[bad anchor](/posts/target/#nope)\n\n[gone](/posts/gone/)\n\n![missing](/static/nothing.png)\n\n"
        "[self](#missing-here) [bundle](/posts/bundle/here.png) [ext](https://example.org/x)\n"))
    code, output = check(runner)
    assert code == 1
    rows = [r for r in output.splitlines() if r.startswith("posts/links.md")]
    assert rows == [
        "posts/links.md:9: error: link '/posts/target/#nope': posts/target.md has no heading with id 'nope'",
        "posts/links.md:11: error: link '/posts/gone/' points nowhere: no page or file at /posts/gone/",
        "posts/links.md:13: error: image '/static/nothing.png' points nowhere: no page or file at "
        "/static/nothing.png",
        "posts/links.md:15: error: link '#missing-here' points to no heading or id in this post",
    ]


def test_math_problems(builder, runner):
    builder.post("math", body=(
        "Fine $a_{1}$ and \\$5 and $5 and $10.\n\n"
        "Broken $\\frac{a}{b$ here.\n\n"
        "Lone $x without end.\n\n"
        "$$\n\\begin{aligned} a &= b\n$$\n\n"
        "| a | b |\n|---|---|\n| $|x|$ | 1 |\n\n"
        "$$\nnever closed\n"))
    code, output = check(runner)
    assert code == 1
    assert "posts/math.md:7: error: unbalanced braces in math: \\frac{a}{b" in output
    assert "posts/math.md:9: warning: lone '$' at column 6" in output
    assert "posts/math.md:11: error: \\begin{aligned} without \\end{aligned}" in output
    assert "posts/math.md:17: warning: a '|' inside math in a table row breaks the table" in output
    assert "posts/math.md:19: error: display math opened with '$$' is never closed" in output
    assert "posts/math.md:5:" not in output


def test_leftovers_of_other_engines(builder, runner):
    builder.post("old", body=(
        "Link {{ site.baseurl }}/x\n\n{% post_url 2018-01-01-x %}\n\n{{< figure src=\"a.png\" >}}\n\n"
        "![i](i.png)\n{: style=\"width: 50%\"}\n\n```\n{{ inside code is fine }}\n```\n"))
    code, output = check(runner)
    assert "posts/old.md:5: error: Liquid tag '{{ site.baseurl }}'" in output
    assert "posts/old.md:7: error: Liquid tag '{% post_url 2018-01-01-x %}'" in output
    assert "posts/old.md:9: error: Hugo shortcode" in output
    assert "posts/old.md:12: error: kramdown attribute line" in output
    assert "inside code" not in output


def test_json_format_and_grouping(builder, runner):
    builder.file("posts/b.md", "nothing")
    builder.post("a", tags="[x, X]", body="Lone $y here")
    code, output = check(runner, "--format", "json")
    data = json.loads(output)
    assert code == 1
    assert {"path": "posts/b.md", "line": 1, "level": "error"}.items() <= data[-1].items()
    assert all(set(d) == {"path", "line", "level", "message"} for d in data)
    code, text = check(runner)
    lines = text.splitlines()
    assert lines[-1] == "1 error, 2 warnings in 2 files"
    assert [line.split(":")[0] for line in lines[:-1]] == ["posts/a.md", "posts/a.md", "posts/b.md"]


def test_inline_math_across_lines_and_single_quoted_ids(builder, runner):
    builder.post("multi", body="A line with $$a +\nb$$ over two lines.\n\n<a id='old-anchor'></a>Text\n\n"
                               "[jump](#old-anchor)\n")
    assert check(runner) == (0, "No problems found.\n")


CODE_WITH_LINKS = '''\
Real: [gone](/posts/gone/) and ![missing](/static/missing.png).

```html
<a href="/html-block/">x</a> <img src="/html-img.png">
```

```text
<audio src="/path/to/your/audiofile.mp3"></audio>
```

```markdown
[md](/markdown-link/) ![md](/markdown-image.png) <a href="#no-such-anchor">a</a>
```

    <img src="/indented.png"> [indented](/indented/)

A code span: `<a href="/span/">s</a>` and `[span](/span-md/)`.
'''


def test_nothing_inside_code_is_a_link(builder, runner):
    builder.post("code", body=CODE_WITH_LINKS)
    code, output = check(runner)
    assert code == 1
    assert "posts/code.md:5: error: link '/posts/gone/' points nowhere" in output
    assert "posts/code.md:5: error: image '/static/missing.png' points nowhere" in output
    assert "2 errors, 0 warnings in 1 file" in output
    for inside in ("html-block", "html-img", "audiofile", "markdown-link", "markdown-image", "no-such-anchor",
                   "indented", "/span"):
        assert inside not in output


def test_raw_html_links_outside_code_are_checked(builder, runner):
    builder.post("raw", body='<p><a href="/nowhere/">x</a></p>\n\nText with <img src="/static/no.png"> inline.\n')
    code, output = check(runner)
    assert code == 1
    assert "link '/nowhere/' points nowhere" in output and "image '/static/no.png' points nowhere" in output


def test_menu_and_social_links_to_missing_pages(builder, site_dir, runner):
    builder.post("a")
    toml = (site_dir / "site.toml").read_text()
    toml = toml.replace('{ name = "Tags", url = "/tags/" },', '{ name = "Tags", url = "/tags/" },\n'
                        '  { name = "FAQ", url = "/faq/" },\n  { name = "Feed", url = "/index.xml" },')
    toml = toml.replace('social = [{ name = "RSS", url = "/index.xml" }', 'social = [{ name = "RSS", url = "/rss/" }')
    (site_dir / "site.toml").write_text(toml)
    code, output = check(runner)
    assert code == 1
    assert "site.toml:11: error: menu entry 'FAQ' links to /faq/, where there is no page" in output
    assert "error: social entry 'RSS' links to /rss/, where there is no page" in output
    assert "'Feed'" not in output and "'Tags'" not in output
    builder.page("faq", title="FAQ")
    assert "'FAQ'" not in check(runner)[1]


def test_future_posts_are_listed_as_scheduled(builder, runner):
    builder.post("now", date="2024-01-01")
    builder.post("later", date="2999-01-01")
    code, output = check(runner)
    assert code == 0
    assert "posts/later.md:3: info: scheduled: published on 2999-01-01T00:00:00+00:00" in output
    assert output.endswith("No problems found.\n")


def test_broken_site_toml_is_the_one_finding(site_dir, runner):
    (site_dir / "site.toml").write_text('title = "x"\nposts_per_pag = 3\n')
    code, output = check(create_app(site_dir).test_cli_runner())
    assert code == 1
    assert output.startswith(f"{site_dir / 'site.toml'}:2: error: unknown setting `posts_per_pag`: did you mean "
                             f"`posts_per_page`?")


def test_many_files_are_linted_in_workers_with_the_same_findings(builder, site_dir, monkeypatch, tmp_path, pools):
    import quire.check
    import quire.store
    from quire.check import check_site

    count = quire.check.FORK_MIN + 3
    for i in range(count):
        body = f"Text about $x_{i}$.\n\nA lone $sign {i}.\n" if i % 7 == 0 else f"Clean $y_{i}$ text.\n"
        builder.post(f"p{i:03d}", title=f"Post {i}", date="2024-01-01", body=body + "{% raw %}\n")

    def findings(cache: str) -> list[str]:
        monkeypatch.setenv("QUIRE_CACHE_DIR", cache)
        return [str(f) for f in check_site(create_app(site_dir))]

    parallel = findings(str(tmp_path / "cache"))
    assert pools.count(2) >= 2  # the posts were loaded, then linted, in workers
    monkeypatch.setattr(quire.check, "FORK_MIN", 10**6)
    monkeypatch.setattr(quire.store.ContentStore, "PARALLEL_MIN", 10**6)
    before = len(pools)
    assert findings("off") == parallel and len(pools) == before
    lone = [f for f in parallel if "lone '$'" in f]
    liquid = [f for f in parallel if "{% raw %}" in f]
    assert len(lone) == len(range(0, count, 7)) and len(liquid) == count
    # Linted once: the findings are cached like rendered posts, and read back the same.
    assert findings(str(tmp_path / "cache")) == parallel and len(pools) == before


def test_a_warm_check_reads_no_file_again(builder, site_dir, monkeypatch, tmp_path):
    import quire.check
    from quire.check import check_site

    for i in range(5):
        builder.post(f"p{i}", title=f"Post {i}", body=f"Text $x_{i}$ and a [link](/posts/p{(i + 1) % 5}/).\n")
    builder.post("broken", title="Broken", tags="[Shared]",
                 body="A lone $sign and [a link](/nowhere/).\n\nAnd [another](/elsewhere/).\n")
    builder.post("other", title="Other", tags="[shared]", body="Clean.\n")
    monkeypatch.setenv("QUIRE_CACHE_DIR", str(tmp_path / "cache"))
    cold = [str(f) for f in check_site(create_app(site_dir))]
    assert any("lone '$'" in f for f in cold) and any("/nowhere/" in f for f in cold)
    assert "posts/broken.md:8: error: link '/elsewhere/' points nowhere: no page or file at /elsewhere/" in cold
    assert any("differs from" in f for f in cold)
    read = []
    monkeypatch.setattr(quire.check, "read_text", lambda path, rel, data=None: read.append(rel) or
                        quire.content.read_text(path, rel, data))
    app = create_app(site_dir)
    app.extensions["quire"].site()  # the content store reads every file: the check none, not even for lines
    assert [str(f) for f in check_site(app)] == cold
    assert read == []
    # Without the lines kept, it reads the files it reports on, and only those.
    for entry in (tmp_path / "cache").rglob("*.pickle"):
        if isinstance(quire.cache.pickle.loads(entry.read_bytes()), dict):
            entry.unlink()
    app = create_app(site_dir)
    app.extensions["quire"].site()
    assert [str(f) for f in check_site(app)] == cold
    assert sorted(read) == ["posts/broken.md", "posts/other.md"]


def test_a_file_changed_since_it_was_loaded_is_linted_but_nothing_of_it_is_cached(builder, site_dir, monkeypatch,
                                                                                  tmp_path):
    import quire.check
    from quire.check import check_site

    builder.post("p", title="P", body="A lone $sign.\n\nA [link](/nowhere/).\n")
    monkeypatch.setenv("QUIRE_CACHE_DIR", str(tmp_path / "cache"))
    app = create_app(site_dir)
    store = app.extensions["quire"].store
    app.extensions["quire"].site()
    key, stamp = store.content_key("posts/p.md")
    # As if the file had been saved again between loading it and linting it:
    monkeypatch.setattr(store, "content_key", lambda rel: (key, (stamp[0] - 1, stamp[1])))
    linted, read = [], []
    monkeypatch.setattr(quire.check, "own_findings", lambda *args: linted.append(args[0].source) or
                        quire.check.file_findings(args[0].source, args[1], args[2]))
    monkeypatch.setattr(quire.check, "read_text", lambda path, rel, data=None: read.append(rel) or
                        quire.content.read_text(path, rel, data))
    for _ in range(2):
        found = [str(f) for f in check_site(app)]
        assert any("lone '$'" in f for f in found)
        assert "posts/p.md:7: error: link '/nowhere/' points nowhere: no page or file at /nowhere/" in found
    assert linted == ["posts/p.md", "posts/p.md"]
    assert read.count("posts/p.md") == 4  # for its own findings and for its lines, each time
    assert not [e for e in (tmp_path / "cache").rglob("*.pickle")
                if isinstance(quire.cache.pickle.loads(e.read_bytes()), (list, dict))]


def test_bundle_files_in_folders_and_static_files_are_found_by_their_whole_path(builder, runner):
    builder.file("posts/bundle/index.md", "---\ntitle: B\ndate: 2024-01-01\n---\nText.\n")
    builder.file("posts/bundle/img/plot.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    builder.file("static/report.DOCX", b"PK")
    builder.post("links", body="[a](/posts/bundle/img/plot.png) [b](/static/report.DOCX)\n\n"
                               "[c](/posts/bundle/nothing.png)\n")
    code, output = check(runner)
    rows = [r for r in output.splitlines() if r.startswith("posts/links.md")]
    assert code == 1 and rows == [
        "posts/links.md:7: error: link '/posts/bundle/nothing.png' points nowhere: no page or file at "
        "/posts/bundle/nothing.png"]


def test_the_lines_kept_follow_the_file_through_an_edit(builder, site_dir, monkeypatch, tmp_path):
    from quire.check import check_site

    monkeypatch.setenv("QUIRE_CACHE_DIR", str(tmp_path / "cache"))
    builder.post("p", title="P", body="Text.\n\nA [link](/nowhere/).\n")

    def links() -> list[str]:
        return [str(f) for f in check_site(create_app(site_dir)) if "/nowhere/" in str(f)]

    assert links() == links() == ["posts/p.md:7: error: link '/nowhere/' points nowhere: no page or file at /nowhere/"]
    builder.post("p", title="P", body="Text.\n\nMore.\n\nA [link](/nowhere/).\n")
    assert links() == ["posts/p.md:9: error: link '/nowhere/' points nowhere: no page or file at /nowhere/"]


def test_a_link_whose_text_cannot_be_found_is_reported_for_the_whole_file(builder, runner):
    builder.post("e", body="See [a](/caf&eacute;/) twice: [a](/caf&eacute;/).\n\nAnd [b](/nowhere/).\n")
    for _ in range(2):
        code, output = check(runner, "--format", "json")
        found = [(f["line"], f["message"]) for f in json.loads(output) if f["path"] == "posts/e.md"]
        assert code == 1 and found == [
            (0, "link '/caf%C3%A9/' points nowhere: no page or file at /café/"),
            (7, "link '/nowhere/' points nowhere: no page or file at /nowhere/")]


def test_a_key_whose_line_cannot_be_found_is_reported_for_the_whole_file(builder, runner):
    builder.post("q", **{'"draf"': "x", '"series"': "Solo", '"citation_key"': '"a b"'})
    builder.file("posts/later.md", '---\ntitle: L\n"date": 2999-01-01\n---\nL.\n')
    code, output = check(runner)
    assert "posts/later.md: info: scheduled: published on 2999-01-01T00:00:00+00:00; hidden until then (or with " \
           "--drafts)" in output.splitlines()
    assert code == 1 and [row for row in output.splitlines() if row.startswith("posts/q.md")] == [
        "posts/q.md: error: 'citation_key' 'a b' may only have letters, digits and _ - : . (no spaces, commas or "
        "braces)",
        "posts/q.md: warning: series 'Solo' has only this post: give another post the same 'series', or remove it",
        "posts/q.md: warning: unknown front-matter key 'draf': did you mean 'draft'? (other keys are kept in "
        "post.meta)"]


def test_a_label_defined_twice_in_escaped_html_math_and_an_empty_citation_key(builder, runner):
    # Raw HTML math is read unescaped: its label (a&b) is not in the file as written, so the line is the first
    # place the label's text is found; written that way twice, the finding names the whole file.
    html = '<div class="math">$$x \\label{a&amp;b}$$</div>\n\n'
    builder.post("once", body=html + "$$y \\label{a&b}$$\n")
    builder.post("twice", body=html + html, citation_key='""')
    code, output = check(runner)
    assert code == 1 and [row for row in output.splitlines() if row.startswith("posts/")] == [
        "posts/once.md:7: error: label 'a&b' is defined twice: give each equation or figure its own",
        "posts/twice.md: error: label 'a&b' is defined twice: give each equation or figure its own"]


def test_symlinks_leading_out_of_the_sites_or_quires_own_static_folder_are_errors(builder, site_dir,
                                                                                   tmp_path_factory):
    outside, project = tmp_path_factory.mktemp("outside"), tmp_path_factory.mktemp("project")
    (outside / "s.txt").write_text("S")
    builder.file("static/own.txt", "own")
    (project / "static").mkdir()
    os.symlink(outside / "s.txt", site_dir / "static" / "leak.txt")
    os.symlink(outside / "s.txt", project / "static" / "engine-leak.txt")
    app = create_app(site_dir, config={"TESTING": True})
    app.extensions["quire"].project_root = project
    message = "symlink points outside the site folder, so it is never served or copied: copy the file in"
    assert [f for f in as_json(check_site(app)) if "symlink" in f["message"]] == [
        {"path": "static/engine-leak.txt", "line": 0, "level": "error", "message": message},
        {"path": "static/leak.txt", "line": 0, "level": "error", "message": message}]


def lone_rows(runner) -> list[str]:
    return [row for row in check(runner)[1].splitlines() if "lone" in row]


def test_cached_findings_belong_to_one_file_and_its_bytes(builder, runner):
    lone = ": warning: lone '$' at column 6: close the math, or write \\$ for a dollar sign"
    for name in ("a", "b"):
        builder.post(name, body="Lone $x\n")  # the same bytes in two files
    expected = [f"posts/a.md:5{lone}", f"posts/b.md:5{lone}"]
    assert lone_rows(runner) == expected and lone_rows(runner) == expected  # the second check reads the cache
    builder.post("a", body="Fine.\n")
    assert lone_rows(runner) == [f"posts/b.md:5{lone}"]


def test_menu_links_to_other_sites_and_marked_external_are_not_checked_files_are_found(builder, site_dir, runner):
    builder.file("static/own.txt", "own")
    builder.file("posts/b/index.md", "---\ntitle: B\ndate: 2024-01-01\n---\nB.\n")
    builder.file("posts/b/f.txt", "f")
    toml = (site_dir / "site.toml").read_text().replace('{ name = "Tags", url = "/tags/" },', (
        '{ name = "Ext", url = "https://example.org/" }, { name = "Proto", url = "//cdn.example.org/x" },\n'
        '  { name = "Marked", url = "/elsewhere/", external = true }, { name = "File", url = "/static/own.txt" },\n'
        '  { name = "Bundle", url = "/posts/b/f.txt" }, { name = "Bad", url = "/nowhere/" },'))
    (site_dir / "site.toml").write_text(toml)
    assert [row for row in check(runner)[1].splitlines() if "site.toml" in row] == [
        "site.toml:12: error: menu entry 'Bad' links to /nowhere/, where there is no page: fix the URL or remove "
        "the entry"]


def test_a_site_without_site_toml_is_checked(builder, site_dir, runner):
    builder.post("a")
    (site_dir / "site.toml").unlink()
    assert check(runner) == (0, "No problems found.\n")


def test_url_conflicts_name_their_file_line_and_level(builder, site_dir):
    builder.page("tags", title="Clash")
    builder.page("about")
    builder.post("one", slug="same")
    builder.post("three", aliases='["/posts/same/", "/about/"]')
    builder.post("four", title="Gold/silver", aliases='["/old"]')  # the line is that of "/old", not "old/"
    builder.post("five", aliases='["/old/"]')
    builder.post("six", title="From /old to new", aliases='["/oldX/"]')  # the line is that of "/oldX"
    builder.post("seven", aliases='["/oldX/"]')
    findings = as_json(check_site(create_app(site_dir, config={"TESTING": True})))
    assert [f for f in findings if "alias" in f["message"] or "page URL" in f["message"]] == [
        {"path": "pages/tags.md", "line": 0, "level": "error",
         "message": "page URL /tags/ is taken by Quire's own route: set another 'slug'"},
        {"path": "posts/four.md", "line": 4, "level": "error",
         "message": "alias /old/ is also claimed by posts/five.md: remove one"},
        {"path": "posts/six.md", "line": 4, "level": "error",
         "message": "alias /oldX/ is also claimed by posts/seven.md: remove one"},
        {"path": "posts/three.md", "line": 4, "level": "error",
         "message": "alias /about/ is the URL of pages/about.md: remove one"},
        {"path": "posts/three.md", "line": 4, "level": "error",
         "message": "alias /posts/same/ is the URL of posts/one.md: remove one"}]


def test_the_whole_message_of_a_byte_order_mark_and_the_first_line_of_a_repeated_link(builder, runner):
    builder.file("posts/bom.md", b"\xef\xbb\xbf---\ntitle: x\ndate: 2024-01-01\n---\n[a](/gone/)\n\n[b](/gone/)\n")
    rows = [row for row in check(runner)[1].splitlines() if row.startswith("posts/bom.md")]
    assert rows == ["posts/bom.md:1: warning: the file starts with a UTF-8 byte order mark: Quire reads it, other "
                    "tools may ignore the front matter",
                    "posts/bom.md:5: error: link '/gone/' points nowhere: no page or file at /gone/"]


def test_tags_written_as_one_string_or_in_quotes_are_compared_by_their_names(builder, runner):
    builder.post("a", tags='"Machine-Learning, x"')
    builder.post("b", tags='["machine learning", "\\"x\\""]')
    rows = [row for row in check(runner)[1].splitlines() if "tag " in row]
    assert rows == [
        "posts/b.md:4: warning: tag '\"x\"' has stray quotes: remove them",
        "posts/b.md:4: warning: tag 'machine learning' differs from 'Machine-Learning' (in posts/a.md) only in case "
        "or punctuation: use one spelling"]
    builder.file("posts/untagged.md", "---\ntitle: Untagged\ndate: 2024-01-01\n---\nText.\n")  # no tag to compare
    builder.post("c", tags="[xxxx]")
    assert [row for row in check(runner)[1].splitlines() if "tag " in row] == rows


def test_links_relative_to_the_post_to_its_top_and_to_a_pages_headings(builder, runner):
    builder.post("target", body="# Real Heading\n")
    builder.page("about", body="## Team\n")
    builder.post("links", body=(
        "# Here\n\nSee /gone/ first.\n\n[top](#top) [here](#here) [e](https://example.org/) [r](../target/)\n\n"
        "[gone](/gone/) [self](/posts/links/#nope) [team](/about/#team) [page](/about/#nope)\n"))
    rows = [row for row in check(runner)[1].splitlines() if row.startswith("posts/links.md")]
    assert rows == [
        "posts/links.md:11: error: link '/about/#nope': pages/about.md has no heading with id 'nope'",
        "posts/links.md:11: error: link '/gone/' points nowhere: no page or file at /gone/",
        "posts/links.md:11: error: link '/posts/links/#nope' points to no heading or id in this post"]


def test_links_to_page_bundle_files_nested_static_files_aliases_tags_and_the_stylesheet(builder, site_dir, runner):
    builder.file("pages/about/index.md", "---\ntitle: About\n---\nA.\n")
    builder.file("pages/about/cv.pdf", "%PDF")
    builder.file("pages/about/img/me.png", b"\x89PNG\r\n\x1a\n")
    builder.file("static/img/x.png", b"\x89PNG\r\n\x1a\n")
    builder.post("old", aliases='["/was/here/"]', tags='["ml"]')
    builder.post("links", body="[a](/about/cv.pdf) [b](/about/img/me.png) [c](/static/img/x.png) [d](/was/here/) "
                               "[e](/tags/ml/) [f](/tags/ml/index.xml) [g](/assets/quire.css) [h](/about/none.pdf)\n")
    assert [row for row in check(runner)[1].splitlines() if row.startswith("posts/links.md")] == [
        "posts/links.md:5: error: link '/about/none.pdf' points nowhere: no page or file at /about/none.pdf"]


def test_tag_spellings_are_quoted_whole_whatever_letters_they_end_in(builder, runner):
    builder.post("a", tags="[GraphX]")
    builder.post("b", tags="[graphx]")
    rows = [row for row in check(runner)[1].splitlines() if "tag " in row]
    assert rows == ["posts/b.md:4: warning: tag 'graphx' differs from 'GraphX' (in posts/a.md) only in case or "
                    "punctuation: use one spelling"]


def test_a_site_toml_error_without_a_line_names_the_file_alone(builder, site_dir):
    (site_dir / "site.toml").write_bytes(b'title = "caf\xe9"\n')
    findings = check_site(create_app(site_dir, config={"TESTING": True}))
    assert [(f.line, str(f)) for f in findings] == [
        (0, f"{site_dir / 'site.toml'}: error: not UTF-8: save the file as UTF-8")]



def _joined(link: str) -> tuple[str, str]:
    target = urlsplit(urljoin("http://site/posts/here/", link))
    return unquote(target.path), unquote(target.fragment)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="/.#?%2e5cabx \\\t-_~:@;=&", min_size=1, max_size=14).map(lambda s: "/" + s))
def test_a_plain_path_is_read_as_joining_would_read_it(link):
    # The check reads most links without urljoin: only where that gives the very same path and fragment.
    from quire.check import PLAIN_PATH

    if PLAIN_PATH.match(link):
        before, _, fragment = link.partition("#")
        assert (unquote(before.partition("?")[0]), unquote(fragment)) == _joined(link)


def test_links_with_dot_segments_or_spaces_are_joined_not_read_as_they_are():
    from quire.check import PLAIN_PATH

    for link in ["/./x", "/a/../b", "/a/..", "/a/.", "/a/./#f", "/a/..?q", "/ a", "/a\\b", "/a\tb", "//host/x", "x/y",
                 "/a;p"]:
        assert not PLAIN_PATH.match(link), link
    for link in ["/posts/x/", "/a/.b/c", "/a/..b", "/img/fig%201.png#top", "/x?y=1#z", "/"]:
        assert PLAIN_PATH.match(link), link
