"""Every frozen page of the example site (plus posts using series, diagrams and covers) is valid HTML for the W3C's
Nu Html Checker (npm `vnu-jar`, run with Java)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from quire import create_app
from quire.freeze import freeze

from conftest import PROJECT, post_text

VNU_JAR = PROJECT / ".cache" / "npm" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
EXAMPLE = PROJECT / "tests" / "example_site"

# Posts that use what the example site does not: a series, a Mermaid diagram, a cover and a hostile title.
EXTRA_POSTS = {
    "posts/2024-03-01-series-one.md": post_text("Series <one> & \"two\"", "2024-03-01", """
        A diagram:

        ```mermaid
        graph TD
          A[Start] --> B{"x < y & z"}
        ```
        """, series='"Learning <Diffusion>"', cover="https://img.example.org/c.png", cover_alt='"A <cover>"'),
    "posts/2024-03-02-series-two.md": post_text("Series two", "2024-03-02", "The second part.",
                                                 series='"Learning <Diffusion>"'),
}


def vnu() -> list[str]:
    """Return the command that runs the checker, or skip the test saying what is missing."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("Java is not installed (Debian: apt-get install default-jre-headless); .ci/run installs it")
    if not VNU_JAR.is_file():
        pytest.skip(f"vnu-jar is not at {VNU_JAR}: npm install --prefix .cache/npm vnu-jar (.ci/run does)")
    return [java, "-jar", str(VNU_JAR)]


def test_every_frozen_page_is_valid_html(tmp_path, monkeypatch):
    command = vnu()
    site = tmp_path / "site"
    shutil.copytree(EXAMPLE, site)
    for rel, text in EXTRA_POSTS.items():
        (site / rel).write_text(text, encoding="utf-8")
    monkeypatch.setenv("QUIRE_CACHE_DIR", "off")
    monkeypatch.delenv("QUIRE_DRAFTS", raising=False)
    dest = tmp_path / "build"
    freeze(create_app(site), dest, jobs=1)
    pages = sorted(str(p) for p in dest.rglob("*.html"))
    assert len(pages) > 20
    assert any("/series/" in p for p in pages)
    result = subprocess.run([*command, "--errors-only", "--format", "json", *pages], capture_output=True,
                            text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [f"{Path(m['url']).relative_to(dest.as_uri())}:{m.get('lastLine')}: {m['message']}"
              if m.get("url") else m["message"] for m in messages if m["type"] in ("error", "non-document-error")]
    assert errors == []
