"""`shequ mail briefing | reminders` and `shequ schedule run-due | show`: deliveries from the command line."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from etl.cli.options import period_option

if TYPE_CHECKING:              # every `shequ` command imports this module: the senders only when one is run
    from dashboard.delivery.send import Run


def report(run: Run, dry_run: bool = False) -> None:
    """One line a message; the failures again on stderr; exit code 1 when any failed."""
    if not run.outcomes:
        click.echo("nothing to send")
    for o in run.outcomes:
        line = f"{o.status:12} {o.kind:9} {o.period:7} {o.channel:8} {o.recipient or '-':32} {o.scope}"
        click.echo(line + (f"  ({o.attempts} attempts: {o.error})" if o.error else ""))
    for o in run.failed:
        click.echo(f"error: {o.kind} to {o.recipient} ({o.channel}) failed after {o.attempts} attempts: {o.error}",
                   err=True)
    if dry_run:
        click.echo("dry run: nothing was sent")
    if run.exit_code:
        sys.exit(run.exit_code)          # as `shequ ingest` does: main() runs click outside standalone mode


@click.group()
def mail() -> None:
    """Deliver the briefing and reminders by e-mail ([mail]) and group robots ([robots])."""


@mail.command("briefing")
@click.option("--period", help="the period (default: the latest complete one)")
@click.option("--dry-run", is_flag=True, help="list who would get what; send nothing")
@click.pass_obj
def mail_briefing(ctx, period, dry_run) -> None:
    """Each user with an e-mail the briefing of their scope (a county's users their county's) as a PDF, and each
    group robot the city's summary."""
    from dashboard.delivery.send import deliver_briefings
    from dashboard.delivery.settings import delivery_settings
    report(deliver_briefings(ctx.engine, delivery_settings(), period_option(period), dry_run=dry_run), dry_run)


@mail.command("reminders")
@click.option("--period", help="the period (default: the latest that has ended)")
@click.option("--dry-run", is_flag=True, help="list who would get what; send nothing")
@click.pass_obj
def mail_reminders(ctx, period, dry_run) -> None:
    """The analysts of each county whose return is missing or was sent back: what is missing, and the deadline."""
    from dashboard.delivery.schedule import today_in
    from dashboard.delivery.send import deliver_reminders
    from dashboard.delivery.settings import delivery_settings
    settings = delivery_settings()
    report(deliver_reminders(ctx.engine, settings, period_option(period), dry_run=dry_run, today=today_in(settings)),
           dry_run)


@click.group()
def schedule() -> None:
    """Scheduled deliveries ([schedule] in the settings)."""


@schedule.command("run-due")
@click.pass_obj
def schedule_run_due(ctx) -> None:
    """Send what is due now and not sent yet (run it every few minutes: cron or a systemd timer)."""
    from dashboard.delivery.schedule import run_due
    report(run_due(ctx.engine))
