"""Mutation testing outside mutmut's trampolines: one module's mutants, each against the tests that cover it.

    python tests/mutation.py quire/freeze.py [--jobs 2] [--budget 10] [--names FILE] [--map]

The mutants are mutmut's own (`mutmut show NAME` names the same change). The first run records which test runs
which line of the module (coverage contexts over the suite without the browser tests, a few minutes; --map
records it again). Then each mutant goes into a copy of the project and `pytest -x` runs the tests that cover
its changed lines: first those that killed its function's other mutants, then the fastest, until their
recorded time passes --budget seconds (0: every covering test). A survivor of a budget is worth a second run
with --budget 0 before it is read. Results go to mutants-outside/MODULE.txt, one line per mutant: its name,
pytest's exit status (1 killed, 0 survived, timeout, nocov: no test runs the line) and the test that killed it.
A second run skips the mutants already there.
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from difflib import unified_diff
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
OUT = PROJECT / "mutants-outside"
SKIP = ["--ignore-glob=tests/test_browser*.py",
        "--deselect=tests/test_freeze.py::test_killed_freeze_leaves_previous_output",
        "--deselect=tests/test_this_site.py::test_start_your_own_blog_walkthrough",
        "--deselect=tests/test_serve.py::test_waitress_serves_under_load_while_posts_are_saved",
        "-k", "not test_pathological_markdown_is_quick"]
IGNORE = shutil.ignore_patterns(".git", ".cache", "mutants", "mutants-outside", ".quire-cache", "__pycache__",
                                ".ruff_cache")


def mutant_diffs(module: str) -> dict[str, str]:
    """Return mutmut's mutants of a module, by name, as the unified diff of the function each changes."""
    import libcst
    from mutmut.mutation.diff_apply import read_mutant_function, read_original_function
    from mutmut.mutation.file_mutation import mutate_file_contents
    from mutmut.utils.format_utils import get_mutant_name

    mutated = mutate_file_contents(module, (PROJECT / module).read_text())
    tree = libcst.parse_module(mutated.code)
    diffs = {}
    for short in mutated.mutant_names:
        name = get_mutant_name(Path(module), short)
        old, new = (libcst.Module([f]).code.strip().split("\n")
                    for f in (read_original_function(tree, name), read_mutant_function(tree, name)))
        diffs[name] = "\n".join(unified_diff(old, new, module, module, lineterm=""))
    return diffs


def apply(diff: str, source: str) -> tuple[str, list[int]] | None:
    """Put a function's diff into the module's source (a method is indented); return it and the changed lines."""
    old, new, changed = [], [], []
    for line in diff.splitlines()[3:]:
        tag, body = line[:1], line[1:]
        if tag in (" ", ""):
            old.append(body)
            new.append(body)
        elif tag == "-":
            changed.append(len(old))
            old.append(body)
        else:
            new.append(body)
    # Less and less context around the change, when the whole hunk is not found: a method's docstring keeps its
    # own indentation in mutmut's copy of the function, so a hunk that holds one never matches.
    lead = next((i for i, line in enumerate(old) if i in changed), len(old))
    trail = len(old) - 1 - max(changed, default=len(old) - 1)
    for cut in range(max(lead, trail) + 1):
        start, end = min(cut, lead), min(cut, trail)
        sub_old, sub_new = old[start:len(old) - end], new[start:len(new) - end]
        for indent in ("", "    ", "        "):
            before = "\n".join(indent + line if line else line for line in sub_old) + "\n"
            after = "\n".join(indent + line if line else line for line in sub_new) + "\n"
            if source.count(before) == 1:
                first = source[:source.index(before)].count("\n") + 1
                return source.replace(before, after), [first + i - start for i in changed]
    return None


class _Contexts:
    """A pytest plugin: each test's lines of the module go under the test's name; each test's time is kept."""

    def __init__(self, module: str, data_file: Path):
        import coverage
        self.cov = coverage.Coverage(data_file=str(data_file), include=[f"*/{module}"])
        self.times: dict[str, float] = {}

    def pytest_sessionstart(self, session):
        self.cov.start()

    def pytest_runtest_protocol(self, item, nextitem):
        self.cov.switch_context(item.nodeid)
        self.started = time.perf_counter()

    def pytest_runtest_logfinish(self, nodeid, location):
        self.times[nodeid] = time.perf_counter() - self.started

    def pytest_sessionfinish(self, session):
        self.cov.stop()
        self.cov.save()


