"""`shequ ingest`: validate and load returns, each file in its own transaction, with a progress bar."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from etl.cli.options import period_option
from etl.ingest import Outcome, ingest_path
from etl.store.db import registry_from_db

_STATUS_ZH = {"loaded": "已入库", "unchanged": "未变化（相同文件已入库）", "rejected": "已拒收", "valid": "校验通过（试运行）"}


def _problem_line(p: dict) -> str:
    where = ", ".join(str(x) for x in (p["file"], p["sheet"] or "-", p["row"] or "-", p["column"] or "-"))
    return f"  {where}, {p['code']}, {p['severity']}, {p['message_zh']} / {p['message_en']}"


def _print_text(outcome: Outcome) -> None:
    d = outcome.to_dict()
    counts = d["counts"]
    where = f" {d['county']} {d['period']}" if d["county"] else ""
    summary = (f"{counts.get('communities', 0)} communities, {counts.get('links', 0)} leader links"
               if counts else f"{len(outcome.report.errors)} errors")
    click.echo(f"{d['file']}: {d['status']} ({_STATUS_ZH[d['status']]}){where} — {summary}, "
               f"{len(outcome.report.warnings)} warnings")
    for p in d["problems"]:
        click.echo(_problem_line(p))


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--period", help="the period the returns are for (checked against each workbook)")
@click.option("--county", help="the county code or name (checked against each workbook)")
@click.option("--dry-run", is_flag=True, help="validate only; load nothing")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--user", default="cli", help="recorded as the uploader")
@click.pass_obj
def ingest(ctx, paths, period, county, dry_run, fmt, user) -> None:
    """Validate and load county returns (exit 1 if any file is rejected; the others still load)."""
    period = period_option(period)
    engine = ctx.engine
    registry = registry_from_db(engine)
    outcomes: list[Outcome] = []
    show_bar = len(paths) > 1 and sys.stderr.isatty() and fmt == "text"
    with click.progressbar(paths, label="ingesting", file=sys.stderr, show_pos=True,
                           item_show_func=lambda p: Path(p).name if p else "",
                           hidden=not show_bar) as bar:
        for path in bar:
            outcomes.append(ingest_path(engine, path, county_hint=county, period_hint=period, dry_run=dry_run,
                                        uploaded_by=user, registry=registry))
    if fmt == "json":
        click.echo(json.dumps({"files": [o.to_dict() for o in outcomes],
                               "loaded": sum(o.status == "loaded" for o in outcomes),
                               "unchanged": sum(o.status == "unchanged" for o in outcomes),
                               "rejected": sum(o.status == "rejected" for o in outcomes)},
                              ensure_ascii=False, indent=1, default=str))
    else:
        for outcome in outcomes:
            _print_text(outcome)
    sys.exit(1 if any(o.status == "rejected" for o in outcomes) else 0)
