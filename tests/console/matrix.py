"""Who may open each console page or send each form: one line per route. Columns, in order:
anonymous, political reviewer, science reviewer (medicine), operator (admin). A value is what the
API would answer (the console shows it as a page, or after a form as a message on the page it came
from: tests read ``X-Console-Error``), or ``login``: sent to the login page. Path parameters are
filled with ids that do not exist, so a permitted principal meets 404 (or 200 on lists)."""

from __future__ import annotations

ANON, POLITICAL, SCIENCE, OPERATOR = range(4)
PRINCIPALS = ("anonymous", "political", "science", "operator")

MATRIX: dict[tuple[str, str], str] = {
    # --- signing in and out
    ("GET", "/console/"): "login 303 303 303",
    ("GET", "/console/login"): "200 200 200 200",
    ("POST", "/console/login"): "422 422 422 422",  # an empty form: nothing happens
    ("POST", "/console/logout"): "login 303 303 303",
    # --- reviewers
    ("GET", "/console/review"): "login 200 200 403",
    # the path's stage is an id here, no stage: refused as input before anything is read
    ("GET", "/console/review/queue/{stage}"): "login 422 422 403",
    ("POST", "/console/review/queue/{stage}/next"): "login 422 422 403",
    ("GET", "/console/review/tasks/{task_id}"): "login 404 404 403",
    ("POST", "/console/review/tasks/{task_id}/claim"): "login 404 404 403",
    ("POST", "/console/review/tasks/{task_id}/decision"): "login 422 422 403",  # no decision
    # --- operators: contents
    ("GET", "/console/contents"): "login 403 403 200",
    ("GET", "/console/contents/{content_id}"): "login 403 403 404",
    ("POST", "/console/contents/{content_id}/takedown"): "login 403 403 422",  # no reason
    ("POST", "/console/contents/{content_id}/pin"): "login 403 403 422",  # no expiry
    ("POST", "/console/contents/{content_id}/unpin"): "login 403 403 404",
    # --- operators: screening terms, claim patterns, rumors
    ("GET", "/console/screening"): "login 403 403 200",
    ("POST", "/console/screening/terms"): "login 403 403 422",  # an empty form
    ("POST", "/console/screening/terms/{term_id}/delete"): "login 403 403 404",
    ("GET", "/console/screening/claims"): "login 403 403 200",
    ("POST", "/console/screening/claims"): "login 403 403 422",
    ("POST", "/console/screening/claims/{pattern_id}/delete"): "login 403 403 404",
    ("GET", "/console/screening/rumors"): "login 403 403 200",
    ("POST", "/console/screening/rumors"): "login 403 403 422",
    ("POST", "/console/screening/rumors/{rumor_id}/delete"): "login 403 403 404",
    ("GET", "/console/screening/import"): "login 403 403 200",
    ("POST", "/console/screening/import"): "login 403 403 422",
    # --- operators: reports
    ("GET", "/console/reports"): "login 403 403 200",
    ("POST", "/console/reports/{report_id}/resolve"): "login 403 403 422",  # no action
    # --- operators: users and roles
    ("GET", "/console/users"): "login 403 403 200",
    ("GET", "/console/users/new"): "login 403 403 200",
    ("POST", "/console/users"): "login 403 403 422",  # an empty form: nothing is created
    ("GET", "/console/users/{user_id}"): "login 403 403 404",
    ("POST", "/console/users/{user_id}/roles"): "login 403 403 404",
    ("POST", "/console/users/{user_id}/disable"): "login 403 403 404",
    ("POST", "/console/users/{user_id}/enable"): "login 403 403 404",
    ("POST", "/console/users/{user_id}/password"): "login 403 403 422",  # no password sent
    # --- operators: statistics
    ("GET", "/console/stats"): "login 403 403 200",
}
