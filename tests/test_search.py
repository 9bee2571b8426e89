"""Search: ranking rules, typos and prefixes, the sharded client files, the no-JavaScript server answer."""

import json
from types import SimpleNamespace

import pytest

from quire.search import (
    SearchIndex,
    _fill_shards,
    highlight,
    safe_json,
    search_index,
    shard_name,
    typo_buckets,
    vocab_names,
    within_one_edit,
)
from quire.terms import index_terms, split_chunks, tokenize


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def corpus(builder):
    builder.post("a", title="Transformer Networks", date="2024-01-01", body="Attention layers. " * 3)
    builder.post("b", title="Diffusion Models", date="2024-02-01",
                 body="A transformer is mentioned here. transformer again. Also transformers plural.")
    builder.post("c", title="Policy Gradients", date="2024-03-01", body="REINFORCE and the likelihood ratio trick.")
    builder.post("d", title="Transformation Groups", date="2024-04-01", body="Group theory.")
    builder.page("faq", title="FAQ transformer", body="transformer questions")
    return builder


def ranked_titles(client, query):
    page = text_of(client.get("/search/", query_string={"q": query}))
    return [chunk.split("</span>", 1)[0] for chunk in page.split('<span class="result-title">')[1:]]


def test_title_above_body(corpus, client):
    assert ranked_titles(client, "transformer") == ["Transformer Networks", "Diffusion Models"]


def test_whole_word_above_prefix(corpus, client):
    corpus.post("e", title="A Model Zoo", date="2023-01-01")
    assert ranked_titles(client, "model") == ["A Model Zoo", "Diffusion Models"]


def test_prefix_ties_keep_listing_order(corpus, client):
    assert ranked_titles(client, "transform") == ["Transformation Groups", "Transformer Networks",
                                                  "Diffusion Models"]


def test_prefix_match(corpus, client):
    assert "Diffusion Models" in ranked_titles(client, "diffus")
    assert ranked_titles(client, "likeli") == ["Policy Gradients"]


def test_one_typo_in_long_words(corpus, client):
    assert ranked_titles(client, "gradiants") == ["Policy Gradients"]
    assert ranked_titles(client, "likelihod") == ["Policy Gradients"]
    assert ranked_titles(client, "grup") == []  # short words need an exact or prefix match


def test_typos_count_from_five_letters(builder, client):
    builder.post("m", title="Group Theory", body="A model of moons.")
    assert ranked_titles(client, "modle") == ranked_titles(client, "mdoel") == ["Group Theory"]  # 5 letters
    assert ranked_titles(client, "grop") == ranked_titles(client, "mdel") == []  # 4 letters: no typos
    assert ranked_titles(client, "moon") == ["Group Theory"]  # a prefix needs no typo


def test_every_word_must_match(corpus, client):
    assert ranked_titles(client, "transformer attention") == ["Transformer Networks"]


def test_pages_excluded(corpus, client):
    assert "FAQ transformer" not in ranked_titles(client, "transformer")


def test_snippet_highlights(corpus, client):
    page = text_of(client.get("/search/?q=likelihood"))
    assert "<mark>likelihood</mark>" in page
    assert "1 result for" in page


def test_stable_order_for_equal_scores(builder, client):
    for i in range(5):
        builder.post(f"same{i}", title=f"Same {i}", date=f"2024-01-0{i + 1}", body="identical words")
    assert ranked_titles(client, "identical") == [f"Same {i}" for i in range(4, -1, -1)]


def test_hostile_queries(corpus, client):
    for query in ("(.*)+[", "\\", "a" * 10_000, "$^|?"):
        response = client.get("/search/", query_string={"q": query})
        assert response.status_code == 200
        assert "result" in text_of(response)


def test_query_is_reflected_as_text(corpus, client):
    query = '"><script>alert(1)</script> transformer'
    page = text_of(client.get("/search/", query_string={"q": query}))
    assert "<script>alert(1)" not in page
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt; transformer"' in page
    assert "0 results for &ldquo;&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt; transformer&rdquo;" in page


