"""`shequ registry`: the registry in force in a period, change files checked and applied, the change sets kept,
and a draft change file from a newer edition of the codes."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import pandas as pd

from etl.registry_diff import diff_registries, read_newer, write_changes
from etl.cli.options import FORMATS, period_option, render
from etl.registry import REGISTRY_COLUMNS, Registry
from etl.store.db import city_from_db, registry_from_db

_STATUS = {"applied": "已应用", "valid": "校验通过（试运行，未应用）", "rejected": "已拒绝（未作任何改动）"}
_KIND_WORDS = {"rename": "更名", "merge": "合并", "split": "拆分", "new": "新设", "abolish": "撤销", "move": "调整隶属"}


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


@registry.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="check the file and say what it would do; change nothing")
@click.option("--user", default="cli", help="recorded as who applied it")
@click.pass_obj
def apply(ctx, path: str, dry_run: bool, user: str) -> None:
    """Apply a change file (CSV or xlsx): refused whole, every problem listed by row, when any row is wrong."""
    from etl.cli.ingest import _problem_line
    from etl.store.registry_changes import apply_change_file
    outcome = apply_change_file(ctx.engine, Path(path).read_bytes(), Path(path).name, user, dry_run=dry_run)
    report = outcome.report
    click.echo(f"{outcome.file}: {outcome.status} ({_STATUS[outcome.status]}) — {len(report.errors)} errors")
    for p in report.problems:
        click.echo(_problem_line(p.to_dict()))
    if report.valid:
        for s in outcome.sets:
            kinds = ", ".join(f"{n} {k} ({_KIND_WORDS[k]})" for k, n in s["changes"].items())
            periods = ", ".join(s["periods"]) or "none yet"
            click.echo(f"  effective {s['effective']}: {kinds}; periods with returns recomputed: {periods}")
    sys.exit(0 if report.valid else 1)


@registry.command()
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_obj
def history(ctx, fmt: str) -> None:
    """The change sets applied, newest first: when, who, which file, and what they changed."""
    from etl.store.registry_changes import change_sets
    df = change_sets(ctx.engine)
    if fmt == "json":
        click.echo(json.dumps(df.to_dict("records"), ensure_ascii=False, indent=1, default=str))
        return
    df["summary"] = df["summary"].map(lambda s: ", ".join(f"{n} {k}" for k, n in s["changes"].items()))
    render(df, fmt)


@registry.command(name="list")
@click.option("--period", help="the registry in force in this period (default: the newest)")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_obj
def list_(ctx, period: str | None, fmt: str) -> None:
    """The communities of the registry in force in a period; --format csv has the shipped registry's columns."""
    registry = registry_from_db(ctx.engine)
    period = period_option(period)
    render(registry_frame(registry.in_force(period) if period else registry), fmt)


def registry_frame(registry: Registry) -> pd.DataFrame:
    """A registry as the rows of the shipped CSV (etl/data/yulin_communities.csv)."""
    kinds = {"城市社区": "street", "乡镇社区": "town"}
    return pd.DataFrame([{"county_code": c.county_code, "county_name": c.county_name,
                          "township_code": c.township_code, "township_name": c.township_name,
                          "township_kind": kinds.get(c.kind, c.kind), "community_code": c.code,
                          "community_name": c.name} for c in registry.communities], columns=list(REGISTRY_COLUMNS))
