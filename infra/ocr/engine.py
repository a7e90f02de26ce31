"""The OCR engine inside the reader process (`infra.ocr.child`): PP-OCRv4 from the
rapidocr-onnxruntime wheel. Lines are found on a reduced copy of the frame (detection is most of
the cost, and subtitles stay large enough to find), then read on the full-size crops; a line that
looks the same as on the previous frame, at the same place, is not read again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from rapidocr_onnxruntime import RapidOCR

Frame = NDArray[np.uint8]  # BGR, height × width × 3

# Detection runs on a copy whose longer side is at most this: 480 × 270 for a 720p frame still
# finds every line of text 16 pixels high or more (a 45th of the height; subtitles are at least
# twice that), at half the cost of 640 (measured: 0.10 s a frame on one thread against 0.19 s),
# which kept the read of a video under half the time of its transcode (benchmarks/video_text.py).
DETECT_SIDE = 480
# Lines read with less confidence are noise (textures, partial glyphs), not text.
MIN_SCORE = 0.6
# Two crops are "the same line" when their boxes overlap this much and their grey copies, 32
# pixels high, have the same size and differ (by more than SAME_LEVEL of 255) in under SAME_SHARE
# of their pixels. One character changed in a line of ten changes several percent of them, so a
# line edited by a character is read again; a subtitle held still over the same picture is not.
THUMB_HEIGHT = 32
SAME_IOU = 0.8
SAME_LEVEL = 40
SAME_SHARE = 0.01


@dataclass(frozen=True, slots=True)
class _Seen:
    rect: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels of the full frame
    thumb: NDArray[np.float32]
    text: str
    score: float


class Reader:
    """Reads the text lines of frames, one after another (the order lets it skip repeats)."""

    def __init__(self, threads: int, detect_side: int = DETECT_SIDE) -> None:
        self._detect_side = detect_side
        self._ocr: Any = RapidOCR(
            intra_op_num_threads=threads,
            inter_op_num_threads=1,
            use_cls=False,  # on-screen text is upright; the classifier only costs time
            det_limit_type="max",
            det_limit_side_len=4096,  # we reduce the frame ourselves
        )
        self._previous: list[_Seen] = []
        self.read_lines = 0  # how many crops were recognised (the rest were repeats)

    def read(self, frame: Frame) -> list[dict[str, Any]]:
        """The lines of ``frame``, top to bottom: text, score, box (fractions of the frame)."""
        height, width = frame.shape[:2]
        scale = min(1.0, self._detect_side / max(height, width))
        small: NDArray[Any] = frame
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        boxes, _ = self._ocr.text_det(small)
        if boxes is None or len(boxes) == 0:
            self._previous = []
            return []
        points = [np.asarray(b, dtype=np.float32) / scale for b in self._ocr.sorted_boxes(boxes)]
        crops = self._ocr.get_crop_img_list(frame, points)
        seen = self._recognise(points, crops)
        self._previous = seen
        return [
            {"text": s.text, "score": round(s.score, 3), "box": _fractions(s.rect, width, height)}
            for s in seen
            if s.text and s.score >= MIN_SCORE
        ]

    def _recognise(self, points: list[NDArray[np.float32]], crops: list[Frame]) -> list[_Seen]:
        rects = [_rect(p) for p in points]
        thumbs = [_thumb(c) for c in crops]
        known = [self._known(r, t) for r, t in zip(rects, thumbs, strict=True)]
        todo = [i for i, k in enumerate(known) if k is None]
        if todo:
            results, _ = self._ocr.text_rec([crops[i] for i in todo])
            self.read_lines += len(todo)
            for i, (text, score, *_) in zip(todo, results, strict=True):
                known[i] = (str(text).strip(), float(score))
        return [
            _Seen(rect, thumb, *k)
            for rect, thumb, k in zip(rects, thumbs, known, strict=True)
            if k is not None
        ]

    def _known(
        self, rect: tuple[float, ...], thumb: NDArray[np.float32]
    ) -> tuple[str, float] | None:
        for seen in self._previous:
            if (
                seen.thumb.shape == thumb.shape
                and _iou(seen.rect, rect) >= SAME_IOU
                and (np.abs(seen.thumb - thumb) > SAME_LEVEL).mean() < SAME_SHARE
            ):
                return seen.text, seen.score
        return None


def _rect(points: NDArray[np.float32]) -> tuple[float, float, float, float]:
    xs, ys = points[:, 0], points[:, 1]
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def _thumb(crop: Frame) -> NDArray[np.float32]:
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    height, width = grey.shape[:2]
    size = (
        max(1, min(20 * THUMB_HEIGHT, round(width * THUMB_HEIGHT / max(height, 1)))),
        THUMB_HEIGHT,
    )
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _fractions(rect: tuple[float, ...], width: int, height: int) -> list[float]:
    x0, y0, x1, y1 = rect
    return [
        round(x0 / width, 3),
        round(y0 / height, 3),
        round(x1 / width, 3),
        round(y1 / height, 3),
    ]
