"""The "Cited as" block, its BibTeX entry (parsed by a real BibTeX parser) and Google Scholar's meta tags."""

import re
from html import unescape

import bibtexparser
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware

from quire import create_app
from quire.citation import bibtex_escape, citation_key, cited_name
from quire.importers import import_jekyll
from quire.importers.common import Report

SITE = 'title = "Lil\'Log"\nauthor = "Lilian Weng"\nbase_url = "https://lilianweng.github.io/"\n'


@pytest.fixture
def site(site_dir):
    (site_dir / "site.toml").write_text(SITE)
    return site_dir


def page(site_dir, url: str) -> str:
    response = create_app(site_dir, config={"TESTING": True}).test_client().get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def entry_of(html: str) -> str:
    """The BibTeX entry as a reader copies it: the text of the citation's code block."""
    block = re.search(r'<section class="citation".*?<code class="language-bibtex">(.*?)</code>', html, re.S)
    return unescape(re.sub(r"<[^>]+>", "", block.group(1))).rstrip("\n")


def parse(entry: str):
    library = bibtexparser.parse_string(entry, append_middleware=[LatexDecodingMiddleware()])
    assert library.failed_blocks == [] and len(library.entries) == 1, entry
    return library.entries[0]


def test_lil_log_s_citation(site, builder):
    builder.post("2023-06-23-agent", title="LLM-powered Autonomous Agents", date="2023-06-23")
    html = page(site, "/posts/2023-06-23-agent/")
    assert ("<blockquote class=\"cite-line\"><p>Weng, Lilian. (Jun 2023). “LLM-powered Autonomous Agents”. "
            "Lil&#39;Log. https://lilianweng.github.io/posts/2023-06-23-agent/.</p></blockquote>") in html
    assert entry_of(html) == (
        '@article{weng2023agent,\n'
        '  title   = "LLM-powered Autonomous Agents",\n'
        '  author  = "Weng, Lilian",\n'
        '  journal = "lilianweng.github.io",\n'
        '  year    = "2023",\n'
        '  month   = "Jun",\n'
        '  url     = "https://lilianweng.github.io/posts/2023-06-23-agent/"\n'
        '}')
    entry = parse(entry_of(html))
    assert entry.key == "weng2023agent" and entry.entry_type == "article"
    assert entry.fields_dict["journal"].value == "lilianweng.github.io"
    # The copy button comes with every code block (static/quire.js adds it to .code-block).
    assert re.search(r'<section class="citation".*?<div class="code-block">', html, re.S)


def test_scholar_meta_tags(site, builder):
    builder.post("2023-06-23-agent", title='Agents & "Tools"', date="2023-06-23")
    html = page(site, "/posts/2023-06-23-agent/")
    head = html.split("</head>")[0]
    for name, value in (("citation_title", "Agents &amp; &#34;Tools&#34;"), ("citation_author", "Weng, Lilian"),
                        ("citation_publication_date", "2023/06/23"),
                        ("citation_journal_title", "lilianweng.github.io"),
                        ("citation_public_url", "https://lilianweng.github.io/posts/2023-06-23-agent/")):
        assert f'<meta name="{name}" content="{value}">' in head, name


@pytest.mark.parametrize("body, before", [
    ("Text.\n\n## Method\n\nMore.\n\n## References\n\n1. A paper.\n", '<h2 id="references">'),
    ("Text.\n\n# Reference\n\n1. A paper.\n", '<h1 id="reference">'),
    ("Text with a note[^1].\n\n[^1]: The note.\n", '<section class="footnotes">'),
])
def test_the_block_goes_before_references_or_footnotes(site, builder, body, before):
    builder.post("2023-01-01-x", body=body)
    html = page(site, "/posts/2023-01-01-x/")
    assert html.index('<section class="citation"') < html.index(before)
    assert html.count('<section class="citation"') == 1


def test_the_block_ends_a_post_otherwise(site, builder):
    builder.post("2023-01-01-x", body="First.\n\n## References are discussed here\n\nLast paragraph.\n")
    html = page(site, "/posts/2023-01-01-x/")
    assert html.index("Last paragraph.") < html.index('<section class="citation"') < html.index("</article>")


def test_settings_and_front_matter_shape_it(site, builder):
    (site / "site.toml").write_text(SITE + 'author_cite = "Weng, L."\ncitation_journal = "Lil\'Log"\n')
    builder.post("2023-01-01-x", title="X", date="2023-01-01")
    builder.post("2023-01-02-y", title="Y", date="2023-01-02", author_cite='"Doe, Jane"', citation_key="my-key:2023")
    builder.post("2023-01-03-z", title="Z", date="2023-01-03", citation="false")
    builder.page("about")
    x = page(site, "/posts/2023-01-01-x/")
    assert "Weng, L. (Jan 2023). “X”." in x and '  journal = "Lil\'Log",' in entry_of(x)
    y = page(site, "/posts/2023-01-02-y/")
    assert parse(entry_of(y)).key == "my-key:2023" and '  author  = "Doe, Jane",' in entry_of(y)
    for url in ("/posts/2023-01-03-z/", "/about/"):
        html = page(site, url)
        assert 'class="citation"' not in html and "citation_title" not in html, url
    (site / "site.toml").write_text(SITE + "citation = false\n")
    assert 'class="citation"' not in page(site, "/posts/2023-01-01-x/")