def test_client_files_are_consistent(corpus, client):
    raw = client.get("/search/index.json").get_data(as_text=True)
    index = json.loads(raw)
    assert raw.startswith('{"version":2,"docs":4,"shards":["61-67","61-74",')  # compact: sent to every reader
    assert "transformer" not in raw  # no vocabulary up front: it grows with the blog
    docs = [json.loads(client.get(f"/search/docs/{n}.json").data) for n in range(index["docs"])]
    titles = [d[0] for d in docs]
    assert titles == ["Transformation Groups", "Policy Gradients", "Diffusion Models", "Transformer Networks"]
    assert docs[1][1:3] == ["/posts/c/", "March 1, 2024"] and docs[1][3].startswith("REINFORCE")
    assert index["shards"] == sorted(index["shards"]) and shard_name("transformer") in index["shards"]
    shard = json.loads(client.get(f"/search/shards/{shard_name('transformer')}.json").data)
    titled, flat = shard["transformer"]
    assert titled == [titles.index("Transformer Networks")]  # posts with the term in their title
    assert flat[0::3] == [titles.index("Diffusion Models")] and flat[1] == 2
    assert shard["transformation"] == [[0], []]  # a title-only term is in its shard too (prefix matches)
    doc, chunk = flat[0], flat[2]
    text = text_of(client.get(f"/search/text/{doc}-{chunk}.txt"))
    assert "transformer is mentioned" in text
    for name in vocab_names("transformer"):
        assert name in index["vocab"]
        assert "transformer" in json.loads(client.get(f"/search/vocab/{name}.json").data)
    assert client.get("/search/shards/zz-zz.json").status_code == 404
    assert client.get("/search/vocab/f99-7a.json").status_code == 404
    assert client.get("/search/text/99-0.txt").status_code == 404
    for doc_name in ("4", "01", "x", "-1"):
        assert client.get(f"/search/docs/{doc_name}.json").status_code == 404


def test_typo_buckets_hold_every_term_one_edit_away():
    word = "gradient"
    letters = "abgirxé"
    near = {word[:i] + c + word[i + 1:] for i in range(len(word)) for c in letters}  # substitutions
    near |= {word[:i] + word[i + 1:] for i in range(len(word))}  # deletions
    near |= {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in letters}  # insertions
    near |= {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}  # swaps
    near = {t for t in near if within_one_edit(word, t)}
    assert len(near) > 100
    wanted = set(typo_buckets(word))
    assert all(set(vocab_names(term)) & wanted for term in near)
    assert len(wanted) == 7 and not set(vocab_names("gradients")) <= set(typo_buckets("xyzzyq"))
    assert vocab_names("über") == ("f4-fc", "s4-62")


def test_helpers():
    assert tokenize("Hello, World_x 2024 a") == ["hello", "world", "2024"]
    assert within_one_edit("gradient", "gradiant") and within_one_edit("gradient", "gradients")
    assert within_one_edit("gradient", "gradeint")  # neighbours swapped
    assert not within_one_edit("gradient", "gradient") and not within_one_edit("gradient", "grdiant")
    assert not within_one_edit("gradient", "gradeitn")  # two edits
    assert shard_name("über") == "fc-62"
    assert highlight("a<b & transformers", []) == "a&lt;b &amp; transformers"
    assert highlight("a<b & Transformers", ["transformer", "transformers"]) == "a&lt;b &amp; <mark>Transformers</mark>"
    chunks = split_chunks("word " * 3000, size=1000)
    assert all(len(c) <= 1000 for c in chunks) and " ".join(chunks).split() == ["word"] * 3000
    assert all(len(c) > 990 for c in chunks[:-1])  # cut at the last space before the size, not the first
    # Only a space in the second half of the window is a cut; else the cut is at the size.
    assert split_chunks("word " + "x" * 2000, size=1000)[0] == "word " + "x" * 995
    assert split_chunks("x" * 400 + " " + "x" * 1600, size=1000)[0] == "x" * 400 + " " + "x" * 599
    assert split_chunks("x" * 2500 + " tail", size=1000) == ("x" * 1000, "x" * 1000, "x" * 500 + " tail")


def test_index_terms_notes_first_chunk():
    terms = index_terms(("alpha " * 900) + "omega")
    assert terms.counts["alpha"] == (900, 0)
    assert terms.counts["omega"][1] == len(terms.chunks) - 1


