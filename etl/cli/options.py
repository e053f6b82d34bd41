"""What every `shequ` command shares: the database context, the period and county options, the output formats."""
from __future__ import annotations

import click
import pandas as pd

from etl.periods import is_period, parse_period
from etl.store.db import database_url, make_engine, registry_from_db, shown_url

FORMATS = click.Choice(["table", "csv", "json"])


class Context:
    """The database a command works on; the engine is made when a command first needs it."""

    def __init__(self, db: str | None):
        self.url = database_url(db)
        self.shown_url = shown_url(self.url)    # what messages print: the password as ***
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine


def period_option(value: str | None) -> str | None:
    """A --period as the canonical period ("2015", "2015Q3"), None when not given; a bad one is a usage error."""
    if value is None:
        return None
    period = parse_period(value)
    if not period or not is_period(period):
        raise click.BadParameter(f"{value!r} is not a period (2015 or 2015Q3)")
    return period


def county_option(ctx: Context, value: str | None) -> str | None:
    """A --county (code or name) as the code of a county in the database's registry, None when not given."""
    if value is None:
        return None
    code = registry_from_db(ctx.engine).county_code_for(value)
    if code is None:
        raise click.BadParameter(f"{value!r} is not a county of the registry", param_hint="--county")
    return code


def render(df: pd.DataFrame, fmt: str) -> None:
    """A table for people (`table`) or scripts (`csv`, `json`) on stdout."""
    if fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
    elif fmt == "json":
        # ISO dates ("2026-12-06T02:15:38.000Z"), which a person and any JSON reader understand, not epoch numbers
        click.echo(df.to_json(orient="records", force_ascii=False, indent=1, date_format="iso"))
    elif df.empty:
        click.echo("(none)")
    else:
        click.echo(df.to_string(index=False))
