"""Accounts: users and their roles, password and WeChat logins, password strength, login
throttling."""

from content.accounts.passwords import STAFF, check_password
from content.accounts.throttle import Attempt, admit_password, admit_wechat, login_succeeded
from content.accounts.users import (
    DISCIPLINE_EXAMPLES,
    authenticate,
    create_staff_user,
    get_active_user,
    get_or_create_wechat_user,
    has_role,
    password_login,
    require_role,
    wechat_login,
)

__all__ = [
    "DISCIPLINE_EXAMPLES",
    "STAFF",
    "Attempt",
    "admit_password",
    "admit_wechat",
    "authenticate",
    "check_password",
    "create_staff_user",
    "get_active_user",
    "get_or_create_wechat_user",
    "has_role",
    "login_succeeded",
    "password_login",
    "require_role",
    "wechat_login",
]
