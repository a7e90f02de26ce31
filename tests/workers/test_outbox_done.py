"""A job that ran is done: its outbox row is gone and nothing shows as waiting for a worker (a
row kept would be relayed and run again and again, and raise a false alarm)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from api.app import create_app
from content.models import JobOutbox
from infra.services import Services
from tests import factories as f
from tests.helpers import embedded_settings, eventually, serving


async def _rows(services: Services) -> list[tuple[str, str | None]]:
    async with services.read_sessions() as session:
        rows = await session.exec(select(JobOutbox.name, JobOutbox.taken_by))
        return [(name, taken_by) for name, taken_by in rows.all()]


async def test_a_job_that_ran_leaves_no_outbox_row_and_readyz_counts_nothing_waiting(
    tmp_path: Path,
) -> None:
    # An installation of its own (nothing else in its outbox), alerting after 1 s, so a row
    # left behind would show in /readyz as soon as its lease went quiet.
    settings = embedded_settings(tmp_path).model_copy(update={"job_alert_after_s": 1.0})
    app = create_app(settings)
    async with serving(app) as client:
        services: Services = app.state.services
        crew = await f.crew(services)
        content = await f.create(client, crew.creator)
        submit = await client.post(
            f"/api/v1/contents/{content['id']}/submit", headers=crew.creator.auth
        )
        assert submit.status_code == 202
        await f.wait_for_task(client, crew.political, "political", content["id"])  # it ran

        async def none_left() -> bool:
            return await _rows(services) == []

        await eventually(none_left, within=10)
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["jobs"]["waiting"] == 0
