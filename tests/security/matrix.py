"""The authorization matrix: every route of the app × every principal → the expected status.

One line per route. Columns, in order: anonymous, viewer, creator (owns the target),
other_creator, political, science (the target's discipline), science_other, admin. The builder
(tests/security/world.py) makes the row's target: the ids in the path and the body. A route the
app serves without a line here fails tests/security/test_authz_matrix.py, listing it.

404 where a stranger asks about something that exists is the contract (no existence leaks).
"""

# ruff: noqa: E501  (a table reads best one route per line)
from __future__ import annotations

from typing import NamedTuple


class Row(NamedTuple):
    builder: str
    expected: tuple[int, ...]


def row(builder: str, statuses: str) -> Row:
    return Row(builder, tuple(int(s) for s in statuses.split()))


P = "/api/v1"
# fmt: off
MATRIX: dict[tuple[str, str], Row] = {
    #                                                        builder               anon view crea othr poli sci  sci2 admn
    ("POST",   f"{P}/auth/token"):                       row("incomplete_login",   "422  422  422  422  422  422  422  422"),
    ("POST",   f"{P}/auth/wechat"):                      row("empty_wechat",       "422  422  422  422  422  422  422  422"),
    ("GET",    f"{P}/me"):                               row("nothing",            "401  200  200  200  200  200  200  200"),
    ("PUT",    f"{P}/me"):                               row("new_profile",        "401  200  200  200  200  200  200  200"),
    ("PATCH",  f"{P}/me"):                               row("new_profile",        "401  200  200  200  200  200  200  200"),
    # Binding needs a fresh wx.login code; an empty body shows who gets as far as reading it.
    ("POST",   f"{P}/me/wechat"):                        row("empty_wechat",       "401  422  422  422  422  422  422  422"),
    # Every principal here has a password and no WeChat login: unbinding changes nothing.
    ("DELETE", f"{P}/me/wechat"):                        row("nothing",            "401  204  204  204  204  204  204  204"),
    ("GET",    f"{P}/me/favorites"):                     row("nothing",            "401  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/me/likes"):                         row("nothing",            "401  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/me/following"):                     row("nothing",            "401  200  200  200  200  200  200  200"),
    # A creator's page is public; staff and viewers have none (tests/api/test_profiles.py).
    ("GET",    f"{P}/users/{{user_id}}"):                row("creator_user",       "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/users/{{user_id}}/contents"):       row("creator_user",       "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/me/contents"):                      row("nothing",            "401  403  200  200  403  403  403  403"),
    ("POST",   f"{P}/contents"):                         row("new_content",        "401  403  201  201  403  403  403  403"),
    ("PATCH",  f"{P}/contents/{{content_id}}"):          row("draft_edit",         "401  404  200  404  404  404  404  404"),
    ("PUT",    f"{P}/contents/{{content_id}}"):          row("draft_edit",         "401  404  200  404  404  404  404  404"),
    ("POST",   f"{P}/contents/{{content_id}}/submit"):   row("draft",              "401  404  202  404  404  404  404  404"),
    ("POST",   f"{P}/contents/{{content_id}}/withdraw"): row("published",          "401  404  200  404  404  404  404  404"),
    # Reviewers read what their stage and discipline hand them: in the political stage, the
    # political reviewer; science reviewers only once it reaches theirs.
    ("GET",    f"{P}/contents/{{content_id}}"):          row("political",          "404  404  200  404  200  404  404  200"),
    ("GET",    f"{P}/contents/{{content_id}}/reviews"):  row("political",          "401  404  200  404  200  404  404  200"),
    ("POST",   f"{P}/uploads"):                          row("new_upload",         "401  403  201  201  403  403  403  403"),
    ("POST",   f"{P}/uploads/{{upload_id}}/complete"):   row("upload",             "401  404  409  404  404  404  404  404"),
    # Media attached to no content: its owner and operators only.
    ("GET",    f"{P}/media/{{media_id}}"):               row("media",              "404  404  200  404  404  404  404  200"),
    # Subtitles are the owner's alone (an image here, so the owner hears it takes none).
    ("PUT",    f"{P}/media/{{media_id}}/subtitles"):     row("media",              "401  404  422  404  404  404  404  404"),
    ("DELETE", f"{P}/media/{{media_id}}/subtitles"):     row("media",              "401  404  422  404  404  404  404  404"),
    ("GET",    f"{P}/review/tasks"):                     row("nothing",            "401  403  403  403  200  200  200  403"),
    ("POST",   f"{P}/review/tasks/{{task_id}}/claim"):   row("political_task",     "401  404  404  404  200  404  404  404"),
    ("POST",   f"{P}/review/tasks/{{task_id}}/decision"):row("political_decision", "401  404  404  404  200  404  404  404"),
    # Rankings are public: everyone reads the same list.
    ("GET",    f"{P}/rankings"):                         row("nothing",            "200  200  200  200  200  200  200  200"),
    # A creator's dashboard shows their own contents only; operators read every content's totals.
    ("GET",    f"{P}/me/stats"):                         row("nothing",            "401  403  200  200  403  403  403  403"),
    ("GET",    f"{P}/admin/stats"):                      row("nothing",            "401  403  403  403  403  403  403  200"),
    ("GET",    f"{P}/feed"):                             row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/search"):                           row("search_query",       "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/topics"):                           row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/audiences"):                        row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/disciplines"):                      row("nothing",            "200  200  200  200  200  200  200  200"),
    ("POST",   f"{P}/admin/users"):                      row("new_user",           "401  403  403  403  403  403  403  201"),
    ("POST",   f"{P}/admin/contents/{{content_id}}/takedown"): row("published_takedown", "401  403  403  403  403  403  403  200"),
    ("POST",   f"{P}/admin/contents/{{content_id}}/pin"):      row("published_pin",      "401  403  403  403  403  403  403  200"),
    ("DELETE", f"{P}/admin/contents/{{content_id}}/pin"):      row("pinned",             "401  403  403  403  403  403  403  200"),
    # Interactions (viewers of published content; anyone signed in).
    ("POST",   f"{P}/contents/{{content_id}}/like"):     row("published",          "401  200  200  200  200  200  200  200"),
    ("DELETE", f"{P}/contents/{{content_id}}/like"):     row("published",          "401  200  200  200  200  200  200  200"),
    ("POST",   f"{P}/contents/{{content_id}}/favorite"): row("published",          "401  200  200  200  200  200  200  200"),
    ("DELETE", f"{P}/contents/{{content_id}}/favorite"): row("published",          "401  200  200  200  200  200  200  200"),
    ("POST",   f"{P}/contents/{{content_id}}/share"):    row("published",          "401  202  202  202  202  202  202  202"),
    ("POST",   f"{P}/contents/{{content_id}}/views"):    row("published_view",     "401  202  202  202  202  202  202  202"),
    ("POST",   f"{P}/users/{{user_id}}/follow"):         row("creator_user",       "401  200  422  200  200  200  200  200"),
    ("DELETE", f"{P}/users/{{user_id}}/follow"):         row("creator_user",       "401  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/me/interactions"):                  row("published_ids",      "401  200  200  200  200  200  200  200"),
    # Reports: anyone signed in reports published content; operators work through them.
    ("POST",   f"{P}/reports"):                          row("published_report",   "401  201  201  201  201  201  201  201"),
    ("GET",    f"{P}/admin/reports"):                    row("nothing",            "401  403  403  403  403  403  403  200"),
    ("POST",   f"{P}/admin/reports/{{report_id}}/resolve"): row("open_report",     "401  403  403  403  403  403  403  200"),
    ("GET",    f"{P}/me/notifications"):                 row("nothing",            "401  200  200  200  200  200  200  200"),
    ("POST",   f"{P}/me/notifications/read"):            row("all_read",           "401  200  200  200  200  200  200  200"),
    # Comments: read by anyone on published content; deleted by the comment's author, the
    # content's owner or an operator (again: the same outcome); the switch is the owner's.
    ("GET",    f"{P}/contents/{{content_id}}/comments"): row("published",          "200  200  200  200  200  200  200  200"),
    ("POST",   f"{P}/contents/{{content_id}}/comments"): row("new_comment",        "401  201  201  201  201  201  201  201"),
    ("GET",    f"{P}/contents/{{content_id}}/comments/{{comment_id}}/replies"): row("comment", "200  200  200  200  200  200  200  200"),
    ("DELETE", f"{P}/contents/{{content_id}}/comments/{{comment_id}}"):         row("comment", "401  403  204  403  403  403  403  204"),
    ("PUT",    f"{P}/contents/{{content_id}}/comments/settings"):               row("comment_settings", "401  404  200  404  404  404  404  200"),
    ("POST",   f"{P}/comments/{{comment_id}}/like"):     row("comment",            "401  200  200  200  200  200  200  200"),
    ("DELETE", f"{P}/comments/{{comment_id}}/like"):     row("comment",            "401  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/admin/comments"):                   row("nothing",            "401  403  403  403  403  403  403  200"),
    ("POST",   f"{P}/admin/comments/{{comment_id}}/approve"): row("held_comment", "401  403  403  403  403  403  403  200"),
    ("POST",   f"{P}/admin/comments/{{comment_id}}/remove"):  row("held_comment", "401  403  403  403  403  403  403  200"),
    ("GET",    f"{P}/admin/screening/terms"):            row("nothing",            "401  403  403  403  403  403  403  200"),
    ("POST",   f"{P}/admin/screening/terms"):            row("new_term",           "401  403  403  403  403  403  403  201"),
    ("DELETE", f"{P}/admin/screening/terms/{{term_id}}"):row("term",               "401  403  403  403  403  403  403  204"),
    ("GET",    f"{P}/admin/screening/claims"):           row("nothing",            "401  403  403  403  403  403  403  200"),
    ("POST",   f"{P}/admin/screening/claims"):           row("new_claim_pattern",  "401  403  403  403  403  403  403  201"),
    ("DELETE", f"{P}/admin/screening/claims/{{pattern_id}}"):row("claim_pattern", "401  403  403  403  403  403  403  204"),
    ("POST",   f"{P}/admin/disciplines"):                row("new_discipline",     "401  403  403  403  403  403  403  201"),
    ("DELETE", f"{P}/admin/disciplines/{{slug}}"):       row("discipline",         "401  403  403  403  403  403  403  204"),
    ("GET",    f"{P}/admin/rumors"):                     row("nothing",            "401  403  403  403  403  403  403  200"),
    ("POST",   f"{P}/admin/rumors"):                     row("new_rumor",          "401  403  403  403  403  403  403  201"),
    ("DELETE", f"{P}/admin/rumors/{{rumor_id}}"):        row("rumor",              "401  403  403  403  403  403  403  204"),
    ("GET",    f"{P}/healthz"):                          row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/readyz"):                           row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/metrics"):                          row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    "/healthz"):                              row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    "/readyz"):                               row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    "/metrics"):                              row("nothing",            "200  200  200  200  200  200  200  200"),
    # The local-disk backend's signed URLs (a signature, not a principal, decides); with object
    # storage configured, as here, they do not exist. tests/infra/test_storage.py covers them.
    ("PUT",    f"{P}/storage/{{key:path}}"):             row("storage_key",        "404  404  404  404  404  404  404  404"),
    ("GET",    f"{P}/storage/{{key:path}}"):             row("storage_key",        "404  404  404  404  404  404  404  404"),
    ("POST",   f"{P}/storage/{{key:path}}"):             row("storage_key",        "404  404  404  404  404  404  404  404"),
    ("GET",    f"{P}/openapi.json"):                     row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/docs"):                             row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/docs/oauth2-redirect"):             row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/redoc"):                            row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/docs/assets/swagger-ui-bundle.js"): row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/docs/assets/swagger-ui.css"):       row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/docs/assets/redoc.standalone.js"):  row("nothing",            "200  200  200  200  200  200  200  200"),
    ("GET",    f"{P}/docs/assets/favicon.png"):          row("nothing",            "200  200  200  200  200  200  200  200"),
}
# fmt: on

