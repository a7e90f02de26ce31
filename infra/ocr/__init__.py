"""Text read off video frames and images (OCR), in a bounded child process."""

from infra.ocr.runner import FrameText, OcrError, OcrLimits, read_image, read_video

__all__ = ["FrameText", "OcrError", "OcrLimits", "read_image", "read_video"]
