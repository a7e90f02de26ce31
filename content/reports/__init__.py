"""Viewers' reports of published content and the operators' queue of them: one open report per
person and content, grouped by content with surges first, resolved for all a content's open
reports at once (docs/reports.md)."""

from content.reports.queue import Group, Surge, groups
from content.reports.service import file, resolve

__all__ = ["Group", "Surge", "file", "groups", "resolve"]
