"""The world the authorization tests act on, made once per module."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from infra.services import Services
from tests.security.world import World, make_world


@pytest.fixture(scope="module")
async def world(app: FastAPI, services: Services) -> World:
    client: httpx.AsyncClient = app.state.test_client
    return await make_world(client, services)
