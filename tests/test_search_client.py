"""Browser search (static/search.js, run by node) against the server's: same ranking, same snippets, escaped."""

import json
import shutil
import subprocess

import pytest

import quire.search
from quire.search import search_index, search_posts

from conftest import PROJECT

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (apt-get install nodejs)")

HOSTILE_TITLE = "Escaping <img src=x onerror=alert(1)> & \"quotes\""
FILLER = " ".join(f"filler{i}" for i in range(900))

POSTS = {
    "transformer": ("Transformer Networks", "Attention layers stack attention heads. " * 6),
    "attention": ("Attention Is Enough", "A short post."),
    "diffusion": ("Diffusion Models", "A transformer is mentioned. transformer again. Also transformers plural. "
                                      "Score matching and denoising."),
    "policy": ("Policy Gradients", "REINFORCE and the likelihood ratio trick. A gradient estimate."),
    "groups": ("Transformation Groups", "Group theory and a model of symmetry."),
    "score": ("Score Matching", "score " * 30 + "matching of a model density."),
    "kernels": ("Kernel Methods", "The kernel trick; snake_case names and don't stop."),
    "unicode": ("Über naïve Schätzung", "Café, 数学 and über-parameters; the naïve Bayes model."),
    "hostile": (HOSTILE_TITLE, "Code `<script>alert(1)</script>` and <b> & ampersands as text: "
                               "`<b>bold</b>`."),
    "long": ("A Long Post", FILLER + " the tail word arrives late, after the first chunk: tailword."),
    "math": ("Math Heavy", "Inline $x^2$ math and display\n\n$$\ny = mx + b\n$$\n\nthen the model text."),
    "cap-a": ("Cap A", "saturate " * 25),
    "cap-b": ("Cap B", "saturate " * 22),
    "tie-a": ("Identical A", "identical words here"),
    "tie-b": ("Identical B", "identical words here"),
    "astral": ("Astral 𝑥𝑦word", "ｆｕｌｌwidth and 𝑥𝑦word and ｆｕｌｌer 𝒜lpha 𝒜beta 𝒜bc"),
    "far-space": ("Far Spaces", "a" * 60 + " " + "b" * 200 + " needle " + "c" * 300),
    "no-space": ("No Spaces", "x" * 50 + "needlenospace" + "c" * 400),
    "summary": ("Long Summary Post", "Body words."),
    "boundary": ("Space Boundary", "a" * 100 + " " + "b" * 28 + " needlex tail"),  # a space 30 back
    "dotted": ("Dotted I", "İstanbul and Izmir"),  # "İ".lower() is two characters: "stanbul" starts no word
    "descent-a": ("Gradient Descent Notes", "Once more: descent."),  # both words strong
    "descent-b": ("Gradient Tricks", "A descent."),  # one strong, one weak: the sum ranks it lower
    "ten-uses": ("Ten Uses", "kernel " * 10 + "and kernels once"),  # its best match counts, not its last
    "five-uses": ("Five Uses", "kernel " * 5),
    "year": ("Results of 2024", "Numbers 2024 and 42 and x1 and the attention model."),
}

QUERIES = [
    "transformer", "transformers", "transform", "trans", "attention", "attentoin", "atention", "model",
    "modle", "mdel", "grup", "the", "the and", "a", "policy gradient", "gradient policy", "gradients",
    "likelihod", "über", "uber", "naïve", "naive", "数学", "café", "script", "alert", "img onerror", "snake_case",
    "2024", "x1", "don't", "reinforce", "REINFORCE", "diffusion score", "score matching", "score", "kernel",
    "zzz", "saturate", "tailword", "filler899", "quotes", "amp", "<b>", "identical", "mx", "escaping quotes", "models",
    "needle", "xxxx", "long summary", "needlenospace", "needlex", "stanbul", "gradient descent",
    # Characters above U+FFFF: JS strings count and order them as two UTF-16 units, Python as one character.
    "ｆｕｌ", "ｆｕｌｌ", "𝑥𝑦", "𝒜", "𝒜lph", "𝒜lpah", "𝒜bd", "𝑥𝑦wrod", "ｆｕｌｌwidht",
]


