"""The front-matter table: README documents it, load_post checks every value by it, check warns on near misses."""

import os
import re
import subprocess
import sys
import textwrap

import pytest
import yaml

from quire import PROJECT_ROOT

from conftest import PROJECT


def table():
    """Import the table here, not at the top: the behaviour tests then also run on a Quire without it."""
    from quire import front_matter
    return front_matter


def check(runner):
    result = runner.invoke(args=["check"])
    return result.exit_code, result.output


def readme_rows() -> list[list[str]]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Front matter", 1)[1].split("\n#", 1)[0]
    return [[cell.strip() for cell in line.strip("|").split("|")]
            for line in section.splitlines() if line.startswith("| `")]


def test_readme_table_is_the_front_matter_table():
    FRONT_MATTER = table().FRONT_MATTER
    rows = readme_rows()
    assert [row[0] for row in rows] == [f"`{key.name}`" for key in FRONT_MATTER]
    for row, key in zip(rows, FRONT_MATTER, strict=True):
        applies = {"post": "posts", "page": "pages", "both": "both"}[key.applies]
        required = "yes" if set(key.required) == {"post", "page"} else (
            f"for {key.required[0]}s" if key.required else "no")
        assert row[1:4] == [key.type, applies, required], key.name
        assert row[4] == key.help, key.name


def test_importers_write_keys_in_table_order():
    from quire.importers.common import FRONT_MATTER_ORDER, front_matter
    FRONT_MATTER = table().FRONT_MATTER
    assert tuple(key.name for key in FRONT_MATTER) == FRONT_MATTER_ORDER
    text = front_matter({"extra": 1, "aliases": ["/a/"], "listed": True, "date": "2024-01-01", "title": "T"})
    assert list(yaml.safe_load(text.strip("-\n"))) == ["title", "date", "aliases", "listed", "extra"]


BAD_VALUES = [
    ("weight: .inf", 4, "'weight' must be a whole number, not inf"),
    ("weight: 1.5", 4, "'weight' must be a whole number"),
    ("weight: 99999999999", 4, "'weight' 99999999999 is out of range"),
    ("aliases: 5", 4, "'aliases' must be a list of paths"),
    ("aliases: true", 4, "'aliases' must be a list of paths"),
    ("aliases: [/ok/, 7]", 4, "'aliases' must be a list of paths"),
    ("tags: {a: b}", 4, "'tags' must be a list of names or one string"),
    ("tags: [[a]]", 4, "'tags' must be a list of names or one string"),
    ("title2: x\ntoc: maybe", 5, "'toc' must be true or false, not 'maybe'"),
    ("draft: 2", 4, "'draft' must be true or false"),
    ("author: [a, b]", 4, "'author' must be text, not a list"),
    ("summary: {a: 1}", 4, "'summary' must be text, not a mapping"),
    ("updated: [2024]", 4, "'updated' [2024] is not a date"),
    ("updated: 0001-01-01T00:00:00+05:00", 4, "'updated' 0001-01-01 00:00:00+05:00 is out of range"),
    ("slug: [a]", 4, "'slug' must be text, not a list"),
]


@pytest.mark.parametrize("extra, line, message", BAD_VALUES)
def test_a_bad_value_is_one_files_error(builder, client, runner, extra, line, message):
    builder.file("posts/bad.md", f"---\ntitle: Bad\ndate: 2024-01-01\n{extra}\n---\nText.\n")
    builder.post("good", title="Good")
    assert client.get("/").status_code == 200 and "Good" in client.get("/").get_data(as_text=True)
    assert client.get("/posts/good/").status_code == 200
    assert client.get("/posts/bad/").status_code == 500
    code, output = check(runner)
    assert code == 1 and f"posts/bad.md:{line}: error: {message}" in output, output


