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