def record_map(module: str, where: Path) -> None:
    """Run the suite once, recording which test runs which line of the module and how long each test takes."""
    import pytest
    plugin = _Contexts(module, where / "coverage.db")
    os.chdir(PROJECT)
    sys.path.insert(0, str(PROJECT))  # as `python -m pytest` has it
    code = pytest.main(["-q", "-p", "no:cacheprovider", "tests/", *SKIP], plugins=[plugin])
    if code not in (0, 1):
        raise SystemExit(f"the suite could not run (pytest exit status {code}): no map recorded")
    (where / "times.json").write_text(json.dumps(plugin.times))


def tests_by_line(module: str, where: Path) -> tuple[dict[int, set[str]], dict[str, float]]:
    from coverage import CoverageData
    data = CoverageData(str(where / "coverage.db"))
    data.read()
    lines = data.contexts_by_lineno(str(PROJECT / module))
    return {n: {t for t in tests if t} for n, tests in lines.items()}, json.loads((where / "times.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", help="the module to mutate, such as quire/freeze.py")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--budget", type=float, default=10.0, help="seconds of recorded test time per mutant")
    parser.add_argument("--names", type=Path, help="a file of the mutant names to run (default: all)")
    parser.add_argument("--map", action="store_true", help="record the tests' lines again")
    args = parser.parse_args()
    where = OUT / Path(args.module).stem
    where.mkdir(parents=True, exist_ok=True)
    if args.map or not (where / "times.json").exists():
        record_map(args.module, where)
    lines, times = tests_by_line(args.module, where)
    diffs = mutant_diffs(args.module)
    wanted = set(args.names.read_text().split()) if args.names else set(diffs)
    results = OUT / f"{Path(args.module).stem}.txt"
    done = {line.split()[0] for line in results.read_text().splitlines()} if results.exists() else set()
    killers: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for line in results.read_text().splitlines() if results.exists() else []:
        name, status, *rest = line.split()
        if status == "1" and len(rest) == 2:
            killers[name.rsplit("__mutmut_", 1)[0]][rest[1]] += 1
    todo = [name for name in sorted(diffs) if name in wanted and name not in done]
    source = (PROJECT / args.module).read_text()
    copies = tempfile.mkdtemp(prefix="quire-mutants-")
    lock = threading.Lock()
    free = [Path(copies) / f"copy{k}" for k in range(args.jobs)]
    for copy in free:
        shutil.copytree(PROJECT, copy, ignore=IGNORE)

    def run(name: str) -> None:
        patched = apply(diffs[name], source)
        function = name.rsplit("__mutmut_", 1)[0]
        chosen: set[str] = set()
        for line in patched[1] if patched else []:
            # Coverage measures a statement on its first line: look up from a continuation line.
            while line > 0 and line not in lines:
                line -= 1
            chosen |= lines.get(line, set())
        with lock:
            known = [t for t, _ in killers[function].most_common(6) if t in chosen]
        ordered = known + sorted(chosen - set(known), key=lambda t: times.get(t, 99))
        tests, total = [], 0.0
        for test in ordered:
            if args.budget and len(tests) >= max(1, len(known)) and total + times.get(test, 99) > args.budget:
                break
            tests.append(test)
            total += times.get(test, 99)
        status, killer = ("nopatch", "") if patched is None else ("nocov", "") if not tests else ("", "")
        if not status:
            with lock:
                copy = free.pop()
            target = copy / args.module
            try:
                target.write_text(patched[0])
                proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                                      cwd=copy, env=dict(os.environ, PYTHONPATH=str(copy)), capture_output=True,
                                      text=True, timeout=120)
                status = str(proc.returncode)
                killer = next((line.split()[1] for line in proc.stdout.splitlines() if line.startswith("FAILED ")), "")
            except subprocess.TimeoutExpired:
                status = "timeout"  # an endless loop: counted as killed
            finally:
                target.write_text(source)
                with lock:
                    free.append(copy)
        with lock:
            if status == "1" and killer:
                killers[function][killer] += 1
            with results.open("a") as f:
                f.write(f"{name} {status} {len(tests)} {killer}".rstrip() + "\n")

    try:
        with ThreadPoolExecutor(args.jobs) as pool:
            list(pool.map(run, todo))
    finally:
        shutil.rmtree(copies, ignore_errors=True)
    statuses = collections.Counter(line.split()[1] for line in results.read_text().splitlines()) \
        if results.exists() else {}
    print(f"{results}: " + ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())))


if __name__ == "__main__":
    main()
