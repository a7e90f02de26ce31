"""Accounts: users and their roles, password and WeChat logins (and binding WeChat to an
account), password strength, login throttling, creators' public profiles."""

from content.accounts.erasure import ERASED_NAME, anonymise, find_person
from content.accounts.passwords import STAFF, check_password
from content.accounts.profiles import (
    Profile,
    followers_of,
    is_public_creator,
    no_such_creator,
    profile,
    public_creator,
    published_by,
)
from content.accounts.staff import (
    STAFF_ROLES,
    get_user,
    list_users,
    reset_password,
    set_active,
    set_roles,
)
from content.accounts.throttle import Attempt, admit_password, admit_wechat, login_succeeded
from content.accounts.users import (
    DISCIPLINE_EXAMPLES,
    authenticate,
    bind_wechat,
    create_staff_user,
    get_active_user,
    get_or_create_wechat_user,
    has_role,
    password_login,
    require_role,
    unbind_wechat,
    wechat_login,
)

__all__ = [
    "DISCIPLINE_EXAMPLES",
    "ERASED_NAME",
    "STAFF",
    "STAFF_ROLES",
    "Attempt",
    "Profile",
    "admit_password",
    "admit_wechat",
    "anonymise",
    "authenticate",
    "bind_wechat",
    "check_password",
    "create_staff_user",
    "find_person",
    "followers_of",
    "get_active_user",
    "get_or_create_wechat_user",
    "get_user",
    "has_role",
    "is_public_creator",
    "list_users",
    "login_succeeded",
    "no_such_creator",
    "password_login",
    "profile",
    "public_creator",
    "published_by",
    "require_role",
    "reset_password",
    "set_active",
    "set_roles",
    "unbind_wechat",
    "wechat_login",
]