def test_search_index_rank_direct(builder, app):
    builder.post("x", title="Kernel Methods", body="kernel trick")
    with app.test_request_context():
        site = app.extensions["quire"].site()
    index = SearchIndex.build(site.listed)
    assert index.rank("kernels")[0][0] == 0  # typo / suffix
    assert index.rank("the and") == []
    assert search_index(site) is search_index(site)  # built once per Site


def test_postings_note_counts_and_first_chunks(builder, app):
    builder.post("a", title="Alpha", body=" ".join(f"filler{i}" for i in range(500)) + " late late late")
    builder.post("b", title="Beta", date="2023-01-01", body="late early early")
    with app.test_request_context():
        index = SearchIndex.build(app.extensions["quire"].site().listed)
    assert len(index.posts[0].terms.chunks) == 2
    assert index.entries("late") == {0: (3, 1), 1: (1, 0)}
    assert index.entries("early") == {1: (2, 0)} and index.entries("filler0") == {0: (1, 0)}


def test_server_shows_twenty_results_and_counts_all(builder, client):
    for i in range(25):
        builder.post(f"p{i}", title=f"Post {i}", date=f"2024-01-{i + 1:02d}", body="common word")
    page = text_of(client.get("/search/?q=common"))
    assert page.count('<li class="search-result">') == 20 and "25 results for" in page  # as search.js says


def test_large_shards_split_by_a_longer_prefix(monkeypatch):
    monkeypatch.setattr("quire.search.SHARD_CHARS", 60)
    terms = ["re", "reward", "rewards", "replay", "rep", "rest", "x" * 40, "x" * 40 + "y"]
    entries = {term: safe_json({term: [[], [0, 1, 0] * (3 if term.startswith("rew") else 1)]})[1:-1] for term in terms}
    shards = {}
    _fill_shards(sorted(terms), 2, entries, shards)
    held = {term: name for name, text in shards.items() for term in json.loads(text)}
    assert sorted(held) == sorted(terms)  # each term in exactly one shard
    assert held["re"] == "72-65" and json.loads(shards["72-65"]) == {"re": [[], [0, 1, 0]]}  # only the short one
    # Split further while the postings are long: "reward" stays where "rewards" goes on.
    assert held["reward"] == shard_name("reward", 6) and held["rewards"] == shard_name("rewards", 7)
    assert held["rep"] == held["replay"] == shard_name("rep", 3) and held["rest"] == shard_name("res", 3)
    assert held["x" * 40] == held["x" * 40 + "y"] == shard_name("x" * 12, 12)  # names stay short
    assert all(json.loads(text) for text in shards.values())  # no shard is left empty by a split


def test_a_shard_splits_only_when_over_the_limit_and_never_for_one_term(monkeypatch):
    def shards_of(entries: dict[str, list]) -> dict[str, str]:
        made: dict[str, str] = {}
        _fill_shards(sorted(entries), 2, {t: safe_json({t: e})[1:-1] for t, e in entries.items()}, made)
        return made

    pair = {"ab": [[], [0, 1, 0]], "abc": [[], [1, 1, 0]]}
    whole = shards_of(pair)
    monkeypatch.setattr("quire.search.SHARD_CHARS", len(whole[shard_name("ab")]))  # exactly at the limit: kept
    assert shards_of(pair) == whole
    monkeypatch.setattr("quire.search.SHARD_CHARS", len(whole[shard_name("ab")]) - 1)  # one over: split
    assert sorted(shards_of(pair)) == [shard_name("ab"), shard_name("abc", 3)]
    # One term over the limit alone has nothing to split from: it stays in its prefix's shard.
    assert sorted(shards_of({"zebra": [[], [0, 1, 0] * 50]})) == [shard_name("ze")]


# Patching the last build's index


def doc(title: str, text: str) -> SimpleNamespace:
    """What the index reads of a post: its title and its terms."""
    return SimpleNamespace(title=title, terms=index_terms(text))


def blog_docs(count: int = 40) -> list[SimpleNamespace]:
    return [doc(f"Note {n} on {['attention', 'diffusion', 'policy'][n % 3]}",
                f"Shared words in every note. Number {n} talks of topic{n % 4} and item{n}. " * (1 + n % 3))
            for n in range(count)]