# The same routes on targets in other states, where who may see it changes with the state.
# fmt: off
VARIANTS: dict[tuple[str, str, str], str] = {
    #                                                    builder        anon view crea othr poli sci  sci2 admn
    ("GET", f"{P}/contents/{{content_id}}",             "draft"):     "404  404  200  404  404  404  404  404",
    ("GET", f"{P}/contents/{{content_id}}",             "science"):   "404  404  200  404  404  200  404  200",
    ("GET", f"{P}/contents/{{content_id}}",             "published"): "200  200  200  200  200  200  200  200",
    ("GET", f"{P}/contents/{{content_id}}/reviews",     "draft"):     "401  404  200  404  404  404  404  404",
    ("GET", f"{P}/contents/{{content_id}}/reviews",     "science"):   "401  404  200  404  404  200  404  200",
    ("POST", f"{P}/contents/{{content_id}}/like",       "draft"):     "401  404  404  404  404  404  404  404",
    ("POST", f"{P}/contents/{{content_id}}/share",      "political"): "401  404  404  404  404  404  404  404",
    ("GET", f"{P}/contents/{{content_id}}/comments",    "draft"):     "404  404  404  404  404  404  404  404",
    ("POST", f"{P}/contents/{{content_id}}/comments",   "draft_comment"): "401  404  404  404  404  404  404  404",
    ("DELETE", f"{P}/contents/{{content_id}}/comments/{{comment_id}}", "viewers_comment"): "401  204  204  403  403  403  403  204",
}
# fmt: on
