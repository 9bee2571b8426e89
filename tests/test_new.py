"""`flask new`: the file it writes, its slug and front matter, and what it refuses to overwrite."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from quire.content import load_post
from quire.paths import ascii_slug


def run_new(runner, *args):
    return runner.invoke(args=["new", *args])


@pytest.mark.parametrize("title, slug", [
    ("Don't Panic: Q&A — 2024", "dont-panic-q-a-2024"),
    ("Reward Hacking in Reinforcement Learning", "reward-hacking-in-reinforcement-learning"),
    ("Lilian’s “quoted” #1 post", "lilians-quoted-1-post"),
    ("Über naïve café: résumé", "uber-naive-cafe-resume"),
    ("GPT-4 🚀 vs. o1", "gpt-4-vs-o1"),
    ("  --Edges--  ", "edges"),
    ("日本語", ""),
    ("🎉🎉", ""),
])
def test_slugify_gives_clean_ascii(title, slug):
    assert ascii_slug(title) == slug


def test_new_post_has_dated_name_and_front_matter(runner, site_dir, app):
    result = run_new(runner, "Reward Hacking in Reinforcement Learning", "--tags", "rl, llm,,", "--date",
                     "2024-11-28")
    assert result.exit_code == 0, result.output
    path = site_dir / "posts/2024-11-28-reward-hacking-in-reinforcement-learning.md"
    assert f"Created {path.relative_to(site_dir)}" in result.output
    assert "/posts/2024-11-28-reward-hacking-in-reinforcement-learning/" in result.output
    assert "https://blog.example.org/posts/2024-11-28-reward-hacking-in-reinforcement-learning/" in result.output
    text = path.read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "Reward Hacking in Reinforcement Learning"\ndate: 2024-11-28\n'
                           'tags: ["rl", "llm"]\n---\n')
    assert text.rstrip().endswith("<!--more-->")
    assert "draft" not in text
    client = app.test_client()
    page = client.get("/posts/2024-11-28-reward-hacking-in-reinforcement-learning/").get_data(as_text=True)
    assert "<h1 class=\"post-title\">Reward Hacking in Reinforcement Learning</h1>" in page
    assert client.get("/tags/llm/").status_code == 200


@pytest.mark.parametrize("title", [
    "Don't Panic: Q&A — 2024",
    'She said "no": #hashtag & more',
    "key: value # comment",
    "- looks like a list",
    "[bracketed] {braced} *starred* &anchor !tag |pipe >fold %percent @at `tick`",
    "Emoji 🚀 and ünïcödé",
    "null",
    "true",
    "2024-01-01 is a date",
    "back\\slash and 'single' quotes",
])
def test_any_title_survives_as_yaml(runner, site_dir, title):
    result = run_new(runner, "--date", "2024-02-03", "--tags", "Q&A: x,#tag", "--", title)
    assert result.exit_code == 0, result.output
    path = next((site_dir / "posts").glob("2024-02-03-*.md"))
    post = load_post(path, "post", f"posts/{path.name}", {"timezone": "UTC", "summary_words": 70,
                                                          "smart_punctuation": False, "author": ""})
    assert post.title == title
    assert [t.name for t in post.tags] == ["Q&A: x", "#tag"]
    assert post.date.date() == date(2024, 2, 3)


def test_default_date_is_today_in_the_site_time_zone(runner, site_dir):
    (site_dir / "site.toml").write_text('timezone = "Pacific/Kiritimati"\n')
    result = run_new(runner, "Today")
    assert result.exit_code == 0, result.output
    today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert (site_dir / f"posts/{today.isoformat()}-today.md").is_file()


def test_bundle_page_and_draft(runner, site_dir, app):
    assert run_new(runner, "With Figures", "--bundle", "--date", "2024-05-06").exit_code == 0
    assert (site_dir / "posts/2024-05-06-with-figures/index.md").is_file()
    result = run_new(runner, "About me", "--page")
    assert result.exit_code == 0, result.output
    page = (site_dir / "pages/about-me.md").read_text()
    assert page.startswith('---\ntitle: "About me"\n---\n') and "date:" not in page
    assert "/about-me/" in result.output
    result = run_new(runner, "Work in progress", "--draft", "--date", "2024-05-07")
    assert "draft: true\n" in (site_dir / "posts/2024-05-07-work-in-progress.md").read_text()
    assert "QUIRE_DRAFTS=1" in result.output
    client = app.test_client()
    assert client.get("/posts/2024-05-06-with-figures/").status_code == 200
    assert client.get("/about-me/").status_code == 200
    assert client.get("/posts/2024-05-07-work-in-progress/").status_code == 404


def test_never_overwrites(runner, builder, site_dir):
    original = builder.post("2024-01-01-taken", title="Taken")
    before = original.read_bytes()
    result = run_new(runner, "Taken", "--date", "2024-01-01")
    assert result.exit_code == 1
    assert "posts/2024-01-01-taken.md already exists" in result.output
    assert original.read_bytes() == before
    (site_dir / "posts/2024-01-02-folder").mkdir()
    result = run_new(runner, "Folder", "--date", "2024-01-02")
    assert result.exit_code == 1 and "posts/2024-01-02-folder already exists" in result.output
    result = run_new(runner, "Folder", "--date", "2024-01-02", "--bundle")
    assert result.exit_code == 1 and not (site_dir / "posts/2024-01-02-folder/index.md").exists()


def test_refuses_a_slug_or_alias_claimed_by_another_post(runner, builder, site_dir):
    builder.post("old-name", title="Old", slug="2024-03-04-claimed")
    builder.post("other", title="Other", aliases="[/posts/2024-03-05-aliased/]")
    result = run_new(runner, "Claimed", "--date", "2024-03-04")
    assert result.exit_code == 1
    assert "posts/old-name.md already uses the slug '2024-03-04-claimed'" in result.output
    result = run_new(runner, "Aliased", "--date", "2024-03-05")
    assert result.exit_code == 1
    assert "posts/other.md has /posts/2024-03-05-aliased/ as an alias" in result.output
    assert sorted(p.name for p in (site_dir / "posts").iterdir()) == ["old-name.md", "other.md"]


def test_drafts_claim_their_slug_too(runner, builder):
    builder.post("2024-03-06-secret", title="Secret", draft="true")
    result = run_new(runner, "Secret", "--date", "2024-03-06", "--bundle")
    assert result.exit_code == 1 and "already exists" in result.output


@pytest.mark.parametrize("args, message", [
    (["🎉"], "gives an empty slug"),
    (["日本語の記事"], "--slug"),
    (["Tags", "--page"], "is a URL Quire uses"),
    (["Line\nbreak"], "on one line"),
    (["   "], "on one line"),
    (["Bad slug", "--slug", "a/b"], "which a URL reserves"),
])
def test_refusals_explain_themselves(runner, site_dir, args, message):
    result = run_new(runner, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert not any((site_dir / "posts").iterdir()) and not any((site_dir / "pages").iterdir())


def test_slug_option_names_a_title_without_ascii(runner, site_dir):
    result = run_new(runner, "日本語の記事", "--slug", "japanese-post", "--date", "2024-07-08")
    assert result.exit_code == 0, result.output
    assert '"日本語の記事"' in (site_dir / "posts/2024-07-08-japanese-post.md").read_text(encoding="utf-8")


def test_future_date_is_announced(runner):
    result = run_new(runner, "Later", "--date", "2999-01-01")
    assert result.exit_code == 0 and "appears on that day" in result.output