@pytest.fixture(params=[None, 200], ids=["shards", "split-shards"])
def searched(request, builder, client, app, tmp_path, monkeypatch):
    """Build the corpus, write the files search.js fetches, run the queries through node: with the shards as
    they are, and with every shard over 200 characters split by a longer prefix."""
    if request.param:
        monkeypatch.setattr(quire.search, "SHARD_CHARS", request.param)
    for n, (slug, (title, body)) in enumerate(POSTS.items()):
        meta = {"summary": repr("A summary of many words. " * 20)} if slug == "summary" else {}
        builder.post(slug, title=title, date=f"2024-01-{n + 1:02d}", body=body, **meta)
    builder.page("faq", title="FAQ transformer", body="transformer questions", listed="true")
    with app.test_request_context():
        site = app.extensions["quire"].site()
    index = search_index(site)
    assert any(name.count("-") > 1 for name in index.shards()) == bool(request.param)  # split or not
    data = tmp_path / "search-data"
    files = ["index.json", *(f"shards/{name}.json" for name in index.shards())]
    files += [f"vocab/{name}.json" for name in index.buckets()] + [f"docs/{n}.json" for n in range(len(index.posts))]
    files += [f"text/{doc}-{chunk}.txt" for doc, post in enumerate(index.posts)
              for chunk in range(len(post.terms.chunks))]
    for rel in files:
        response = client.get(f"/search/{rel}")
        assert response.status_code == 200, rel
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).write_bytes(response.data)
    shown = [f.read_text(encoding="utf-8") for f in (data / "docs").glob("*.json")]
    assert any("Über naïve Schätzung" in text for text in shown)  # UTF-8, not \u escapes
    queries = tmp_path / "queries.json"
    queries.write_text(json.dumps(QUERIES), encoding="utf-8")
    result = subprocess.run([NODE, str(PROJECT / "tests" / "search_node.js"), str(PROJECT / "static" / "search.js"),
                             str(data), str(queries)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return site, index, {shown["query"]: shown for shown in json.loads(result.stdout)}


def server_view(site, query):
    """What the server search shows for a query: the status line and (title, snippet) per result."""
    results, total = search_posts(site, query)
    status = f"{total} result{'s' if total != 1 else ''} for \u201c{query}\u201d" if total else \
        f"No results for \u201c{query}\u201d"
    return status, [(r.post.title, r.snippet) for r in results]


def test_client_ranks_and_cuts_snippets_as_the_server_does(searched):
    site, index, shown = searched
    assert len(QUERIES) >= 30 and set(shown) == set(QUERIES)
    found = 0
    for query in QUERIES:
        status, results = server_view(site, query)
        client = shown[query]
        assert client["status"] == status, query
        assert [(r["title"], r["snippet"]) for r in client["results"]] == results, query
        found += bool(results)
    assert found >= 30  # the agreement is about results, not about empty lists


def test_the_queries_cover_the_ranking_rules(searched):
    site, index, shown = searched

    def titles(query):
        return [r["title"] for r in shown[query]["results"]]

    assert titles("modle") and set(titles("modle")) < set(titles("model"))  # one typo in five letters
    assert titles("mdel") == [] and titles("grup") == []  # four letters: no typos
    assert titles("transformer")[:2] == ["FAQ transformer", "Transformer Networks"]  # titles first
    assert titles("attention")[:2] == ["Attention Is Enough", "Transformer Networks"]  # even over 12 uses
    assert titles("identical") == ["Identical B", "Identical A"]  # ties: listing order
    assert titles("saturate") == ["Cap B", "Cap A"]  # counts above 20 count as 20
    assert titles("gradient descent") == ["Gradient Descent Notes", "Gradient Tricks"]  # scores of words add up
    assert titles("kernel")[1:3] == ["Ten Uses", "Five Uses"]  # "kernel" 10 times beats "kernels" once
    assert titles("the") == [] and shown["the"]["status"] == "No results for \u201cthe\u201d"
    assert titles("ｆｕｌ") == titles("𝒜lpah") == ["Astral 𝑥𝑦word"] and titles("𝒜") == titles("𝒜bd") == []
    assert titles("tailword") == ["A Long Post"]
    assert "<mark>tailword</mark>" in shown["tailword"]["results"][0]["snippet"]  # from a later chunk
    assert len(index.posts[[p.title for p in index.posts].index("A Long Post")].terms.chunks) > 1


def test_snippets_cut_at_spaces_near_the_match(searched):
    _, _, shown = searched
    assert shown["needle"]["results"][0]["snippet"] == "... " + "b" * 59 + " <mark>needle</mark> ..."
    assert shown["xxxx"]["results"][0]["snippet"] == "x" * 50 + "needlenospace" + "c" * 117 + " ..."  # no space
    assert shown["needlex"]["results"][0]["snippet"] == "... " + "a" * 30 + " " + "b" * 28 + " <mark>needlex</mark> " \
        "tail"  # the space 30 characters back is one too far
    assert shown["stanbul"]["results"][0]["snippet"] == "İstanbul and Izmir"  # no word starts with the term
    summary = shown["long summary"]["results"][0]["snippet"]  # a title match shows the summary's start
    assert summary.replace("<mark>", "").replace("</mark>", "") == " ".join(["A summary of many words."] * 20)[:300]


def test_client_escapes_titles_snippets_and_the_query(searched):
    _, _, shown = searched
    hit = shown["script"]["results"][0]
    assert hit["title"] == HOSTILE_TITLE and hit["title_html"] == ""  # set as text, never parsed
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;" in hit["snippet"]
    assert "<script" not in hit["snippet"] and "<b>" not in hit["snippet"]
    assert "&lt;b&gt;bold&lt;/b&gt;" in shown["amp"]["results"][0]["snippet"]
    assert shown["<b>"]["status"].endswith("for \u201c<b>\u201d")  # the status line is text
