"""The redis+sentinel:// form of KEPU_REDIS_URL: what it names, and a malformed one refused at
start-up with the form to use."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from infra import sentinel
from infra.settings import Settings


def test_a_sentinel_url_names_every_sentinel_the_master_the_database_and_the_password() -> None:
    target = sentinel.parse("redis+sentinel://:s%40cret@10.0.0.1:26379,sentinel-b:26380/kepu/2")
    assert target == sentinel.SentinelTarget(
        (("10.0.0.1", 26379), ("sentinel-b", 26380)), "kepu", 2, "s@cret"
    )
    assert sentinel.queue_options("redis+sentinel://h:1/m") == {
        "sentinel_nodes": [("h", 1)],
        "sentinel_master": "m",
        "sentinel_kwargs": {"connect_timeout": sentinel.SENTINEL_TIMEOUT_S},
        "redis_kwargs": {"db": 0, "password": None},
    }


def test_a_plain_url_is_left_to_redis() -> None:
    assert sentinel.parse("redis://127.0.0.1:6379/0") is None
    assert sentinel.queue_options("redis://h:6379") == {"redis_url": "redis://h:6379"}


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://h:26379",  # no master
        "redis+sentinel:///kepu",  # no Sentinel
        "redis+sentinel://h:port/kepu",  # port not a number
        "redis+sentinel://h:26379/kepu/zero",  # database not a number
        "redis+sentinel://h:26379/kepu/0/extra",
    ],
)
def test_a_malformed_sentinel_url_is_refused_naming_the_setting_and_its_form(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, redis_url=url)  # type: ignore[call-arg]
    message = str(caught.value)
    assert "KEPU_REDIS_URL" in message and "redis+sentinel://" in message


def test_views_wait_for_one_replica_with_sentinel_and_for_none_otherwise() -> None:
    with_sentinel = Settings(_env_file=None, redis_url="redis+sentinel://h:1/m")  # type: ignore[call-arg]
    assert with_sentinel.replicas_to_ack == 1
    assert Settings(_env_file=None, redis_url="redis://h:1").replicas_to_ack == 0  # type: ignore[call-arg]
    chosen = Settings(_env_file=None, redis_url="redis+sentinel://h:1/m", redis_ack_replicas=0)  # type: ignore[call-arg]
    assert chosen.replicas_to_ack == 0


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis+sentinel://:pw@h:1,g:2/m", "redis+sentinel://:***@h:1,g:2/m"),
        ("redis://user:pw@h:6379/0", "redis://user:***@h:6379/0"),
        ("redis://h:6379/0", "redis://h:6379/0"),
    ],
)
def test_a_logged_redis_url_shows_no_password(url: str, shown: str) -> None:
    assert sentinel.without_password(url) == shown
