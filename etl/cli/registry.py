"""`shequ registry diff`: the registry's changes, drafted from a newer edition of the codes."""
from __future__ import annotations

import click

from etl.registry_diff import diff_registries, read_newer, write_changes
from etl.store.db import city_from_db, registry_from_db


@click.group()
def registry() -> None:
    """The registry of communities and how it changes."""


@registry.command()
@click.argument("newer", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False, writable=True),
              help="write the draft change file here (CSV, UTF-8 with BOM); else print it as a table")
@click.pass_obj
def diff(ctx, newer: str, out: str | None) -> None:
    """Draft a change file from the registry in force to NEWER (a CSV with the shipped registry's columns)."""
    changes = diff_registries(registry_from_db(ctx.engine), read_newer(newer, city_from_db(ctx.engine)))
    if out:
        write_changes(changes, out)
        click.echo(f"{len(changes)} proposed changes written to {out}: fill in effective_period and check each "
                   f"'proposed' row before applying")
    elif changes.empty:
        click.echo("(no changes)")
    else:
        click.echo(changes.to_string(index=False))
