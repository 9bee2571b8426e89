"""Make the generated benchmark corpus speak like a real blog: a vocabulary that grows as Lil'Log's does.

    python bench/realistic_corpus.py OUTDIR --posts 1000 [--seed 1]

`../shared/bench/gen_corpus.py` draws its prose from a few hundred words, which flatters any search index. This
script runs it (plain flavour) into OUTDIR, fits Heaps' law V = K * n^beta (distinct terms V after n indexed
words) on the Lil'Log posts in `../shared/corpus/jekyll-lillog`, then walks the generated posts from the newest
(post 0) on and replaces prose words with deterministic made-up rare words: a new one whenever the corpus has
fewer distinct terms than K * n^beta, else (with probability --reuse) one seen before, drawn so that a few recur
often and most rarely (P(rank r) ~ 1/r), as words in real text do. Post i depends only on posts 0..i, so the
1,000-post corpus is still the first 1,000 posts of the 3,000-post one. Code, math, links and front matter are
left alone. It prints K, beta and the vocabulary reached. Standard library plus Quire (for its tokenizer and
Markdown), run from the project root.
"""

import argparse
import math
import random
import re
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"
GENERATOR = SHARED / "bench" / "gen_corpus.py"
LILLOG = SHARED / "corpus" / "jekyll-lillog" / "_posts"
sys.path.insert(0, str(PROJECT))

from quire.markdown import render_markdown  # noqa: E402 - the project is put on the path first
from quire.terms import STOP_WORDS, tokenize  # noqa: E402

# Parts of a line that are not prose: inline math, code spans, link targets, footnote marks, HTML tags.
NOT_PROSE = re.compile(r"\$[^$]*\$|`[^`]*`|\]\([^)]*\)|\[\^[^\]]*\]|<[^>]*>|https?://\S+")
WORD = re.compile(r"[A-Za-z]{4,}")
ONSETS = "b c d f g h j k l m n p r s t v w z br cr dr fl gr kl pl pr st str th tr sk sp ch sh qu vr".split()  # noqa: SIM905
VOWELS = ["a", "e", "i", "o", "u", "y", "ai", "ea", "io", "ou", "ei"]
CODAS = [""] * 6 + ["n", "r", "s", "l", "m", "x", "t", "nd", "rt", "st", "ng"]


def body_of(text: str) -> str:
    """Return a Markdown file's text after its front matter."""
    return text.split("---", 2)[2] if text.startswith("---") else text


def heaps_points(texts: list[str]) -> list[tuple[int, int]]:
    """Return (words read, distinct terms) every 500 indexed words through the texts in turn."""
    seen, n, points = set(), 0, []
    for text in texts:
        for word in tokenize(render_markdown(text).search_text):
            if word in STOP_WORDS:
                continue
            n += 1
            seen.add(word)
            if n % 500 == 0:
                points.append((n, len(seen)))
    return points


