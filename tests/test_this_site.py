"""The site in this repository, whatever its content: it loads, checks clean, freezes with no broken links, deploys.

These tests hold for anyone's blog: delete the example posts, write your own, change site.toml, and they still
pass. Tests of the example content itself use the copy in tests/example_site.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from quire import PROJECT_ROOT, create_app
from quire.freeze import freeze

from conftest import PROJECT
from linkcheck import broken_links

WORKFLOW = PROJECT / ".github" / "workflows" / "deploy.yml"
IN_WALKTHROUGH = "QUIRE_WALKTHROUGH"


def test_settings_load():
    engine = create_app(PROJECT_ROOT).extensions["quire"]
    assert engine.settings_error is None, str(engine.settings_error)
    assert engine.settings["title"] and engine.settings["base_url"].startswith(("http://", "https://"))


def test_check_finds_no_errors():
    result = create_app(PROJECT_ROOT).test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output


def test_freezes_with_no_broken_links(tmp_path):
    app = create_app(PROJECT_ROOT)
    result = freeze(app, tmp_path / "site", jobs=1)
    assert result.pages >= 7 and (tmp_path / "site" / "index.html").is_file()
    assert broken_links(tmp_path / "site", app.extensions["quire"].settings["base_url"]) == []


def deploy_steps() -> list[str]:
    """Return the shell commands of the deploy workflow's build job, in order."""
    steps = re.findall(r"^\s+run: (.+)$", WORKFLOW.read_text(), re.MULTILINE)
    assert steps, "the workflow has no run steps"
    return steps


OWN_POST = """\
---
title: "My first post"
date: 2024-06-01
tags: [notes]
---

Hello from my own blog, with math $e^{i\\pi} + 1 = 0$ and [a link to the archive](/archives/).
"""


@pytest.mark.skipif(os.environ.get(IN_WALKTHROUGH) == "1", reason="already inside the walk-through")
def test_start_your_own_blog_walkthrough(tmp_path):
    """Follow README's "Start your own blog" in a copy: replace all content, then test, check, freeze, deploy."""
    copy = tmp_path / "myblog"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=PROJECT,
                           capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        if (PROJECT / rel).is_file():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / rel, copy / rel)
    for folder in ("posts", "pages"):
        shutil.rmtree(copy / folder)
        (copy / folder).mkdir()
    (copy / "posts" / "2024-06-01-my-first-post.md").write_text(OWN_POST, encoding="utf-8")
    (copy / "pages" / "about.md").write_text("---\ntitle: About me\n---\n\nI write here.\n", encoding="utf-8")
    (copy / "site.toml").write_text(textwrap.dedent("""\
        title = "Ada's Notes"
        author = "Ada Lovelace"
        base_url = "https://ada.example.net/notes/"
        menu = [
          { name = "Archive", url = "/archives/" },
          { name = "About", url = "/about/" },
        ]
        """), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(copy), QUIRE_CACHE_DIR="off", **{IN_WALKTHROUGH: "1"})
    env.pop("QUIRE_SITE", None)
    env.pop("FLASK_APP", None)

    def run(*command: str) -> subprocess.CompletedProcess:
        result = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
        return result

    tests = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_this_site.py")
    assert "passed" in tests.stdout and "failed" not in tests.stdout
    for step in deploy_steps():
        if step.startswith("pip install"):
            continue  # the package is installed already (and must stay installed from this checkout)
        run("bash", "-c", step.replace("${{ steps.pages.outputs.base_url }}", "https://ada.example.net/notes"))
    home = (copy / "build" / "index.html").read_text(encoding="utf-8")
    assert "Ada&#39;s Notes" in home and "My first post" in home and "/notes/about/" in home
    assert (copy / "build" / "about" / "index.html").is_file()
    assert broken_links(copy / "build", "https://ada.example.net/notes/") == []
