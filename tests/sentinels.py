"""A Redis master, its replicas and three Sentinels watching them, as real `redis-server`
processes on loopback ports, for the failover tests and benchmarks/redis_failover.py. Sentinel
times are short (a master is down after 500 ms) so a failover takes a second or two."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.helpers import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
MASTER = "kepu-test"
DOWN_AFTER_MS = 500
FAILOVER_TIMEOUT_MS = 3000


@dataclass
class Node:
    port: int
    proc: subprocess.Popen[bytes]

    def kill(self) -> None:
        """SIGKILL, as a machine dying would: no shutdown, no last write."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, decode_responses=True)


@dataclass
class Topology:
    root: Path
    data: list[Node] = field(default_factory=list)
    sentinels: list[Node] = field(default_factory=list)

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{hosts}/{MASTER}"

    def master(self) -> Node:
        """The data node the Sentinels name as master now."""
        _host, port = self.sentinels[0].client().sentinel_get_master_addr_by_name(MASTER)
        return next(n for n in self.data if n.port == int(port))

    def wait_for_new_master(self, old: Node, within: float = 30.0) -> Node:
        """The promoted replica, once a Sentinel names it and it answers as master."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError, StopIteration):
                new = self.master()
                if new is not old and new.client().role()[0] == "master":
                    return new
            time.sleep(0.05)
        raise AssertionError("no replica was promoted")


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([REDIS_SERVER, *args], stdout=out, stderr=subprocess.STDOUT)


def _answering(port: int, within: float = 15.0) -> None:
    client = redis.Redis(port=port, socket_timeout=1)
    deadline = time.monotonic() + within
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _data_node(root: Path, name: str, master_port: int | None) -> Node:
    port = free_port()
    (root / name).mkdir()
    args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(root / name)]
    args += ["--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"]
    if master_port is not None:
        args += ["--replicaof", "127.0.0.1", str(master_port)]
    node = Node(port, _start(args, root / f"{name}.log"))
    _answering(port)
    return node


def _sentinel(root: Path, name: str, master_port: int) -> Node:
    port = free_port()
    conf = root / f"{name}.conf"  # Sentinel rewrites its config file: one each
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {root}\n"
        f"sentinel monitor {MASTER} 127.0.0.1 {master_port} 2\n"
        f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
        f"sentinel failover-timeout {MASTER} {FAILOVER_TIMEOUT_MS}\n"
        f"sentinel parallel-syncs {MASTER} 2\n"
    )
    node = Node(port, _start([str(conf), "--sentinel"], root / f"{name}.log"))
    _answering(port)
    return node


@contextlib.contextmanager
def running_topology(root: Path, replicas: int = 2) -> Iterator[Topology]:
    """Master, ``replicas`` replicas in sync with it, and three Sentinels that see them all."""
    root.mkdir(parents=True, exist_ok=True)
    topology = Topology(root)
    try:
        master = _data_node(root, "master", None)
        topology.data.append(master)
        for i in range(replicas):
            topology.data.append(_data_node(root, f"replica{i}", master.port))
        topology.sentinels = [_sentinel(root, f"sentinel{i}", master.port) for i in range(3)]
        _wait_until_watched(topology, replicas)
        yield topology
    finally:
        for node in [*topology.sentinels, *topology.data]:
            node.kill()


def _wait_until_watched(topology: Topology, replicas: int, within: float = 30.0) -> None:
    """Every Sentinel knows every replica and the other Sentinels, and replicas are in sync:
    only then can a failover happen as soon as the master dies."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError):
            states = [s.client().sentinel_master(MASTER) for s in topology.sentinels]
            synced = topology.data[0].client().info("replication")
            if (
                all(int(st["num-slaves"]) == replicas for st in states)
                and all(int(st["num-other-sentinels"]) == 2 for st in states)
                and int(synced["connected_slaves"]) == replicas
            ):
                return
        time.sleep(0.1)
    raise AssertionError("the Sentinels did not see the whole topology in time")
