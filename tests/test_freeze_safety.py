"""Freeze under stress: a lock per destination, a verified tree, workers that die with the freeze, no nesting."""

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quire import PROJECT_ROOT


def freeze(runner, dest, *args):
    result = runner.invoke(args=["freeze", "--dest", str(dest), *args])
    return result.exit_code, result.output


def many_posts(site_dir: Path, count: int, body: str = "Words $x$ here.\n\n" * 100) -> None:
    for i in range(count):
        (site_dir / "posts" / f"p{i}.md").write_text(
            f"---\ntitle: P{i}\ndate: 2024-01-01\ntags: [t{i % 5}]\n---\n" + body)


def flask_freeze(site_dir: Path, dest: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", str(PROJECT_ROOT / "app.py"), "freeze", "--dest", str(dest), *args]


def env_for(site_dir: Path) -> dict:
    return dict(os.environ, QUIRE_SITE=str(site_dir), QUIRE_CACHE_DIR="off")


def test_a_freeze_refuses_a_destination_another_freeze_holds(builder, runner, tmp_path):
    builder.post("a", title="A")
    dest = tmp_path / "out"
    with open(tmp_path / ".out.lock", "a+") as held:  # what a running freeze holds
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242")
        held.flush()
        code, output = freeze(runner, dest)
    assert code == 1 and f"another `flask freeze` (pid 4242) is writing {dest}: wait for it to finish" in output
    assert not dest.exists()
    assert freeze(runner, dest)[0] == 0 and (dest / "posts/a/index.html").is_file()


def test_two_freezes_at_once_never_publish_a_truncated_site(site_dir, tmp_path):
    many_posts(site_dir, 500, "Short.\n")  # many pages, quick to render: the writing takes seconds
    dest = tmp_path / "out"
    procs = [subprocess.Popen(flask_freeze(site_dir, dest, "--jobs", "1"), env=env_for(site_dir), text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)]
    deadline = time.monotonic() + 120  # start the second once the first is writing its pages
    while time.monotonic() < deadline and procs[0].poll() is None and not any(
            len(list(work.rglob("*.html"))) > 10 for work in tmp_path.glob(".out.*.tmp")):
        time.sleep(0.01)
    assert procs[0].poll() is None, "the first freeze ended before the second started"
    procs.append(subprocess.Popen(flask_freeze(site_dir, dest, "--jobs", "1"), env=env_for(site_dir), text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    final = sum(1 for p in dest.rglob("*") if p.is_file())
    for proc, output in zip(procs, outputs, strict=True):
        if proc.returncode == 0:
            assert f", {final} files," in output, (output, final)  # what it reported is what is there
        else:
            assert "another `flask freeze`" in output and "is writing" in output, output
    assert any(p.returncode == 0 for p in procs)
    assert len(list(dest.glob("posts/*/index.html"))) == 500 and (dest / "index.html").is_file()


def test_an_incomplete_build_is_never_swapped_in(builder, app, tmp_path, monkeypatch):
    from quire import freeze as freezing
    builder.post("a", title="A")
    dest = tmp_path / "out"
    freezing.freeze(app, dest, jobs=1)
    before = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*"))
    real = freezing._render

    def render_then_lose_a_file(app, work, *args, **kwargs):
        result = real(app, work, *args, **kwargs)
        (work / "posts/a/index.html").unlink()  # as another process deleting the work folder would
        (work / "tags/index.html").unlink()
        return result

    monkeypatch.setattr(freezing, "_render", render_then_lose_a_file)
    with pytest.raises(freezing.FreezeError) as info:
        freezing.freeze(app, dest, jobs=1)
    assert str(info.value) == ("error: the built site is incomplete (2 file(s) missing, first 'posts/a/index.html'): "
                               "something removed them while the freeze ran")
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def children(pid: int) -> list[int]:
    """List the live (not zombie) child processes of pid."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def writing(folder: Path) -> bool:
    """Tell whether a freeze has begun writing pages into its work folder beside folder/out."""
    return any(p.name.endswith(".tmp") and any(p.rglob("index.html")) for p in folder.iterdir())


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to find the workers")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_a_killed_freeze(site_dir, tmp_path, sig):
    many_posts(site_dir, 400)
    proc = subprocess.Popen(flask_freeze(site_dir, tmp_path / "out", "--jobs", "2"), env=env_for(site_dir),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline, workers = time.monotonic() + 120, []
    # The freeze's own workers, not the ones that read the posts first: wait until pages are being written.
    while time.monotonic() < deadline and proc.poll() is None and (len(workers) < 2 or not writing(tmp_path)):
        time.sleep(0.02)
        workers = children(proc.pid)
    assert len(workers) >= 2 and proc.poll() is None, "the freeze ended before it had workers"
    proc.send_signal(sig)
    proc.wait()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and any(alive(w) for w in workers):
        time.sleep(0.05)
    survivors = [w for w in workers if alive(w)]
    for worker in survivors:
        os.kill(worker, signal.SIGKILL)
    assert survivors == [], f"{len(survivors)} worker(s) still running 2 s after the freeze was killed"


@pytest.mark.parametrize("where", ["posts/b/out", "posts/b", "pages/out", "static/out", "."])
def test_a_destination_inside_the_site_content_is_refused(builder, runner, site_dir, where):
    builder.file("posts/b/index.md", "---\ntitle: B\ndate: 2024-01-01\n---\nText.\n")
    builder.file("static/x.txt", "x")
    dest = (site_dir / where).resolve()
    files_before = sorted(p for p in site_dir.rglob("*"))
    code, output = freeze(runner, dest)
    assert code == 1, output
    assert ("every freeze would copy the previous output into the next" in output
            or "holds the site itself" in output or "is not empty and was not written by Quire" in output), output
    assert sorted(p for p in site_dir.rglob("*")) == files_before


def test_a_destination_inside_the_engines_own_static_folder_is_refused(builder, app, tmp_path):
    from quire import PROJECT_ROOT
    from quire.freeze import FreezeError
    from quire.freeze import freeze as freeze_site

    builder.post("a", title="A")
    dest = PROJECT_ROOT / "static" / "out"
    with pytest.raises(FreezeError) as info:
        freeze_site(app, dest, jobs=1)
    assert str(info.value) == (f"{dest} is inside {PROJECT_ROOT / 'static'}: every freeze would copy the previous "
                               f"output into the next; choose a --dest outside posts/, pages/ and static/")
    assert not dest.exists()


def test_nested_destinations_never_grow(builder, runner, site_dir):
    builder.file("static/x.txt", "x")
    for _ in range(2):
        code, output = freeze(runner, site_dir / "static" / "out")
        assert code == 1 and "inside" in output
    assert not (site_dir / "static" / "out").exists()


def test_the_render_cache_keeps_only_what_the_last_freeze_used(builder, site_dir, tmp_path, monkeypatch):
    from quire import create_app
    cache = tmp_path / "cache"
    monkeypatch.setenv("QUIRE_CACHE_DIR", str(cache))
    builder.post("a", title="A")
    builder.post("b", title="B")
    dest = tmp_path / "out"
    counts = []
    for i in range(4):
        builder.post("a", title="A", body=f"Edit {i}.")
        result = create_app(site_dir).test_cli_runner().invoke(args=["freeze", "--dest", str(dest), "--jobs", "1"])
        assert result.exit_code == 0, result.output
        counts.append(len(list(cache.glob("*/*.pickle"))))
    # Each post: its rendered HTML and its check findings; the search index, for the next freeze to patch; and
    # where index.json's entries lie, for the next freeze to copy.
    assert counts == [6, 6, 6, 6]  # no growth
    assert "Edit 3." in (dest / "posts/a/index.html").read_text()
