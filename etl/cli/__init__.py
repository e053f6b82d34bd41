"""The `shequ` command line: one small function per command — parse options, call the library, render."""
from __future__ import annotations

import sys

import click

from etl.cli.admin import approve, init, publish, user
from etl.cli.backup import backup, restore
from etl.cli.ingest import ingest
from etl.cli.options import Context
from etl.cli.registry import registry
from etl.cli.reports import export, indicators, periods, sample, scorecard, submissions, template
from etl.read.problems import ShequError
from etl.store.db import redact_urls


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
    """shequ 社区 — a city's community-standardisation returns, indicators and dashboard."""
    ctx.obj = Context(db)


for command in (init, ingest, submissions, periods, indicators, scorecard, export, template, sample, approve, publish,
                user, backup, restore, registry):
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
        click.echo(f"error: {redact_urls(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:  # the one place an unexpected failure is reported: a message, not a traceback
        text = redact_urls(str(exc).splitlines()[0]) if str(exc) else type(exc).__name__
        if "no such table" in text or ("relation" in text and "does not exist" in text):
            click.echo("error: the database has no shequ tables yet — run `shequ init` first", err=True)
        else:
            click.echo(f"error: {type(exc).__name__}: {text}", err=True)
        sys.exit(1)
