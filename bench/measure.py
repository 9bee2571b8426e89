"""Measure one build process (wall, CPU, memory of its process tree) and a running dev server."""

import http.client
import os
import resource
import socket
import statistics
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

MIB = 1024 * 1024


@dataclass
class Run:
    wall: float  # seconds, perf_counter around spawn .. reap
    cpu: float  # user + sys seconds of the process and every descendant it waited for (wait4)
    peak_mib: float  # ru_maxrss from wait4: the largest peak RSS of any single process in the tree
    sum_peaks_mib: float  # sum of every process's own peak RSS (VmHWM, sampled every 50 ms)
    tree_rss_mib: float  # largest sampled sum of the tree's current RSS (processes alive at once)
    tree_pss_mib: float  # largest sampled sum of the tree's PSS (shared pages split among their sharers)
    processes: int  # processes seen in the tree
    other_cpu: float = 0.0  # CPU seconds the rest of the machine used meanwhile (from /proc/stat)
    html: int = 0  # HTML files in the output folder
    out_bytes: int = 0  # bytes of every file in the output folder

    def as_dict(self) -> dict:
        return asdict(self)


class TreeSampler(threading.Thread):
    """Poll /proc for a process and its descendants: each one's VmHWM, the tree's summed VmRSS and PSS.

    PSS (smaps_rollup, about 1.5 ms per read of a 300 MiB process) is read every fifth poll only.
    """

    def __init__(self, pid: int, interval: float = 0.05, pss_every: int = 5):
        super().__init__(daemon=True)
        self.pid, self.interval, self.pss_every = pid, interval, pss_every
        self.hwm: dict[int, int] = {}  # pid -> largest VmHWM seen, kB
        self.tree_rss = self.tree_pss = 0  # kB
        self.done = threading.Event()

    def run(self) -> None:
        tick = 0
        while not self.done.is_set():
            rss = pss = 0
            for pid in self._tree():
                status = _status(pid)
                if status:
                    self.hwm[pid] = max(self.hwm.get(pid, 0), status.get("VmHWM", 0))
                    rss += status.get("VmRSS", 0)
                    if tick % self.pss_every == 0:
                        pss += _pss(pid)
            self.tree_rss, self.tree_pss = max(self.tree_rss, rss), max(self.tree_pss, pss)
            tick += 1
            self.done.wait(self.interval)

    def _tree(self) -> list[int]:
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        todo.extend(int(c) for c in f.read().split())
            except OSError:
                pass
        return found


def busy_seconds() -> float:
    """Return the CPU seconds the whole machine has been busy since boot (all cores, from /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """Return the CPU seconds (user + sys) a live process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def others_while(pid: int, work, shortest: float = 0.5):
    """Call work(); return its result and the cores the rest of the machine (not pid, not us) used meanwhile.

    The kernel counts CPU time in ticks (10 ms), so for work shorter than `shortest` seconds the figure would
    be noise: it is None then.
    """
    def mine() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    busy, theirs, ours, started = busy_seconds(), process_cpu(pid), mine(), time.perf_counter()
    result = work()
    wall = time.perf_counter() - started
    other = busy_seconds() - busy - (process_cpu(pid) - theirs) - (mine() - ours)
    return result, (max(other, 0.0) / wall if wall >= shortest else None)


def settle(limit: float, busy_cores: float = 0.25) -> float:
    """Wait (up to limit seconds) until the machine is near idle for a second; return the seconds waited."""
    started = time.perf_counter()
    while True:
        before = busy_seconds()
        time.sleep(1)
        if busy_seconds() - before < busy_cores or time.perf_counter() - started >= limit:
            return time.perf_counter() - started


def _status(pid: int) -> dict[str, int]:
    try:
        with open(f"/proc/{pid}/status") as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    return {k: int(v.split()[0]) for k, _, v in (line.partition(":") for line in lines)
            if k in ("VmHWM", "VmRSS")}


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
    except OSError:
        return 0


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
        log: Path | None = None) -> Run:
    """Run cmd to completion as its own process; raise RuntimeError with the log's tail if it fails."""
    with open(log or os.devnull, "wb") as out:
        busy = busy_seconds()
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        busy = busy_seconds() - busy
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.done.set()
        sampler.join()
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log else ""
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited with {proc.returncode}\n{tail}")
    peak = usage.ru_maxrss / 1024  # Linux reports kB
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall=wall, cpu=cpu, peak_mib=peak, other_cpu=max(busy - cpu, 0.0),
               sum_peaks_mib=max(sum(sampler.hwm.values()) / 1024, peak),
               tree_rss_mib=sampler.tree_rss / 1024, tree_pss_mib=sampler.tree_pss / 1024,
               processes=len(sampler.hwm))


def output_size(folder: Path) -> tuple[int, int]:
    """Return (HTML files, bytes of all files) under folder."""
    html = size = 0
    for root, _, names in os.walk(folder):
        for name in names:
            html += name.endswith(".html")
            size += os.path.getsize(os.path.join(root, name))
    return html, size


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, timeout: float = 60) -> tuple[float, int, bytes]:
    """GET path from the loopback server on a fresh connection; return (seconds, status, body)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return time.perf_counter() - started, response.status, body


def wait_until_up(port: int, proc: subprocess.Popen, limit: float) -> float:
    """Wait for the server's first successful GET /; return seconds from now until it answered."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"dev server exited with {proc.returncode}")
        try:
            _, status, _ = get(port, "/")
            if status == 200:
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dev server did not answer GET / within {limit:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server: SIGTERM, then SIGKILL if it has not exited within 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def warm_ms(port: int, path: str, warmups: int = 3, samples: int = 20) -> dict:
    """Median, min and max milliseconds of `samples` GETs of path after `warmups` unmeasured ones."""
    for _ in range(warmups):
        get(port, path)
    times = []
    for _ in range(samples):
        seconds, status, _ = get(port, path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        times.append(seconds * 1000)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times)}


def edit_visible_ms(port: int, path: str, post: Path, line: str, limit: float = 30) -> dict:
    """Append line to the post's file, then GET path until it shows; time the first GET and the wait."""
    token = line.strip().encode()
    with open(post, "a", encoding="utf-8") as f:
        f.write("\n" + line + "\n")
    written = time.perf_counter()
    requests, first_ms, first_ok = 0, None, False
    while True:
        seconds, status, body = get(port, path)
        requests += 1
        seen = status == 200 and token in body
        if first_ms is None:
            first_ms, first_ok = seconds * 1000, seen
        if seen:
            return {"first_request_ms": first_ms, "first_request_shows_edit": first_ok,
                    "visible_after_ms": (time.perf_counter() - written) * 1000, "requests": requests}
        if time.perf_counter() - written > limit:
            raise RuntimeError(f"the edit of {post.name} did not show on {path} within {limit:.0f} s")
        time.sleep(0.01)


def edits_ms(port: int, path: str, post: Path, count: int = 5) -> dict:
    """Edit the post `count` times with new text (never seen by the render cache); medians of the timings."""
    runs = [edit_visible_ms(port, path, post, f"A line added by the benchmark at {time.time_ns()}, "
                                              f"bench-edit-marker-{k}.") for k in range(count)]
    visible = [r["visible_after_ms"] for r in runs]
    return {"first_request_ms": statistics.median(r["first_request_ms"] for r in runs),
            "first_request_shows_edit": all(r["first_request_shows_edit"] for r in runs),
            "visible_after_ms": statistics.median(visible), "each_visible_after_ms": visible,
            "requests": sum(r["requests"] for r in runs)}
