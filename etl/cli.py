"""The `shequ` command line: one small function per command — parse options, call the library, render."""
from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd

from .db import database_url, init_db, make_engine
from .periods import is_period, parse_period
from .problems import ShequError
from .registry import load_registry_csv

FORMATS = click.Choice(["table", "csv", "json"])


class Context:
    def __init__(self, db: str | None):
        self.url = database_url(db)
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine


pass_ctx = click.make_pass_decorator(Context)


def _period_option(value: str | None) -> str | None:
    if value is None:
        return None
    period = parse_period(value)
    if not period or not is_period(period):
        raise click.BadParameter(f"{value!r} is not a period (2015 or 2015Q3)")
    return period


def _render(df: pd.DataFrame, fmt: str) -> None:
    if fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
    elif fmt == "json":
        # ISO dates ("2026-12-06T02:15:38.000Z"), which a person and any JSON reader understand, not epoch numbers
        click.echo(df.to_json(orient="records", force_ascii=False, indent=1, date_format="iso"))
    elif df.empty:
        click.echo("(none)")
    else:
        click.echo(df.to_string(index=False))


class ShequGroup(click.Group):
    """Turns the library's ShequError into click's error handling, so every entry point reports it the same way."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ShequError as exc:
            error = click.ClickException(str(exc))
            error.exit_code = exc.exit_code
            raise error from None


@click.group(cls=ShequGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="SHEQU_DATABASE_URL", help="SQLAlchemy URL (default: sqlite:///shequ.db)")
@click.version_option(package_name="shequ")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """shequ 社区 — Yulin City's community-standardisation returns, indicators and dashboard."""
    ctx.obj = Context(db)


@cli.command()
@click.option("--registry", type=click.Path(exists=True, dir_okay=False), help="a newer registry CSV to load")
@pass_ctx
def init(ctx: Context, registry: str | None) -> None:
    """Create or upgrade the schema and load the community registry."""
    count = init_db(ctx.engine, load_registry_csv(Path(registry)) if registry else None)
    click.echo(f"database ready: {ctx.url} ({count} communities in the registry)")


from .cli_ingest import ingest  # noqa: E402  (the command lives in its own module; registered here)
from .cli_reports import export, indicators, periods, sample, scorecard, submissions, template  # noqa: E402
from .cli_admin import approve, publish, user  # noqa: E402
from .cli_backup import backup, restore  # noqa: E402

for command in (ingest, submissions, periods, indicators, scorecard, export, template, sample, approve, publish, user, backup,
                restore):
    cli.add_command(command)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except ShequError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:  # the one place an unexpected failure is reported: a message, not a traceback
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "no such table" in text or ("relation" in text and "does not exist" in text):
            click.echo("error: the database has no shequ tables yet — run `shequ init` first", err=True)
        else:
            click.echo(f"error: {type(exc).__name__}: {text}", err=True)
        sys.exit(1)