def index_parts(index: SearchIndex) -> dict:
    return {"titles": index.titles, "title_docs": index.title_docs,
            "postings": {term: flat.tolist() for term, flat in index.postings.items()},
            "vocabulary": index.vocabulary, "shards": index.shards(), "buckets": index.buckets(),
            "client": index.client_index()}


EDITS = {
    "nothing": {},
    "body": {4: doc("Note 4 on diffusion", "Shared words in every note. Number 4 talks of topic0 and more.")},
    "new word": {7: doc("Note 7 on diffusion", "Shared words. A zeppelin and item7.")},
    "last use of a word": {11: doc("Note 11 on policy", "Shared words in every note. Nothing else.")},
    "title": {0: doc("Zebra stripes", "Shared words in every note. Number 0 talks of topic0 and item0. ")},
    "first and last": {0: doc("Note 0", "Only this."), 39: doc("Note 39 anew", "Shared words, item39, zzz.")},
    "empty": {3: doc("Untitled", "")},
    "two swap places": {1: blog_docs()[2], 2: blog_docs()[1]},
}


@pytest.mark.parametrize("edit", EDITS)
def test_a_patched_index_is_the_index_built_anew(edit):
    before = blog_docs()
    state = SearchIndex.build(tuple(before)).state()
    after = tuple(EDITS[edit].get(n, post) for n, post in enumerate(before))
    patched = SearchIndex.build(after, state)
    assert patched.postings is state.postings, "built anew, not patched"
    assert index_parts(patched) == index_parts(SearchIndex.build(after))
    # and the next build patches this one
    again = tuple(doc(post.title, "Rewritten.") if n == 5 else post for n, post in enumerate(after))
    assert index_parts(SearchIndex.build(again, patched.state())) == index_parts(SearchIndex.build(again))


def test_an_index_is_built_anew_when_the_posts_are_not_the_same_or_many_changed():
    before = blog_docs()
    for after in (blog_docs(41), blog_docs(39), [doc(post.title, "New text.") for post in before[:3]] + before[3:]):
        state = SearchIndex.build(tuple(before)).state()
        index = SearchIndex.build(tuple(after), state)
        assert index.postings is not state.postings
        assert index_parts(index) == index_parts(SearchIndex.build(tuple(after)))
    state = SearchIndex.build(tuple(before)).state()
    assert SearchIndex.build(tuple(before), "not a state").postings is not state.postings


@pytest.mark.parametrize("changed, patched", [(8, True), (9, False)])
def test_a_patch_takes_at_most_eight_posts(changed, patched):
    before = blog_docs(200)
    state = SearchIndex.build(tuple(before)).state()
    after = tuple(doc(post.title, "Short now.") if n < changed else post for n, post in enumerate(before))
    index = SearchIndex.build(after, state)
    assert (index.postings is state.postings) == patched
    assert index_parts(index) == index_parts(SearchIndex.build(after))


def test_a_patch_encodes_again_only_the_terms_whose_postings_changed(monkeypatch):
    before = blog_docs()
    state = SearchIndex.build(tuple(before)).state()
    assert state.buckets == SearchIndex.build(tuple(before)).buckets() and set(state.entries) == set(state.vocabulary)
    encoded, real = [], SearchIndex._entry
    monkeypatch.setattr(SearchIndex, "_entry", lambda self, term: encoded.append(term) or real(self, term))
    # Post 4 says "talks" more often: one term's postings change, and the vocabulary stays.
    text = before[4].terms.chunks[0]
    after = tuple(doc(post.title, text + " talks") if n == 4 else post for n, post in enumerate(before))
    patched = SearchIndex.build(after, state)
    assert encoded == ["talks"]
    assert patched._buckets is state.buckets  # the same vocabulary: the same typo buckets
    # Then it loses "item4", which no other post has: the term leaves the vocabulary, its entry and its buckets.
    encoded.clear()
    last = tuple(doc(post.title, text.replace("item4", "")) if n == 4 else post for n, post in enumerate(after))
    again = SearchIndex.build(last, patched.state())
    assert encoded == ["talks"] and "item4" not in again.vocabulary
    assert set(again.state().entries) == set(again.vocabulary)
    assert index_parts(again) == index_parts(SearchIndex.build(last))
