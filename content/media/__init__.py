"""Media: uploads straight to object storage, their processing into what viewers get, and the
links that expose it. The modules (docs/media.md has a line on each) stay private:

- uploads: `uploads`, `local_uploads`, `upload_sweep`;
- processing: `processing` (the policy), `reprocess` (a ready video made again),
  `video_checks`, `video_plan`, `transcode`, `images`, `workspace`, `failures`;
- links: `urls`, `exposure`, `cdn_purge` (what the CDN must forget); and `keys`, every object
  key's layout;
- subtitles: `subtitles` (reading and checking a file), `captions` (attaching it to a video).
"""

from content.media.captions import attach as attach_subtitles
from content.media.captions import remove as remove_subtitles
from content.media.cdn_purge import RetryLater as PurgeLater
from content.media.cdn_purge import send as send_purge
from content.media.exposure import sync as sync_public_copies
from content.media.images import display_size as image_display_size
from content.media.local_uploads import receive as receive_upload
from content.media.local_uploads import receive_form as receive_form_upload
from content.media.processing import MAX_TRIES as MAX_PROCESSING_TRIES
from content.media.processing import RetryLater
from content.media.processing import run as process
from content.media.processing import stuck as stuck_media
from content.media.reprocess import already_queued as reprocess_queued
from content.media.reprocess import request as request_reprocess
from content.media.reprocess import targets as reprocess_targets
from content.media.subtitles import parse as parse_subtitles
from content.media.subtitles import to_webvtt as subtitles_webvtt
from content.media.subtitles import too_large as subtitles_too_large
from content.media.upload_sweep import Spent, mark_swept
from content.media.upload_sweep import abandoned as abandoned_uploads
from content.media.upload_sweep import clean_up as clean_up_upload
from content.media.upload_sweep import clear as clear_spent
from content.media.upload_sweep import spent as spent_uploads
from content.media.uploads import MediaView, UploadPlan, media_for
from content.media.uploads import complete as complete_upload
from content.media.uploads import start as start_upload
from content.media.urls import MediaLinks, image_sources, links

__all__ = [
    "MAX_PROCESSING_TRIES",
    "MediaLinks",
    "MediaView",
    "PurgeLater",
    "RetryLater",
    "Spent",
    "UploadPlan",
    "abandoned_uploads",
    "attach_subtitles",
    "clean_up_upload",
    "clear_spent",
    "complete_upload",
    "image_display_size",
    "image_sources",
    "links",
    "mark_swept",
    "media_for",
    "parse_subtitles",
    "process",
    "receive_form_upload",
    "receive_upload",
    "remove_subtitles",
    "reprocess_queued",
    "reprocess_targets",
    "request_reprocess",
    "send_purge",
    "spent_uploads",
    "start_upload",
    "stuck_media",
    "subtitles_too_large",
    "subtitles_webvtt",
    "sync_public_copies",
]
