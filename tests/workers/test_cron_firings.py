"""A scheduled job's firing runs once per queue: a repeat on the same queue is skipped, while the
same firing id on another queue sharing the database (streaq derives it from the schedule alone)
still runs there."""

from __future__ import annotations

import secrets

from infra.services import Services
from workers.app import once_per_firing


async def test_a_firing_runs_once_on_its_queue_and_still_runs_on_another(
    services: Services,
) -> None:
    ran: list[str] = []
    firing = secrets.token_hex(16)

    async def work(queue: str) -> str:
        ran.append(queue)
        return queue

    ours = services.settings.queue_name
    assert await once_per_firing(services, "flush_counters", firing, lambda: work(ours)) == ours
    # Handed out again (a failover): skipped.
    assert await once_per_firing(services, "flush_counters", firing, lambda: work(ours)) is None
    other = services.settings.model_copy(update={"queue_name": f"{ours}-other"})
    beside = Services(**{**services.__dict__, "settings": other})
    assert await once_per_firing(beside, "flush_counters", firing, lambda: work("other")) == "other"
    assert ran == [ours, "other"]