@pytest.mark.parametrize("text, line, message", [
    ("---\ntitle: P\ndate: 0001-01-01T00:00:00+05:00\n---\n", 3, "'date' 0001-01-01 00:00:00+05:00 is out of range"),
    ("---\ntitle: P\ndate: 9999-12-31T23:00:00-05:00\n---\n", 3, "'date' 9999-12-31 23:00:00-05:00 is out of range"),
    ("+++\ntitle = 'P'\ndate = 0001-01-01T00:00:00+05:00\n+++\n", 3, "'date' 0001-01-01 00:00:00+05:00 is out"),
    ("+++\ntitle = 'P'\ndate = 2024-01-01\nupdated = 9999-12-31T23:59:00-01:00\n+++\n", 4, "'updated' 9999-12-31"),
])
def test_dates_that_overflow_in_utc_are_one_files_error(builder, client, runner, text, line, message):
    builder.file("posts/bad.md", text + "Text.\n")
    builder.post("good", title="Good")
    assert client.get("/").status_code == 200 and client.get("/index.xml").status_code == 200
    code, output = check(runner)
    assert code == 1 and f"posts/bad.md:{line}: error: {message}" in output, output


def test_year_one_and_9999_without_offsets_still_load(builder, client):
    builder.post("old", title="Old", date="0001-01-01")
    builder.post("late", title="Late", date="9999-12-31", draft="false")
    assert "Old" in client.get("/").get_data(as_text=True)


def test_accepted_spellings_still_load(builder, client):
    builder.post("p", title="2019", tags="rl auto-ml", weight='"3"', toc="no", draft="off", math="yes",
                 aliases="/old/path.html", author="Ann")
    page = client.get("/posts/p/").get_data(as_text=True)
    assert "<h1 class=\"post-title\">2019</h1>" in page and "MathJax" in page
    assert client.get("/old/path.html").status_code == 200


def test_unknown_keys_stay_in_meta(builder, app):
    builder.post("p", series="Diffusion", cover="c.png")
    post = app.extensions["quire"].site().posts_by_slug["p"]
    assert post.meta["series"] == "Diffusion" and post.meta["cover"] == "c.png"


@pytest.mark.parametrize("key, meant", [("tag", "tags"), ("Title", "title"), ("aliasses", "aliases"),
                                        ("updatd", "updated"), ("draf", "draft"), ("descripton", "description")])
def test_check_warns_about_near_misses(builder, runner, key, meant):
    builder.file("posts/p.md", f"---\ntitle: P\ndate: 2024-01-01\nauthor: A\n{key}: x\n---\nText.\n")
    code, output = check(runner)
    assert code == 0, output
    assert (f"posts/p.md:5: warning: unknown front-matter key '{key}': did you mean '{meant}'? "
            f"(other keys are kept in post.meta)") in output


def test_far_or_present_keys_are_not_near_misses(builder, runner):
    builder.post("p", mood="x", colour="y", categories="[a]", data="z", x="1", tags="[a]")
    assert check(runner) == (0, "No problems found.\n")
    near_miss = table().near_miss
    assert near_miss("tag", {"tags"}) is None and near_miss("tag", set()) == "tags"
    assert near_miss("no", set()) is None and near_miss("title", set()) is None
    assert near_miss("TAGS", {"tags"}) == "tags"


def test_a_missing_key_names_its_misspelling(builder, runner):
    builder.file("posts/p.md", "---\ntitle: P\ndat: 2024-01-01\n---\nText.\n")
    code, output = check(runner)
    assert code == 1
    assert "posts/p.md:3: error: missing 'date' in the front matter: add a line 'date: ...' (is 'dat' a " \
           "misspelling of it?)" in output


