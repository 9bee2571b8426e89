"""The content store: files changing while read, unreadable files and folders, one file's failure kept to itself."""

import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import textwrap
import threading

import pytest

from conftest import PROJECT


def test_a_read_that_sees_the_file_change_reads_again(builder, client, monkeypatch):
    path = builder.post("a", title="A", body="First version.")
    assert "First version." in client.get("/posts/a/").get_data(as_text=True)
    builder.post("a", title="A", body="Second version, saved in place.")
    real = pathlib.Path.read_bytes
    calls = []

    def read_mid_save(self):
        calls.append(self)
        if self == path and len(calls) == 1:
            return b""  # the read fell between the editor's truncate and its write
        return real(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_mid_save)
    response = client.get("/posts/a/")
    assert response.status_code == 200 and "Second version, saved in place." in response.get_data(as_text=True)
    assert calls.count(path) == 2


def test_a_file_read_between_truncate_and_write_is_read_again(builder, client):
    path = builder.post("a", title="A", body="First version.")
    assert "First version." in client.get("/posts/a/").get_data(as_text=True)
    text = path.read_bytes().replace(b"First", b"Second")
    path.write_bytes(b"")  # the editor has truncated the file; its write follows a moment later
    writer = threading.Timer(0.01, path.write_bytes, [text])
    writer.start()
    try:
        response = client.get("/posts/a/")
    finally:
        writer.join()
    assert response.status_code == 200 and "Second version." in response.get_data(as_text=True)


def test_a_file_that_keeps_changing_is_reported_after_one_retry(builder, client, monkeypatch):
    builder.post("a", title="A", body="Text.")
    builder.post("b", title="B")
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self: b"---\ntitle: half")
    response = client.get("/posts/a/")
    assert response.status_code == 500 and "never closed" in response.get_data(as_text=True)


def test_one_files_unexpected_failure_stays_its_own(builder, client, monkeypatch):
    from quire import content
    real = content.render_markdown

    def render(body, **kwargs):
        if "BOOM" in body:
            raise ZeroDivisionError("division by zero")
        return real(body, **kwargs)

    monkeypatch.setattr(content, "render_markdown", render)
    builder.post("bad", title="Bad", body="BOOM")
    builder.post("good", title="Good")
    assert client.get("/").status_code == 200 and client.get("/posts/good/").status_code == 200
    page = client.get("/posts/bad/")
    assert page.status_code == 500
    assert "<code>posts/bad.md</code>" in page.get_data(as_text=True)
    assert "Quire failed on this file (ZeroDivisionError: division by zero)" in page.get_data(as_text=True)


@pytest.mark.parametrize("size", ['width="Infinity" height="10"', 'width="1e400" height="5"', 'width="NaN" height="5"',
                                  'width="-4" height="5"', 'viewBox="0 0 inf 10"'])
def test_an_absurd_svg_size_leaves_the_image_unsized(builder, client, runner, size):
    builder.file("posts/b/index.md", "---\ntitle: B\ndate: 2024-01-01\n---\n![s](s.svg)\n")
    builder.file("posts/b/s.svg", f'<svg xmlns="http://www.w3.org/2000/svg" {size}/>')
    builder.post("good", title="Good")
    assert client.get("/").status_code == 200
    page = client.get("/posts/b/").get_data(as_text=True)
    assert '<img src="s.svg" alt="s" loading="lazy"' in page and "width=" not in page.split('src="s.svg"')[1][:40]
    assert runner.invoke(args=["check"]).exit_code == 0


def run_with_unreadable(paths: list[pathlib.Path], code: str) -> str:
    """Run Python code in a child process while paths are unreadable (as root: without the power to read
    them anyway); return its output. Skip where permissions cannot apply."""
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(textwrap.dedent(code))}"
    if os.geteuid() != 0:
        argv = ["sh", "-c", command]
    elif shutil.which("capsh"):
        argv = ["capsh", "--drop=cap_dac_override,cap_dac_read_search", "--", "-c", command]
    else:
        pytest.skip("running as root without capsh: permissions cannot be tested")
    modes = {path: path.stat().st_mode for path in paths}
    for path in paths:
        os.chmod(path, 0)
    try:
        result = subprocess.run(argv, capture_output=True, text=True, cwd=PROJECT, timeout=120,
                                env=dict(os.environ, QUIRE_CACHE_DIR="off"))
    finally:
        for path, mode in modes.items():
            os.chmod(path, mode)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_unreadable_folders_and_images_are_one_files_error(builder, site_dir):
    builder.post("good", title="Good")
    builder.file("posts/b/index.md", "---\ntitle: B\ndate: 2024-01-01\n---\n![i](i.png)\n")
    builder.file("posts/b/i.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    builder.file("posts/c/index.md", "---\ntitle: C\ndate: 2024-01-01\n---\nText.\n")
    output = run_with_unreadable([site_dir / "posts/c", site_dir / "posts/b/i.png"], f"""
        from quire import create_app
        app = create_app({str(site_dir)!r}, config={{"TESTING": True}})
        client = app.test_client()
        for url in ("/", "/posts/good/", "/posts/b/", "/posts/c/", "/posts/b/i.png"):
            print(url, client.get(url).status_code)
        check = app.test_cli_runner().invoke(args=["check"])
        print("check", check.exit_code, check.output)
    """)
    assert output.splitlines()[:5] == ["/ 200", "/posts/good/ 200", "/posts/b/ 200", "/posts/c/ 500",
                                       "/posts/b/i.png 403"], output
    assert "posts/c/index.md: error: cannot read the file: Permission denied" in output


def test_an_unreadable_bundle_file_is_a_clear_freeze_error(builder, site_dir, tmp_path):
    builder.file("posts/b/index.md", "---\ntitle: B\ndate: 2024-01-01\n---\n![i](i.png)\n")
    builder.file("posts/b/i.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    output = run_with_unreadable([site_dir / "posts/b/i.png"], f"""
        from quire import create_app
        result = create_app({str(site_dir)!r}).test_cli_runner().invoke(
            args=["freeze", "--dest", {str(tmp_path / "out")!r}, "--jobs", "1"])
        print(result.exit_code, result.output, repr(result.exception))
    """)
    assert output.startswith("1 error: cannot write posts/b/i.png from "), output
    assert "Permission denied" in output and "Traceback" not in output
    assert not (tmp_path / "out").exists()
