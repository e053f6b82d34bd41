"""`shequ backup OUT` and `shequ restore IN`: a .db file is SQLite's online copy; anything else a portable dump."""
from __future__ import annotations

from pathlib import Path

import click

from etl.store import backup as backups

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


@click.command()
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.pass_obj
def backup(ctx, out) -> None:
    """Back up the database: OUT.db (SQLite online copy) or OUT.jsonl.gz (portable, any database)."""
    if Path(out).suffix.lower() in SQLITE_SUFFIXES:
        backups.sqlite_copy(ctx.engine, out)
        click.echo(f"copied the database to {out}")
    else:
        counts = backups.dump(ctx.engine, out)
        click.echo(f"wrote {out}: " + ", ".join(f"{t} {n}" for t, n in counts.items() if n))


@click.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="do not ask before replacing the database's contents")
@click.pass_obj
def restore(ctx, source, yes) -> None:
    """Replace the database's contents with a backup (all or nothing)."""
    if not yes:
        click.confirm(f"replace everything in {ctx.shown_url} with {source}?", abort=True)
    if Path(source).suffix.lower() in SQLITE_SUFFIXES:
        backups.sqlite_restore(ctx.engine, source)
        click.echo(f"restored {ctx.shown_url} from {source}")
    else:
        counts = backups.restore(ctx.engine, source)
        click.echo(f"restored {sum(counts.values())} rows from {source}")
