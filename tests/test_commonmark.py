"""CommonMark conformance: the spec's 655 examples through Quire's renderer with its extensions off."""

import importlib.util
import re
import warnings
from pathlib import Path

import mistune
import pytest

from quire.markdown import render_markdown

from conftest import SHARED

SPEC_DIR = SHARED / "reference" / "commonmark"
KNOWN_FAILURES = Path(__file__).with_name("commonmark_known_failures.txt")
FENCE = "`" * 32
MISSING = f"the CommonMark spec is not at {SPEC_DIR} (../shared/reference beside the project)"


def spec_examples() -> list[tuple[int, str, str, str]]:
    """Read (number, section, Markdown, HTML) of every example in spec.txt; `→` stands for a tab."""
    examples, section, lines = [], "", (SPEC_DIR / "spec.txt").read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        heading = re.match(r"#{1,6} (.*)", lines[i])
        section = heading.group(1) if heading else section
        if lines[i] == FENCE + " example":
            dot = lines.index(".", i + 1)
            end = lines.index(FENCE, dot + 1)
            markdown, html = "\n".join(lines[i + 1:dot]) + "\n", "\n".join(lines[dot + 1:end])
            examples.append((len(examples) + 1, section, markdown.replace("→", "\t"),
                             (html + "\n" if html else "").replace("→", "\t")))
            i = end
        i += 1
    return examples


def load_normalizer():
    """Import the spec's normalize_html; the file's old escapes raise SyntaxWarning, which is not ours."""
    spec = importlib.util.spec_from_file_location("commonmark_normalize", SPEC_DIR / "normalize.py")
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec.loader.exec_module(module)
    return module.normalize_html


def known_failures() -> dict[int, str]:
    """Read the known failures: `number  # why` a line."""
    found = {}
    for line in KNOWN_FAILURES.read_text(encoding="utf-8").splitlines():
        number, _, why = line.partition("#")
        if number.strip():
            found[int(number)] = why.strip()
    return found


def strip_decorations(html: str) -> str:
    """Remove only what Quire adds to CommonMark's HTML: heading ids and anchors, the code-block wrapper and
    its highlighting, and images' loading and decoding attributes."""
    html = re.sub(r'<a class="anchor" href="#[^"]*" aria-label="Link to this section">#</a>(</h[1-6]>)', r"\1",
                  html)
    html = re.sub(r'(<h[1-6]) id="[^"]*"', r"\1", html)
    html = re.sub(r' loading="lazy" decoding="async"', "", html)

    def code(m: re.Match) -> str:
        return f"<pre><code{m.group(1)}>{re.sub(r'</?span[^>]*>', '', m.group(2))}</code></pre>"

    return re.sub(r'<div class="code-block"><pre class="highlight"><code([^>]*)>(.*?)</code></pre></div>', code,
                  html, flags=re.DOTALL)


def commonmark_html(markdown: str) -> str:
    return strip_decorations(render_markdown(markdown, smart_punctuation=False, extensions=False).html)


EXAMPLES = spec_examples() if (SPEC_DIR / "spec.txt").is_file() else []
PARAMS = [pytest.param(*e, id=f"example-{e[0]}") for e in EXAMPLES] or [
    pytest.param(0, "", "", "", marks=pytest.mark.skip(reason=MISSING))]


@pytest.fixture(scope="module")
def normalize():
    if not EXAMPLES:
        pytest.skip(MISSING)
    return load_normalizer()


@pytest.mark.parametrize("number, section, markdown, expected", PARAMS)
def test_example(normalize, number, section, markdown, expected):
    passes = normalize(commonmark_html(markdown)) == normalize(expected)
    known = known_failures()
    if number in known:
        assert not passes, f"example {number} ({section}) passes now: remove it from {KNOWN_FAILURES.name}"
    else:
        assert passes, (f"example {number} ({section}) fails:\n{markdown}\nexpected:\n{expected}\ngot:\n"
                        f"{commonmark_html(markdown)}")


def test_known_failures_are_few_and_no_worse_than_plain_mistune(normalize):
    known = known_failures()
    assert len(known) <= 15 and len(EXAMPLES) == 655
    plain = mistune.create_markdown(escape=False)
    by_number = {e[0]: e for e in EXAMPLES}
    for number in known:
        _, section, markdown, expected = by_number[number]
        assert normalize(plain(markdown)) != normalize(expected), f"plain mistune passes example {number}"


def test_the_decorations_stripped_are_only_quires():
    html = render_markdown("## A *b*\n\n```python\nx = 1\n```\n\n![i](i.png)\n", extensions=False).html
    assert strip_decorations(html) == ('<h2>A <em>b</em></h2>\n<pre><code class="language-python">x = 1\n'
                                       '</code></pre>\n<p><img src="i.png" alt="i"></p>\n')
