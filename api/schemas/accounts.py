"""Logins, tokens and accounts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import Slug
from content.models import Role


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int


class UserOut(BaseModel):
    id: str
    display_name: str
    roles: list[Role]
    disciplines: list[str]
    username: str | None = None
    avatar_url: str | None = None
    wechat_bound: bool = Field(
        default=False, description="whether a WeChat login (wx.login) logs into this account"
    )


class WechatLoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, StringConstraints(min_length=1, max_length=256, strip_whitespace=True)]


class WechatTokenOut(TokenOut):
    user: UserOut
    created: bool


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, StringConstraints(min_length=3, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)]
    display_name: Annotated[str, StringConstraints(max_length=64)] | None = None
    roles: list[Slug] = Field(default_factory=list, max_length=5)
    disciplines: list[Slug] = Field(default_factory=list, max_length=20)


class WechatBindIn(WechatLoginIn):
    """A fresh ``wx.login`` code of the WeChat user to bind to the caller's account."""


class ProfileIn(BaseModel):
    """Only the fields sent change; ``avatar_media_id: null`` removes the avatar."""

    model_config = ConfigDict(extra="forbid")
    # Generous here; the rule (length, screening, invisible characters) is the domain's, which
    # names the field with its own code.
    display_name: Annotated[str, StringConstraints(max_length=256)] | None = None
    avatar_media_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class ProfileOut(BaseModel):
    id: str
    display_name: str
    avatar_url: str | None
    roles: list[Role] = Field(description="public roles only: `creator`")
    followers: int
    following_count: int = Field(description="how many creators they follow")
    published: int = Field(description="their published contents")
    following: bool = Field(description="whether the caller follows them; false when anonymous")


class FollowedOut(BaseModel):
    """A creator the caller follows."""

    id: str
    display_name: str
    avatar_url: str | None
    followers: int
    published: int
