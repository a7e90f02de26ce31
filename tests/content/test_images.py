"""Images (covers, the pictures of an article's body): the display copy viewers get."""

from __future__ import annotations

from pathlib import Path

import pytest

from content.media.failures import MediaRejected
from content.media.images import MAX_WIDTH, display_size, process_image
from infra.media_probe import probe
from infra.storage.local import LocalStorage
from tests.media_files import gps_latitude_bytes, jpeg_with_gps, jpeg_with_orientation, png, video


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    root = tmp_path / "store"
    root.mkdir()
    return LocalStorage(root, "http://127.0.0.1:8000", "test-secret")


async def _stored(storage: LocalStorage, source: Path, key: str) -> str:
    await storage.upload_from(source, key, "image/jpeg")
    return key


async def test_a_phone_photo_is_turned_upright_and_scaled_to_display_size(
    storage: LocalStorage, tmp_path: Path
) -> None:
    photo = jpeg_with_orientation(tmp_path / "photo.jpg", 2400, 1200, orientation=6)
    key = await _stored(storage, photo, "uploads/u/1/original")
    result = await process_image(storage, key, "m1", tmp_path)
    assert (result.width, result.height) == (1200, 2400)  # as the phone showed it
    cover = probe(storage.path_of(result.cover_key)).video
    assert cover is not None and (cover.width, cover.height) == (MAX_WIDTH, MAX_WIDTH * 2)
    assert cover.rotation == 0  # turned in the pixels, not by a tag a viewer might ignore


async def test_the_display_copy_carries_no_metadata(storage: LocalStorage, tmp_path: Path) -> None:
    photo = jpeg_with_orientation(tmp_path / "photo.jpg", 400, 300, orientation=1)
    key = await _stored(storage, photo, "uploads/u/2/original")
    result = await process_image(storage, key, "m2", tmp_path)
    assert b"Exif" not in storage.path_of(result.cover_key).read_bytes()


async def test_a_phone_photo_loses_where_it_was_taken(
    storage: LocalStorage, tmp_path: Path
) -> None:
    photo = jpeg_with_gps(tmp_path / "photo.jpg", 1600, 1200)
    assert gps_latitude_bytes() in photo.read_bytes()
    key = await _stored(storage, photo, "uploads/u/6/original")
    result = await process_image(storage, key, "m6", tmp_path)
    shown = storage.path_of(result.cover_key).read_bytes()
    assert b"Exif" not in shown and gps_latitude_bytes() not in shown
    cover = probe(storage.path_of(result.cover_key)).video
    assert cover is not None and (cover.width, cover.height) == (1080, 810)


@pytest.mark.parametrize(
    ("width", "height"),
    [(3000, 9000), (1601, 1201), (5000, 1000)],
    ids=["a tall infographic", "odd sides", "a panorama"],
)
async def test_the_display_copy_is_the_size_the_api_announces(
    storage: LocalStorage, tmp_path: Path, width: int, height: int
) -> None:
    png(tmp_path / "x.png", width, height)
    key = await _stored(storage, tmp_path / "x.png", f"uploads/u/{width}/original")
    result = await process_image(storage, key, f"s{width}", tmp_path)
    cover = probe(storage.path_of(result.cover_key)).video
    assert cover is not None
    assert (cover.width, cover.height) == display_size(width, height)
    assert cover.width <= 1080 and cover.height <= 4096


def test_display_sizes_keep_proportions_and_never_enlarge() -> None:
    assert display_size(320, 200) == (320, 200)
    assert display_size(4000, 3000) == (1080, 810)
    assert display_size(1080, 8192) == (540, 4096)  # a long image stays legible at 540 wide


async def test_small_images_are_not_enlarged(storage: LocalStorage, tmp_path: Path) -> None:
    png(tmp_path / "x.png", 320, 200)
    key = await _stored(storage, tmp_path / "x.png", "uploads/u/3/original")
    result = await process_image(storage, key, "m3", tmp_path)
    cover = probe(storage.path_of(result.cover_key)).video
    assert cover is not None and (cover.width, cover.height) == (320, 200)


async def test_a_video_uploaded_as_a_cover_is_refused(
    storage: LocalStorage, tmp_path: Path
) -> None:
    clip = video(tmp_path / "clip.mp4", 160, 90, seconds=0.5)
    key = await _stored(storage, clip, "uploads/u/4/original")
    with pytest.raises(MediaRejected) as caught:
        await process_image(storage, key, "m4", tmp_path)
    assert caught.value.code == "not_image"


async def test_a_truncated_png_is_refused_as_damaged(storage: LocalStorage, tmp_path: Path) -> None:
    whole = png(tmp_path / "whole.png", 640, 480)
    (tmp_path / "cut.png").write_bytes(whole[: len(whole) // 2])
    key = await _stored(storage, tmp_path / "cut.png", "uploads/u/5/original")

    with pytest.raises(MediaRejected) as caught:
        await process_image(storage, key, "m5", tmp_path)

    assert caught.value.code == "corrupt"
    assert "damaged" in caught.value.reason and "图片" in caught.value.reason