def test_no_author_no_citation(site_dir, builder):
    builder.post("2023-01-01-x")
    (site_dir / "site.toml").write_text('title = "T"\n')
    html = page(site_dir, "/posts/2023-01-01-x/")
    assert 'class="citation"' not in html and "citation_author" not in html


@pytest.mark.parametrize("title", [
    "Braces {unbalanced",
    "Closing } first { then",
    "100% & more #1 under_score",
    'Back\\slash and "quotes"',
    "Dollars $x$ tilde ~ caret ^",
    "@article{evil, title = {x}}",
    "Ünïcødé — “curly” 日本語",
    "Line\tbreaks   and  spaces",
])
@pytest.mark.parametrize("author", ["Weng, Lilian", "O'Brien, Seán", "{Evil}, %Name&", 'Müller "Jörg", Ann'])
def test_hostile_titles_and_names_still_parse(site_dir, builder, title, author):
    (site_dir / "site.toml").write_text(f'title = "T"\nauthor_cite = {_toml(author)}\n')
    builder.file("posts/2023-02-03-hostile.md", f"---\ntitle: {_yaml(title)}\ndate: 2023-02-03\n---\nText.\n")
    entry = parse(entry_of(page(site_dir, "/posts/2023-02-03-hostile/")))
    # pylatexenc decodes LaTeX's \\textasciicircum to a modifier letter, ˆ: read it as the ^ it stands for.
    assert entry.fields_dict["title"].value.replace('{"}', '"').replace("ˆ", "^") == " ".join(title.split())
    assert entry.fields_dict["author"].value.replace('{"}', '"') == author
    assert re.fullmatch(r"[a-z]*2023hostile", entry.key)


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _yaml(text: str) -> str:
    import json
    return json.dumps(text, ensure_ascii=False)


@pytest.mark.parametrize("name, cited", [("Lilian Weng", "Weng, Lilian"), ("Weng, Lilian", "Weng, Lilian"),
                                         ("Plato", "Plato"), ("  Ada   King  Lovelace ", "Lovelace, Ada King")])
def test_cited_name(name, cited):
    assert cited_name(name) == cited


@pytest.mark.parametrize("author, slug, key", [
    ("Weng, Lilian", "2023-06-23-agent", "weng2023agent"),
    ("Müller, Jörg", "2021-1-2-Über-alles", "muller2021uber"),
    ("van der Berg, Ann", "no-date-here", "vanderberg2023no"),
    ("Weng, Lilian", "2023-06-23-", "weng2023"),
    ("Weng, Lilian", "2023-06-23-日本-agent", "weng2023agent"),
])
def test_citation_key(author, slug, key):
    assert citation_key(author, 2023 if "2021" not in slug else 2021, slug) == key


def test_bibtex_escape_covers_every_special_character():
    assert bibtex_escape('{}%&#_\\"$~^') == r'\{\}\%\&\#\_\textbackslash{}{"}\$\textasciitilde{}\textasciicircum{}'


def test_check_reports_a_bad_citation_key(site, builder):
    builder.post("2023-01-01-x", date="2023-01-01", citation_key='"bad key, {x}"')
    result = create_app(site, config={"TESTING": True}).test_cli_runner().invoke(args=["check"])
    assert "posts/2023-01-01-x.md:4: error: 'citation_key' 'bad key, {x}' may only have letters" in result.output
    # The page still cites the post, with the key Quire makes.
    assert parse(entry_of(page(site, "/posts/2023-01-01-x/"))).key == "weng2023x"


def test_importer_takes_over_a_hand_written_citation(tmp_path):
    src = tmp_path / "jekyll"
    (src / "_posts").mkdir(parents=True)
    fence = "```"
    (src / "_posts" / "2017-08-20-gan.md").write_text(
        "---\ntitle: GAN\n---\nBody text.\n\n---\nCited as:\n"
        f"{fence}\n@article{{weng2017gan,\n  title   = \"GAN\",\n  author  = \"Weng, Lilian\"\n}}\n{fence}\n"
        f"OR\n{fence}\n@misc{{weng2019gan,\n  title={{GAN}}\n}}\n{fence}\n\n## References\n\n1. A paper.\n")
    (src / "_posts" / "2018-01-01-plain.md").write_text("---\ntitle: Plain\n---\nCited as: nobody.\n")
    report = Report()
    items = {item.slug: item for item in import_jekyll(src, report)}
    gan = items["2017-08-20-gan"]
    assert gan.meta["citation_key"] == "weng2017gan"
    assert "Cited as" not in gan.body and "weng2017gan" not in gan.body
    assert "Body text." in gan.body and "@misc{weng2019gan" in gan.body and "## References" in gan.body
    messages = [m for w, m in report.problems if w == "_posts/2017-08-20-gan.md"]
    assert any("removed the hand-written \"Cited as\" block" in m and "citation_key: weng2017gan" in m and
               "'OR'" in m for m in messages), messages
    assert "citation_key" not in items["2018-01-01-plain"].meta
    assert "Cited as: nobody." in items["2018-01-01-plain"].body


def test_control_characters_never_reach_the_citation(site, builder):
    builder.file("posts/2023-01-01-x.md", '---\ntitle: "X"\ndate: 2023-01-01\nauthor_cite: "Doe,\\u0000 Jane\\u0007"\n'
                                          '---\nText.\n')
    html = page(site, "/posts/2023-01-01-x/")
    assert "\x00" not in html and "\x07" not in html
    assert parse(entry_of(html)).fields_dict["author"].value == "Doe, Jane"
