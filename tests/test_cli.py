"""The `flask` commands: check, freeze and import, through the CLI runner and the real `python -m flask`."""

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import quire.cli
from quire.freeze import FreezeResult

from conftest import PROJECT, flask, flask_env, post_text

SUMMARY = re.compile(r"Froze (\d+) pages, (\d+) files, (\d+\.\d) MB in \d+\.\d s into (.+)")
BAD_FRONT = "no front matter: start the file with a line '---', then 'title:' and 'date:' lines, then a closing '---'"
BOM = "the file starts with a UTF-8 byte order mark: Quire reads it, other tools may ignore the front matter"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# flask check


def test_check_on_a_clean_site(builder, runner):
    builder.post("a", tags="[x]")
    result = runner.invoke(args=["check"])
    assert (result.exit_code, result.output) == (0, "No problems found.\n")
    result = runner.invoke(args=["check", "--format", "json"])
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


@pytest.fixture
def mixed(builder):
    """A site with one error, one warning and one info finding, in three files."""
    builder.file("posts/a-bom.md", "\ufeff" + post_text("A", "2024-01-01"))
    builder.file("posts/b-broken.md", "no front matter\n")
    builder.post("c-later", date="2999-01-01")
    return builder


def test_check_text_groups_findings_by_file_then_counts_them(mixed, runner):
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"posts/a-bom.md:1: warning: {BOM}",
        f"posts/b-broken.md:1: error: {BAD_FRONT}",
        "posts/c-later.md:3: info: scheduled: published on 2999-01-01T00:00:00+00:00; hidden until then "
        "(or with --drafts)",
        "1 error, 1 warning in 2 files",
    ]


def test_check_json_is_a_list_of_path_line_level_message(mixed, runner):
    result = runner.invoke(args=["check", "--format", "json"])
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    assert [list(f) for f in findings] == [["path", "line", "level", "message"]] * 3
    assert [(f["path"], f["line"], f["level"]) for f in findings] == [
        ("posts/a-bom.md", 1, "warning"), ("posts/b-broken.md", 1, "error"), ("posts/c-later.md", 3, "info")]
    assert findings[1]["message"] == BAD_FRONT


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_check_exits_0_with_only_warnings(builder, runner, fmt):
    builder.file("posts/a-bom.md", "\ufeff" + post_text("A", "2024-01-01"))
    result = runner.invoke(args=["check", "--format", fmt])
    assert result.exit_code == 0
    if fmt == "text":
        assert result.output.splitlines() == [f"posts/a-bom.md:1: warning: {BOM}", "0 errors, 1 warning in 1 file"]
    else:
        assert json.loads(result.stdout) == [{"path": "posts/a-bom.md", "line": 1, "level": "warning",
                                              "message": BOM}]


def test_check_refuses_an_unknown_format(runner):
    result = runner.invoke(args=["check", "--format", "xml"])
    assert result.exit_code == 2
    assert "Invalid value for '--format': 'xml' is not one of 'text', 'json'." in result.output


# flask freeze


@pytest.fixture
def spied_freeze(monkeypatch) -> list[tuple]:
    """Replace the freeze itself: record what the command passes on, and report a made-up result."""
    calls = []

    def fake_freeze(app, dest, progress, jobs, ignore_errors, report):
        settings = app.extensions["quire"].settings
        calls.append((dest, jobs, ignore_errors, settings["drafts"], settings["base_url"]))
        return FreezeResult(12, 34, 5_640_000, 7.89, dest, rendered=12 if dest.name == "build" else 3)

    monkeypatch.setattr(quire.cli, "freeze", fake_freeze)
    return calls


def test_freeze_options_reach_the_freeze(app, runner, site_dir, spied_freeze):
    default = runner.invoke(args=["freeze"])
    assert default.exit_code == 0, default.output
    assert default.output == f"Froze 12 pages, 34 files, 5.6 MB in 7.9 s into {site_dir / 'build'}\n"
    every = runner.invoke(args=["freeze", "--dest", "public", "--base-url", "https://example.org/blog/", "--drafts",
                                "--jobs", "1", "--ignore-errors"])
    assert every.exit_code == 0, every.output
    assert every.output.startswith("Froze 12 pages (3 rendered, the others unchanged), 34 files, 5.6 MB")
    assert spied_freeze == [
        (site_dir / "build", None, False, False, "https://blog.example.org/"),
        (Path("public"), 1, True, True, "https://example.org/blog/"),
    ]
    # The freeze gets an app of its own: the one serving is left as it was.
    assert app.extensions["quire"].settings["drafts"] is False
    assert app.extensions["quire"].settings["base_url"] == "https://blog.example.org/"


