"""Erasing one person's data on request (PIPL): their contents ended through the workflow, their
words and reactions gone from others' content with the counters corrected, their notifications
deleted, their account anonymised, and an audit row of the run (docs/operations.md)."""

from content.erasure.service import STEPS, Erased, erase_person

__all__ = ["STEPS", "Erased", "erase_person"]