def fit_heaps(points: list[tuple[int, int]]) -> tuple[float, float]:
    """Least-squares fit of log V = log K + beta * log n; return (K, beta)."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(v) for _, v in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    beta = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return math.exp(my - beta * mx), beta


def lillog_heaps() -> tuple[float, float, int, int]:
    """Fit Heaps' law on the Lil'Log posts in date order; return (K, beta, words, distinct terms)."""
    if not LILLOG.is_dir():
        sys.exit(f"{LILLOG}: error: the Lil'Log corpus is missing (../shared/corpus beside the project)")
    texts = [body_of(p.read_text(encoding="utf-8")) for p in sorted(LILLOG.glob("*.md"))]
    points = heaps_points(texts)
    k, beta = fit_heaps(points)
    return k, beta, *points[-1]


def rare_word(number: int, taken: set[str]) -> str:
    """Return the made-up word number `number`: pronounceable, 4 to 14 letters, not in `taken`."""
    for attempt in range(1000):
        r = random.Random(f"rare-{number}-{attempt}")
        word = "".join(r.choice(ONSETS) + r.choice(VOWELS) + r.choice(CODAS) for _ in range(r.choice((2, 2, 3, 3, 4))))
        if 4 <= len(word) <= 14 and word not in taken:
            return word
    raise RuntimeError(f"no free made-up word for number {number}")


class Rewriter:
    """Replaces prose words so that distinct terms follow K * n^beta over the words read so far."""

    def __init__(self, k: float, beta: float, reuse: float):
        self.k, self.beta, self.reuse = k, beta, reuse
        self.n = 0
        self.seen: set[str] = set()
        self.rare: list[str] = []

    def word(self, match: re.Match, r: random.Random) -> str:
        original = match.group(0)
        lower = original.lower()
        if lower in STOP_WORDS:
            return original
        self.n += 1
        if len(self.seen) < self.k * self.n ** self.beta:
            new = rare_word(len(self.rare), self.seen)
            self.rare.append(new)
        elif self.rare and r.random() < self.reuse:
            # Log-uniform rank: P(r) ~ 1/r, so a few made-up words recur often and most are rare.
            new = self.rare[min(len(self.rare) - 1, int(math.exp(r.random() * math.log(len(self.rare) + 1))) - 1)]
        else:
            self.seen.add(lower)
            return original
        self.seen.add(new)
        return new.capitalize() if original[0].isupper() else new

    def keep(self, text: str) -> None:
        """Count the indexed words of text left as it is (code, words the rewriter does not touch)."""
        for word in tokenize(text):
            if word not in STOP_WORDS:
                self.n += 1
                self.seen.add(word)

    def prose(self, text: str, r: random.Random) -> str:
        """Rewrite the words of a piece of prose."""
        self.keep(WORD.sub(" ", text))  # short words, digits, other scripts: indexed too
        return WORD.sub(lambda m: self.word(m, r), text)

    def line(self, line: str, r: random.Random) -> str:
        out, last = [], 0
        for m in NOT_PROSE.finditer(line):
            out.append(self.prose(line[last:m.start()], r))
            if m.group(0).startswith("`"):
                self.keep(m.group(0))  # code is indexed, math and link targets are not
            out.append(m.group(0))
            last = m.end()
        out.append(self.prose(line[last:], r))
        return "".join(out)

    def post(self, text: str, seed: str) -> str:
        """Rewrite one post's body, leaving its front matter, code and math blocks alone."""
        front, body = text.split("\n---\n", 1)
        r = random.Random(seed)
        lines, fenced, math_block = [], False, False
        for line in body.split("\n"):
            stripped = line.strip()
            if stripped.startswith("```"):
                fenced = not fenced
            elif fenced:
                self.keep(line)
            elif stripped == "$$":
                math_block = not math_block
            elif not (math_block or stripped.startswith(("|", "![", "<", "[^"))):
                line = self.line(line, r)
            lines.append(line)
        return front + "\n---\n" + "\n".join(lines)


def post_date(path: Path) -> str:
    match = re.search(r"^date: (\S+)", path.read_text(encoding="utf-8"), re.MULTILINE)
    return match.group(1) if match else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--posts", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", type=float, default=0.04,
                        help="share of other prose words replaced by a made-up word seen before (default 0.04)")
    args = parser.parse_args()
    k, beta, words, distinct = lillog_heaps()
    print(f"Heaps' law on Lil'Log ({words} indexed words, {distinct} distinct terms): V = {k:.2f} * n^{beta:.3f}")
    subprocess.run([sys.executable, str(GENERATOR), str(args.outdir), "--posts", str(args.posts),
                    "--seed", str(args.seed), "--flavor", "plain"], check=True)
    posts = sorted((args.outdir / "posts").glob("*.md"), key=lambda p: (post_date(p), p.name), reverse=True)
    rewriter = Rewriter(k, beta, args.reuse)
    for number, path in enumerate(posts):
        text = path.read_text(encoding="utf-8")
        path.write_text(rewriter.post(text, f"{args.seed}-{number}"), encoding="utf-8", newline="\n")
    site = args.outdir / "site.toml"
    if not site.exists():
        site.write_text('title = "Bench"\ntimezone = "UTC"\n', encoding="utf-8")
    print(f"{len(posts)} posts: {rewriter.n} prose words read, {len(rewriter.rare)} made-up words, "
          f"{len(rewriter.seen)} distinct prose terms (Heaps' target at n = {rewriter.n}: "
          f"{k * rewriter.n ** beta:.0f})")


if __name__ == "__main__":
    main()
