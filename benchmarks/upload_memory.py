"""The API process's memory while large uploads stream through the local-disk backend.

The target (docs/architecture.md): "API memory does not grow with file size". With the embedded
default (no `KEPU_S3_ENDPOINT`) clients PUT their bytes to the API's own signed
`/api/v1/storage/...` route, which should stream them to disk in blocks. This script checks that
it does.

What it does: it starts `kepu serve --no-workers` on a free port with a throw-away
`KEPU_DATA_DIR` (SQLite, the bundled Valkey, local disk), creates a creator with `kepu user
create`, logs in, and runs the real upload flow (`POST /uploads`, PUT the bytes to the signed
URLs, `POST /uploads/{id}/complete`). The client streams every body from a generator of 1 MiB
chunks cut from one repeating random block, with a Content-Length as S3 clients send it, so it
never holds a file in memory. A background thread samples the server's resident memory (VmRSS
from /proc/<pid>/status) every 50 ms during each upload; where the kernel allows, the peak is
also read from VmHWM after resetting it (clear_refs), which catches spikes shorter than a sample.

Two servers, each measured on its own (after a warm-up upload, not reported):

- single PUT: `KEPU_MULTIPART_THRESHOLD` far above the file sizes, so one request carries the
  whole file, the worst case for streaming. A 64 MiB baseline, then 1 GiB; then both again with
  2 clients uploading at the same time.
- multipart: the defaults (16 MiB threshold, 8 MiB parts); a 64 MiB baseline, then 1 GiB.

How to read the result: for each pair, "peak" is the server's peak RSS during the upload
(including the complete call), "growth" is peak(1 GiB) - peak(64 MiB) and "ratio" is
peak(1 GiB) / peak(64 MiB). Flat memory means a growth of a few MiB and a ratio close to 1.00;
memory that follows the file size shows up as a growth in hundreds of MiB. A pair passes if its
growth is at most +32 MiB. Throughput is the file size over the whole upload (PUTs plus
complete) as seen by the client, all clients together; it is a loopback figure, bounded by the
disk and the MD5 the server computes, and is informative only.

Run from the repository root: `python benchmarks/upload_memory.py` (about a minute; it writes
a few GiB to the temp directory and deletes them as it goes). Prints PASS or FAIL and exits 1 on
FAIL (2 if the server could not be started or an upload failed). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

MIB = 1024 * 1024
GIB = 1024 * MIB
CHUNK = MIB
SAMPLE_INTERVAL_S = 0.05
TOLERANCE_MIB = 32.0
WARMUP_BYTES = 24 * MIB  # above the default multipart threshold: warms up the multipart path
BASELINE_BYTES = 64 * MIB
READY_TIMEOUT_S = 90.0
USERNAME, PASSWORD = "bench", "bench-pass-1"
KEPU = Path(sys.executable).with_name("kepu")
_BLOCK = os.urandom(CHUNK)  # one random block repeated: incompressible, nothing to generate


class BenchError(RuntimeError):
    """The benchmark could not run (server did not start, an upload was refused)."""


# -- memory ------------------------------------------------------------------------------------


def _status_kib(pid: int, field_name: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise BenchError(f"no {field_name} in /proc/{pid}/status")


def rss_bytes(pid: int) -> int:
    return _status_kib(pid, "VmRSS") * 1024


def reset_peak(pid: int) -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of ``pid``; False if not allowed here."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


class RssSampler:
    """Samples the RSS of ``pid`` in a thread while in a ``with`` block; keeps the peak."""

    def __init__(self, pid: int, interval_s: float = SAMPLE_INTERVAL_S) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.start_rss = 0
        self.peak = 0
        self.samples = 0
        self.exact = False  # True when the peak includes the kernel's VmHWM mark
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self.start_rss = self.peak = rss_bytes(self.pid)
        self.exact = reset_peak(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        if self.exact:
            # The kernel's mark since the reset: exact, however short the spike was.
            self.peak = max(self.peak, _status_kib(self.pid, "VmHWM") * 1024)

    def _sample(self) -> None:
        with contextlib.suppress(OSError, BenchError):
            self.peak = max(self.peak, rss_bytes(self.pid))
            self.samples += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval_s)


# -- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`kepu serve --no-workers` (or with them) on a fresh data directory; stopped (and
    cleaned) on exit."""

    def __init__(self, name: str, extra_env: dict[str, str], *, workers: bool = False) -> None:
        self.name = name
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # No spaces: the bundled Valkey's config file cannot take a data dir containing one.
        slug = "".join(c if c.isalnum() else "-" for c in name)
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"kepu-bench-{slug}-"))
        self.env = {
            **os.environ,
            "KEPU_DATA_DIR": str(self.data_dir / "data"),
            "KEPU_MAX_VIDEO_BYTES": str(8 * GIB),
            "KEPU_UPLOAD_QUOTA_BYTES_PER_DAY": str(1024 * GIB),
            "KEPU_LOG_LEVEL": "WARNING",
            "KEPU_PUBLIC_API_BASE_URL": self.base,
            **extra_env,
        }
        self.log_path = self.data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self) -> None:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(KEPU), "serve", "--port", str(self.port)]
                + ([] if self.workers else ["--no-workers"]),
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: Ctrl-C reaches only us, and we stop it (and the
                # Valkey it started) ourselves.
                start_new_session=True,
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise BenchError(f"kepu serve exited with {self.proc.returncode}\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                waited = f"{READY_TIMEOUT_S:.0f} s"
                raise BenchError(f"kepu serve not ready after {waited}\n{self.log()}")
            time.sleep(0.2)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def kepu(self, *args: str) -> None:
        done = subprocess.run(
            [str(KEPU), *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise BenchError(f"kepu {' '.join(args)} failed:\n{done.stdout}{done.stderr}")

    def forget_uploads(self) -> None:
        """Delete uploaded objects from disk between phases, so a run needs little free space.
        (No worker runs, so nothing else reads them.)"""
        shutil.rmtree(self.data_dir / "data" / "media" / "uploads", ignore_errors=True)

    def __exit__(self, *exc: object) -> None:
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly on SIGINT
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.proc.pid, signal.SIGKILL)  # the group we created
                    self.proc.wait(timeout=10)
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)


# -- the upload flow ---------------------------------------------------------------------------


def body(size: int) -> Iterator[bytes]:
    """``size`` bytes in 1 MiB chunks, without ever holding more than one block."""
    remaining = size
    while remaining > 0:
        chunk = _BLOCK if remaining >= CHUNK else _BLOCK[:remaining]
        remaining -= len(chunk)
        yield chunk


def login(server: Server) -> str:
    server.kepu("user", "create", USERNAME, "--password", PASSWORD, "--role", "creator")
    response = httpx.post(
        f"{server.base}/api/v1/auth/token",
        data={"username": USERNAME, "password": PASSWORD},
        timeout=30,
    )
    _expect(response, 200, "log in")
    return str(response.json()["access_token"])


def _expect(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise BenchError(f"{what}: HTTP {response.status_code} {response.text[:500]}")


def _put(client: httpx.Client, url: str, size: int, headers: dict[str, str]) -> str:
    response = client.put(url, content=body(size), headers={**headers, "Content-Length": str(size)})
    _expect(response, 200, f"PUT {size} bytes")
    return response.headers["etag"]


def upload(base: str, token: str, size: int) -> str:
    """One whole upload, the way the mini-program does it; returns the method used."""
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=auth, timeout=300) as client:
        started = client.post(
            "/api/v1/uploads",
            json={"filename": "x.mp4", "content_type": "video/mp4", "size": size},
        )
        _expect(started, 201, "start upload")
        plan = started.json()
        if plan["method"] == "PUT":
            _put(client, plan["url"], size, plan.get("headers") or {})
            done = client.post(f"/api/v1/uploads/{plan['upload_id']}/complete")
        else:
            part_size = int(plan["part_size"])
            parts = []
            for part in plan["parts"]:
                n = int(part["part_number"])
                length = min(part_size, size - (n - 1) * part_size)
                parts.append({"part_number": n, "etag": _put(client, part["url"], length, {})})
            done = client.post(
                f"/api/v1/uploads/{plan['upload_id']}/complete", json={"parts": parts}
            )
        _expect(done, 200, "complete upload")
        out = done.json()
        if not out.get("media_id") or not out.get("status"):
            raise BenchError(f"complete answered {out!r}")
        return str(plan["method"])


# -- phases ------------------------------------------------------------------------------------


@dataclass
class Phase:
    label: str
    size: int
    clients: int = 1
    seconds: float = 0.0
    start_rss: int = 0
    peak_rss: int = 0
    samples: int = 0
    exact: bool = False
    methods: list[str] = field(default_factory=list)

    @property
    def mib_s(self) -> float:
        return self.size * self.clients / MIB / self.seconds if self.seconds else 0.0


def run_phase(server: Server, token: str, label: str, size: int, clients: int = 1) -> Phase:
    phase = Phase(label, size, clients)
    print(f"  {label}: {clients} x {size / MIB:.0f} MiB ...", end=" ", flush=True)
    with RssSampler(server.pid) as sampler:
        started = time.perf_counter()
        if clients == 1:
            phase.methods = [upload(server.base, token, size)]
        else:
            with ThreadPoolExecutor(clients) as pool:
                phase.methods = list(
                    pool.map(lambda _: upload(server.base, token, size), range(clients))
                )
        phase.seconds = time.perf_counter() - started
    phase.start_rss, phase.peak_rss = sampler.start_rss, sampler.peak
    phase.samples, phase.exact = sampler.samples, sampler.exact
    server.forget_uploads()
    print(
        f"{phase.seconds:.1f} s, {phase.mib_s:.0f} MiB/s, peak RSS {phase.peak_rss / MIB:.1f} MiB"
        f" ({'/'.join(sorted(set(phase.methods)))}, {phase.samples} samples"
        f"{' + VmHWM' if phase.exact else ''}; {phase.start_rss / MIB:.1f} MiB before)",
        flush=True,
    )
    return phase


@dataclass
class Pair:
    name: str
    baseline: Phase
    big: Phase

    @property
    def growth_mib(self) -> float:
        return (self.big.peak_rss - self.baseline.peak_rss) / MIB

    @property
    def ratio(self) -> float:
        return self.big.peak_rss / self.baseline.peak_rss

    @property
    def passed(self) -> bool:
        return self.growth_mib <= TOLERANCE_MIB


def measure(name: str, extra_env: dict[str, str], runs: list[tuple[int, int]]) -> list[Pair]:
    """Start a server, warm it up, then for each (clients, big size): baseline, then big."""
    print(f"[{name}] starting kepu serve ...", flush=True)
    with Server(name, extra_env) as server:
        token = login(server)
        print(f"[{name}] ready on port {server.port}, pid {server.pid}", flush=True)
        try:
            run_phase(server, token, "warm-up", WARMUP_BYTES)
            pairs = []
            for clients, big in runs:
                baseline = run_phase(server, token, "baseline", BASELINE_BYTES, clients)
                large = run_phase(server, token, "large", big, clients)
                label = name if clients == 1 else f"{name}, {clients} clients"
                pairs.append(Pair(label, baseline, large))
            return pairs
        except BaseException:
            print(f"\nserver log (last lines):\n{server.log()}", file=sys.stderr)
            raise


def _size(n: int) -> str:
    return f"{n / GIB:g} GiB" if n >= GIB else f"{n / MIB:g} MiB"


def report(pairs: list[Pair]) -> bool:
    print()
    header = (
        f"{'run':<34}{'baseline peak':>15}{'large peak':>12}{'growth':>13}{'ratio':>7}"
        f"{'MiB/s (base/large)':>21}  result"
    )
    print(header)
    print("-" * len(header))
    for p in pairs:
        print(
            f"{f'{p.name} ({_size(p.big.size)})':<34}"
            f"{p.baseline.peak_rss / MIB:>11.1f} MiB{p.big.peak_rss / MIB:>8.1f} MiB"
            f"{p.growth_mib:>+10.1f} MiB{p.ratio:>7.2f}"
            f"{p.baseline.mib_s:>12.0f} /{p.big.mib_s:>6.0f}"
            f"  {'PASS' if p.passed else 'FAIL'}"
        )
    ok = all(p.passed for p in pairs)
    print(
        f"\n{'PASS' if ok else 'FAIL'}: server peak RSS during a large upload "
        f"{'stays' if ok else 'does not stay'} within +{TOLERANCE_MIB:.0f} MiB of its peak "
        f"during a {BASELINE_BYTES // MIB} MiB upload"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="the large upload (MiB)")
    parser.add_argument("--no-concurrent", action="store_true", help="skip the 2-client run")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        print("needs Linux /proc", file=sys.stderr)
        return 2
    if not KEPU.exists():
        print(f"no kepu command next to {sys.executable}", file=sys.stderr)
        return 2
    big = args.size_mib * MIB
    single_put = {"KEPU_MULTIPART_THRESHOLD": str(64 * GIB)}
    runs = [(1, big)] if args.no_concurrent else [(1, big), (2, big)]
    started = time.monotonic()
    try:
        pairs = measure("single PUT", single_put, runs)
        pairs += measure("multipart 8 MiB", {}, [(1, big)])
    except BenchError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    ok = report(pairs)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "run": p.name,
                        "size": p.big.size,
                        "clients": p.big.clients,
                        "baseline_peak_rss": p.baseline.peak_rss,
                        "large_peak_rss": p.big.peak_rss,
                        "growth_mib": round(p.growth_mib, 1),
                        "ratio": round(p.ratio, 3),
                        "baseline_mib_s": round(p.baseline.mib_s, 1),
                        "large_mib_s": round(p.big.mib_s, 1),
                        "passed": p.passed,
                    }
                    for p in pairs
                ],
                indent=2,
            )
        )
    print(f"(whole run: {time.monotonic() - started:.0f} s)")
    return 0 if ok else 1


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    # SIGTERM behaves like Ctrl-C: unwind, stopping the server and removing the temp dir.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
