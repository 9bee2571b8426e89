"""The loopback servers the browser tests run on (no browser needed): a dropped connection leaks nothing."""

import gc
import socket
import struct
import threading
import warnings

import pytest
from browser_support import LiveServer, StaticServer

RESETS = 30


def fetch_then_reset(url: str, path: str) -> bytes:
    """Read a whole response, then drop the connection with a reset, as Chromium does when it leaves a page."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, body = data.split(b"\r\n\r\n", 1)
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        while len(body) < length:
            body += sock.recv(65536)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
    return head.split(b"\r\n", 1)[0]


@pytest.mark.parametrize("kind", ["live", "static"])
def test_a_reset_connection_leaves_no_file_open(app, tmp_path, kind):
    # Werkzeug's server closes a response only after draining the request socket, and the drain raises on a reset:
    # the file behind send_from_directory was left to the garbage collector ("unclosed file" ResourceWarning).
    (tmp_path / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    before = set(threading.enumerate())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        server = LiveServer(app) if kind == "live" else StaticServer(tmp_path)
        path = "/static/favicon.svg" if kind == "live" else "/favicon.svg"
        statuses = [fetch_then_reset(server.url, path) for _ in range(RESETS)]
        server.stop()
        for thread in set(threading.enumerate()) - before:
            thread.join(5)
        gc.collect()
    assert statuses == [b"HTTP/1.1 200 OK" if kind == "live" else b"HTTP/1.0 200 OK"] * RESETS
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