@pytest.mark.parametrize("base_url", ["example.org/blog/", "/blog/", "ftp://example.org/", "https://"])
def test_freeze_refuses_a_base_url_that_is_no_full_address(runner, spied_freeze, base_url):
    result = runner.invoke(args=["freeze", "--base-url", base_url])
    assert result.exit_code == 2
    assert "Invalid value for '--base-url': give the full address the site is published at" in result.output
    assert spied_freeze == []


def test_freeze_summary_counts_what_it_wrote(builder, runner, tmp_path):
    builder.post("a", title="Alpha", tags="[x]")
    builder.page("about")
    dest = tmp_path / "out"
    result = runner.invoke(args=["freeze", "--dest", str(dest)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    match = SUMMARY.fullmatch(result.stdout.strip())
    pages, files, megabytes, into = int(match[1]), int(match[2]), float(match[3]), Path(match[4])
    written = tree(dest)
    assert files == len(written) and megabytes == round(sum(map(len, written.values())) / 1e6, 1)
    assert into == dest
    html = [rel for rel in written if rel.endswith(".html")]
    assert "posts/a/index.html" in html and "about/index.html" in html and 0 < len(html) <= pages < files


def test_freeze_base_url_with_a_path_writes_every_link_under_it(builder, runner, tmp_path):
    builder.post("a", title="Alpha")
    dest = tmp_path / "out"
    result = runner.invoke(args=["freeze", "--dest", str(dest), "--base-url", "https://example.org/blog"])
    assert result.exit_code == 0, result.output
    post = (dest / "posts" / "a" / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://example.org/blog/posts/a/">' in post
    links = re.findall(r'(?:href|src)="(/[^"]*)"', post)
    assert "/blog/assets/quire.css" in links and [link for link in links if not link.startswith("/blog/")] == []
    assert "<link>https://example.org/blog/posts/a/</link>" in (dest / "index.xml").read_text(encoding="utf-8")


def test_freeze_drafts_includes_drafts_and_future_posts(builder, runner, tmp_path):
    builder.post("published")
    builder.post("draft", draft="true")
    builder.post("scheduled", date="2999-01-01")
    plain, drafts = tmp_path / "plain", tmp_path / "drafts"
    assert runner.invoke(args=["freeze", "--dest", str(plain)]).exit_code == 0
    assert runner.invoke(args=["freeze", "--dest", str(drafts), "--drafts"]).exit_code == 0
    assert sorted(p.name for p in (plain / "posts").iterdir() if p.is_dir()) == ["published"]
    assert sorted(p.name for p in (drafts / "posts").iterdir() if p.is_dir()) == ["draft", "published", "scheduled"]


def test_a_failed_freeze_says_the_output_was_left_as_it_was(builder, runner, tmp_path):
    builder.post("good", title="Good")
    dest = tmp_path / "out"
    assert runner.invoke(args=["freeze", "--dest", str(dest)]).exit_code == 0
    before = tree(dest)
    builder.file("posts/bad.md", "no front matter\n")
    result = runner.invoke(args=["freeze", "--dest", str(dest)])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"posts/bad.md:1: error: {BAD_FRONT}",
        "1 error(s) (see `flask check`): nothing was written; fix them, or publish anyway with --ignore-errors",
        f"freeze failed: {dest} was left as it was",
    ]
    assert tree(dest) == before


def test_freeze_refuses_a_foreign_folder_and_leaves_it_as_it_was(builder, runner, tmp_path):
    builder.post("good")
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "thesis.tex").write_text("years of work")
    result = runner.invoke(args=["freeze", "--dest", str(dest)])
    assert result.exit_code == 1
    assert "is not empty and was not written by Quire" in result.stderr
    assert result.stderr.splitlines()[-1] == f"freeze failed: {dest} was left as it was"
    assert tree(dest) == {"thesis.tex": b"years of work"}


def test_freeze_ignore_errors_prints_them_and_leaves_the_broken_file_out(builder, runner, tmp_path):
    builder.post("good", title="Good")
    builder.file("posts/bad.md", "no front matter\n")
    dest = tmp_path / "out"
    result = runner.invoke(args=["freeze", "--dest", str(dest), "--ignore-errors", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"posts/bad.md:1: error: {BAD_FRONT}"]
    assert SUMMARY.fullmatch(result.stdout.strip())
    assert "Good" in (dest / "posts" / "good" / "index.html").read_text(encoding="utf-8")
    assert not (dest / "posts" / "bad").exists()


# flask import


JEKYLL = {
    "_config.yml": "baseurl: /blog\n",
    "_posts/2018-06-24-attention.md": "---\ntitle: Attention\n---\nText $$x$$.\n",
    "about.md": "---\ntitle: About\nlayout: page\n---\nMe.\n",
}
HUGO = {
    "hugo.toml": 'baseURL = "https://example.org/"\n',
    "content/posts/first.md": "+++\ntitle = 'First'\ndate = 2024-03-01\n+++\nText.\n",
    "content/posts/bundle/index.md": "---\ntitle: Bundle\ndate: 2024-03-02\n---\n![Picture](pic.svg)\n",
    "content/posts/bundle/pic.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"/>',
}


@pytest.mark.parametrize("engine, files, written", [
    ("jekyll", JEKYLL, {"posts/2018-06-24-attention.md": "_posts/2018-06-24-attention.md",
                        "pages/about.md": "about.md"}),
    ("hugo", HUGO, {"posts/bundle/index.md": "content/posts/bundle/index.md",
                    "posts/first.md": "content/posts/first.md"}),
])
def test_import_dry_run_writes_nothing(runner, site_dir, tmp_path_factory, engine, files, written):
    source = tmp_path_factory.mktemp(engine)
    for rel, text in files.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(text, encoding="utf-8")
    before = tree(site_dir)
    dry = runner.invoke(args=["import", engine, str(source), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert tree(site_dir) == before
    lines = dry.output.splitlines()
    assert lines[:-1] == [f"would write {rel} from {src}" for rel, src in written.items()]
    assert lines[-1].startswith(f"Dry run, nothing written: {sum(r.startswith('posts/') for r in written)} posts, ")
    # The same import for real writes exactly those files; a dry run over them, even with --force, still writes none.
    wet = runner.invoke(args=["import", engine, str(source)])
    assert wet.exit_code == 0, wet.output
    assert [line for line in wet.output.splitlines() if line.startswith("wrote ")] == [
        f"wrote {rel} from {src}" for rel, src in written.items()]
    imported = tree(site_dir)
    assert {rel for rel in set(imported) - set(before) if rel.endswith(".md")} == set(written)
    again = runner.invoke(args=["import", engine, str(source), "--dry-run", "--force"])
    assert [line for line in again.output.splitlines() if line.startswith("would ")] == [
        f"would replace {rel} from {src}" for rel, src in written.items()]
    assert tree(site_dir) == imported


# --help and README


OPTIONS = {
    ("check",): ["--format"],
    ("freeze",): ["--dest", "--base-url", "--drafts", "--jobs", "--serve", "--port", "--ignore-errors"],
    ("import", "jekyll"): ["--force", "--dry-run", "--site-url"],
    ("import", "hugo"): ["--force", "--dry-run", "--site-url"],
}


@pytest.mark.parametrize("command", OPTIONS, ids=" ".join)
def test_help_lists_every_option_of_a_command(runner, command):
    result = runner.invoke(args=[*command, "--help"])
    assert result.exit_code == 0
    assert re.findall(r"^  (--[a-z-]+)", result.output, re.MULTILINE) == [*OPTIONS[command], "--help"]


def test_import_help_lists_both_importers(runner):
    result = runner.invoke(args=["import", "--help"])
    assert result.exit_code == 0
    assert re.findall(r"^  (\w+)\s+Import", result.output, re.MULTILINE) == ["hugo", "jekyll"]


def test_readme_names_every_option():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    missing = [f"flask {' '.join(c)} {o}" for c, options in OPTIONS.items() for o in options if o not in readme]
    assert missing == []


# The real entry point: python -m flask, as a shell runs it


def test_python_m_flask_has_the_quire_commands(site_dir):
    result = flask(site_dir, "--help")
    assert result.returncode == 0, result.stderr
    commands = dict(re.findall(r"^  (\w+)\s+(.+)$", result.stdout.split("Commands:")[1], re.MULTILINE))
    assert commands["check"].startswith("Lint the site")
    assert commands["freeze"].startswith("Write the whole site as static files")
    assert commands["import"].startswith("Import posts and pages from Jekyll or Hugo")


def test_python_m_flask_check_exit_codes_and_json_alone_on_stdout(builder, site_dir):
    builder.post("good")
    clean = flask(site_dir, "check", "--format", "json")
    assert (clean.returncode, json.loads(clean.stdout), clean.stderr) == (0, [], "")
    builder.file("posts/bad.md", "no front matter\n")
    broken = flask(site_dir, "check", "--format", "json")
    assert (broken.returncode, broken.stderr) == (1, "")
    assert json.loads(broken.stdout) == [{"path": "posts/bad.md", "line": 1, "level": "error", "message": BAD_FRONT}]
    text = flask(site_dir, "check")
    assert text.returncode == 1 and text.stdout.splitlines()[-1] == "1 error, 0 warnings in 1 file"


def test_python_m_flask_freeze_summary_on_stdout_errors_on_stderr(builder, site_dir, tmp_path):
    builder.post("good")
    dest = tmp_path / "out"
    done = flask(site_dir, "freeze", "--dest", str(dest))
    assert done.returncode == 0 and done.stderr == ""
    assert SUMMARY.fullmatch(done.stdout.strip())[4] == str(dest)
    builder.file("posts/bad.md", "no front matter\n")
    failed = flask(site_dir, "freeze", "--dest", str(dest))
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.splitlines()[0] == f"posts/bad.md:1: error: {BAD_FRONT}"
    assert failed.stderr.splitlines()[-1] == f"freeze failed: {dest} was left as it was"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    """GET a loopback URL (never through a proxy); return the status and the body."""
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_freeze_as_a_process_of_its_own_says_everything_and_leaves_nothing_half_done(builder, site_dir, tmp_path):
    # The real command ends its process at once after writing (skipping the interpreter's teardown): what it
    # printed must still arrive, through pipes, and the output and the cache must be whole.
    for n in range(3):
        builder.post(f"p{n}", title=f"Post {n}", tags="[shared]")
    dest = tmp_path / "out"
    for _ in range(2):  # a cold freeze, then a re-freeze that carries pages over
        result = subprocess.run([sys.executable, "-m", "flask", "freeze", "--dest", str(dest)],
                                env=dict(flask_env(site_dir), QUIRE_CACHE_DIR=str(tmp_path / "cache")),
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Froze 20 pages") and result.stdout.endswith(f"into {dest}\n")
    assert "rendered, the others unchanged)" in result.stdout
    assert (dest / "posts/p2/index.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")) == [".out.lock", ".out.previous"]
    assert list((tmp_path / "cache").glob("*/*.pickle"))


@pytest.mark.parametrize("setup, ends", [
    ("", True),  # the `flask` command's own process: ends there
    ("sys.stdout = io.StringIO()", False),  # a script that took one of the streams
    ("sys.stderr = io.StringIO()", False),
    ("threading.Thread(target=time.sleep, args=(2,)).start()", False),  # another thread still has work
])
def test_the_process_ends_at_once_only_when_it_is_the_commands_own(setup, ends):
    script = "\n".join(["import io, sys, threading, time", "from quire.cli import _exit_at_once", setup,
                        "print('written before', file=sys.__stdout__)", "_exit_at_once()",
                        "print('returned', file=sys.__stdout__)"])
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "written before\n" + ("" if ends else "returned\n")


def test_freeze_serve_previews_the_output_under_the_base_path(builder, site_dir, tmp_path):
    builder.post("a", title="Alpha")
    port = free_port()
    dest = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "freeze", "--dest", str(dest), "--base-url", "https://example.org/blog/",
         "--serve", "--port", str(port)],
        env=flask_env(site_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A suite started in the background by a shell ignores Ctrl+C, and so would the server: give it back.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, home = fetch(base + "/blog/")
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
                time.sleep(0.1)
        assert status == 200 and "Alpha" in home
        assert fetch(base + "/blog/posts/a/")[0] == 200
        # Only the base path is the site, as where it is published: a link that misses it fails here too.
        assert fetch(base + "/posts/a/")[0] == 404
        assert fetch(base + "/")[0] == 404
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl+C
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, err
    assert out.splitlines()[-1] == f"Serving {dest} at {base}/blog/ (Ctrl+C stops)"