def test_control_characters_are_left_out_and_reported(builder, client, runner):
    builder.file("posts/c.md", '---\ntitle: "Ti\\x01tle\\0"\ndate: 2024-01-01\ntags: ["t\\x01g", ok]\n'
                               'summary: "s\\x0bum"\n---\nText.\n')
    page = client.get("/posts/c/").get_data(as_text=True)
    assert "<h1 class=\"post-title\">Title</h1>" in page and "\x00" not in page and "\x01" not in page
    assert client.get("/tags/tg/").status_code == 200
    code, output = check(runner)
    assert code == 0
    assert "posts/c.md:2: warning: 'title' has control characters (U+0000, U+0001), left out of the site" in output
    assert "posts/c.md:4: warning: 'tags' has control characters (U+0001)" in output
    assert "posts/c.md:5: warning: 'summary' has control characters (U+000B)" in output


def bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + f"\ntitle: *a{levels - 1}\ntags: *a{levels - 1}\ndate: 2024-01-01"


@pytest.mark.parametrize("front, message", [
    (bomb(8), "posts/bomb.md:1: error: the front matter's aliases (*name) expand to more than 1 MB"),
    ("a: &a [x]\n" + "".join(f"k{i}: *a\n" for i in range(1200)) + "title: T\ndate: 2024-01-01",
     "posts/bomb.md:1: error: the front matter uses aliases (*name) more than 1000 times"),
    ("title: " + "[" * 100_000 + "]" * 100_000 + "\ndate: 2024-01-01",
     "posts/bomb.md:1: error: the front matter nests lists or mappings more than 100 levels deep"),
    ("title: T\ndate: 2024-01-01\nbig: " + "x" * 1_100_000,
     "posts/bomb.md:1: error: the front matter is larger than 1 MB"),
    ("a: &a [1, *a]\ntitle: T\ndate: 2024-01-01", "alias (*name) inside the value it names"),
])
def test_front_matter_bombs_are_refused_quickly(site_dir, front, message):
    (site_dir / "posts" / "bomb.md").write_text(f"---\n{front}\n---\nText.\n")
    (site_dir / "posts" / "good.md").write_text("---\ntitle: Good\ndate: 2024-01-01\n---\nText.\n")
    # A child process: the time and memory bounds are its own, and a crash (libyaml's deep recursion) shows.
    code = textwrap.dedent(f"""
        import resource, time
        from quire import create_app
        app = create_app({str(site_dir)!r}, config={{"TESTING": True}})
        client = app.test_client()
        client.get("/404.html")  # the app's own start-up memory, before any content is read
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        status = client.get("/posts/good/").status_code
        seconds = time.perf_counter() - start
        errors = [str(e) for e in app.extensions["quire"].site().errors]
        print(status, round(seconds, 2), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss)
        print(errors)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=PROJECT,
                            env=dict(os.environ, QUIRE_CACHE_DIR="off"))
    assert result.returncode == 0, result.stderr[-2000:]
    first, errors = result.stdout.splitlines()
    status, seconds, grown_kib = first.split()
    assert status == "200" and message in errors, result.stdout
    assert float(seconds) < 1.0 and int(grown_kib) < 100 * 1024, first


def test_title_is_required_for_both_kinds_and_date_for_posts(builder, runner):
    builder.file("posts/p.md", "---\ndate: 2024-01-01\n---\nx\n")
    builder.file("posts/r.md", "---\ntitle: R\n---\nx\n")
    builder.file("pages/q.md", "---\ntitle: Q\n---\nx\n")
    code, output = check(runner)
    assert "posts/p.md:2: error: missing 'title'" in output and "posts/r.md:2: error: missing 'date'" in output
    assert "pages/q.md" not in output
    KEYS = table().KEYS
    assert KEYS["date"].required == ("post",) and KEYS["title"].required == ("post", "page")


def test_no_table_key_is_read_by_hand_without_a_check():
    # Every key load_post reads by name is in the table (a new key goes into FRONT_MATTER first).
    source = (PROJECT_ROOT / "quire" / "content.py").read_text(encoding="utf-8")
    read = set(re.findall(r"""meta\.get\("(\w+)"\)""", source)) | set(re.findall(r"""meta\["(\w+)"\]""", source))
    known = set(table().KEYS)
    assert read and read <= known, read - known
