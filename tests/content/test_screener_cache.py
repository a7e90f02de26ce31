"""The screener a process keeps: rebuilt in a worker thread after a dictionary change, once,
however many screenings ask for it at the same moment."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest

from content.screening import Screener, dictionary
from infra.services import Services
from tests.helpers import eventually


async def test_concurrent_screenings_after_a_change_build_the_screener_once_off_the_loop(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[str] = []
    release = threading.Event()

    def slow_build(*args: Any, **kwargs: Any) -> Screener:
        builds.append(threading.current_thread().name)
        release.wait(10)  # held until every screening is waiting for it
        return Screener(*args, **kwargs)

    async with services.write_sessions() as session:
        version = await dictionary.bump_version(session)
        await session.commit()
    monkeypatch.setattr(dictionary, "Screener", slow_build)
    got: list[Screener] = []

    async def screen_once() -> None:
        async with services.read_sessions() as session:
            got.append(await dictionary.current_screener(session))

    async def all_waiting() -> bool:  # one building, three waiting for it
        return bool(builds) and dictionary._building.statistics().tasks_waiting == 3

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(screen_once)
            # The event loop runs on while the build is under way: this check would never get
            # to look otherwise.
            await eventually(all_waiting, interval=0.01)
            release.set()
    assert len(builds) == 1 and builds[0] != threading.main_thread().name
    assert len(got) == 4 and all(s is got[0] for s in got) and got[0].version == version
    async with services.read_sessions() as session:  # the next one finds it built
        assert await dictionary.current_screener(session) is got[0]
    assert len(builds) == 1
