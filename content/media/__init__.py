"""Media: uploads straight to object storage, their processing into what viewers get, and the
links that expose it.

- `uploads` — signed upload URLs, quotas, completing an upload; `local_uploads` — bytes sent to
  the local-disk storage route; `upload_sweep` — what uploads leave in storage, removed once
  their URLs are dead.
- `processing` — one processing attempt and its policy (retry, reject, give up), and its state.
- `video_checks` (what a video must be), `video_plan` (the ffmpeg run planned for it),
  `transcode` (the download → ffmpeg → upload pipeline), `images` (cover images), `workspace`
  (their scratch directory and download); `failures` (which failures are final and which are
  worth a retry).
- `urls` — signed or CDN links for whoever may see a media item; `exposure` — the public CDN
  copies of published media.
- `keys` — where everything above lives in object storage: every key's layout.

Its public names, below, are what the API and the workers use; the modules stay private.
"""

from content.media.exposure import sync as sync_public_copies
from content.media.local_uploads import receive as receive_upload
from content.media.processing import MAX_TRIES as MAX_PROCESSING_TRIES
from content.media.processing import RetryLater
from content.media.processing import run as process
from content.media.processing import stuck as stuck_media
from content.media.upload_sweep import Spent, mark_swept
from content.media.upload_sweep import abandoned as abandoned_uploads
from content.media.upload_sweep import clean_up as clean_up_upload
from content.media.upload_sweep import clear as clear_spent
from content.media.upload_sweep import spent as spent_uploads
from content.media.uploads import MediaView, UploadPlan, media_for
from content.media.uploads import complete as complete_upload
from content.media.uploads import start as start_upload
from content.media.urls import MediaLinks, links

__all__ = [
    "MAX_PROCESSING_TRIES",
    "MediaLinks",
    "MediaView",
    "RetryLater",
    "Spent",
    "UploadPlan",
    "abandoned_uploads",
    "clean_up_upload",
    "clear_spent",
    "complete_upload",
    "links",
    "mark_swept",
    "media_for",
    "process",
    "receive_upload",
    "spent_uploads",
    "start_upload",
    "stuck_media",
    "sync_public_copies",
]
