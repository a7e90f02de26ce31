"""Media: uploads straight to object storage, their processing into what viewers get, and the
links that expose it.

- `uploads` — signed upload URLs, quotas, completing an upload; `local_uploads` — bytes sent to
  the local-disk storage route; `upload_sweep` — what uploads leave in storage, removed once
  their URLs are dead.
- `processing` — one processing attempt and its policy (retry, reject, give up), and its state.
- `video_checks` (what a video must be), `video_plan` (the ffmpeg run planned for it),
  `transcode` (the download → ffmpeg → upload pipeline), `images` (cover images); `failures`
  (which failures are final and which are worth a retry).
- `urls` — signed or CDN links for whoever may see a media item; `exposure` — the public CDN
  copies of published media.

`links` and `MediaLinks` are the names the API presents media with.
"""

from content.media.urls import MediaLinks, links

__all__ = ["MediaLinks", "links"]
