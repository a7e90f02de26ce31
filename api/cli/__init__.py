"""The ``kepu`` command, one module per group of commands: serve, worker and db upgrade
(`serve`), user (`users`), screening import (`screening`), feeds and search rebuild
(`indexes`), stats export (`stats`), backup and restore (`backup`), the takedown drill's CDN
check (`cdn`), videos made again (`media`)."""

from __future__ import annotations

import typer

from api.cli.backup import backup, restore
from api.cli.cdn import cdn_app
from api.cli.indexes import feeds_app, search_app
from api.cli.media import media_app
from api.cli.screening import screening_app
from api.cli.serve import db_app, serve, worker
from api.cli.stats import stats_app
from api.cli.users import user_app

app = typer.Typer(help="Kepu (科普): the backend of the science-popularization mini-program.")
app.command()(serve)
app.command()(worker)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(screening_app, name="screening")
app.add_typer(feeds_app, name="feeds")
app.add_typer(stats_app, name="stats")
app.add_typer(search_app, name="search")
app.add_typer(cdn_app, name="cdn")
app.add_typer(media_app, name="media")
app.command()(backup)
app.command()(restore)

__all__ = ["app"]
