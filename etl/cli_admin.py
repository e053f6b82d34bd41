"""`shequ user …`, `shequ approve`, `shequ publish`: the city office's actions from the command line."""
from __future__ import annotations

import sys

import click

from . import audit, queries
from .load import set_statuses


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


@click.group()
def user() -> None:
    """Manage logins (viewer, analyst, admin)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["viewer", "analyst", "admin"]), required=True)
@click.option("--county", help="the analyst's county (code or name)")
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
@click.pass_obj
def user_add(ctx, name, role, county, password_stdin) -> None:
    """Create a login; the password is read from a prompt or stdin."""
    from .cli_reports import _county
    from .users import add_user
    created = add_user(ctx.engine, name, _read_password(password_stdin), role, _county(ctx, county))
    audit.record(ctx.engine, "user-add", "cli", user=created.username, role=role,
                 county=created.county_code)
    click.echo(f"user {created.username} ({created.role}{' ' + created.county_code if created.county_code else ''}) added")


@user.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.pass_obj
def user_list(ctx, fmt) -> None:
    """Every login, without password hashes."""
    import pandas as pd
    from .cli import _render
    from .users import list_users
    _render(pd.DataFrame(list_users(ctx.engine)), fmt)


@user.command("disable")
@click.argument("name")
@click.pass_obj
def user_disable(ctx, name) -> None:
    """Refuse this login from now on (the history stays)."""
    from .users import set_disabled
    set_disabled(ctx.engine, name, True)
    audit.record(ctx.engine, "user-disable", "cli", user=name)
    click.echo(f"user {name} disabled")


@user.command("enable")
@click.argument("name")
@click.pass_obj
def user_enable(ctx, name) -> None:
    """Allow a disabled login again."""
    from .users import set_disabled
    set_disabled(ctx.engine, name, False)
    audit.record(ctx.engine, "user-enable", "cli", user=name)
    click.echo(f"user {name} enabled")


@click.command()
@click.option("--county")
@click.option("--period")
@click.option("--all", "all_", is_flag=True, help="every submitted return")
@click.pass_obj
def approve(ctx, county, period, all_) -> None:
    """Approve the submitted returns of a county, a period or all, in one transaction."""
    from .cli import _period_option
    from .cli_reports import _county
    if not (county or period or all_):
        raise click.UsageError("name --county and/or --period, or --all")
    subs = queries.submissions(ctx.engine, _county(ctx, county), _period_option(period))
    todo = subs[subs["status"] == "submitted"].sort_values("id")
    if todo.empty:
        click.echo("nothing to approve")
        return
    names = dict(zip(todo["id"], todo["file_name"]))
    # One transaction: every return named is approved, each in the audit log, or none is.
    done = set_statuses(ctx.engine, todo["id"], "approved", only_from=("submitted",),
                        record=lambda conn, r: audit.record(conn, "approve", "cli", submission=r.submission_id,
                                                            county=r.county_code, period=r.period))
    for r in done:
        click.echo(f"approved #{r.submission_id} {r.county_code} {r.period} {names[r.submission_id]}")


@click.command()
@click.argument("period")
@click.pass_obj
def publish(ctx, period) -> None:
    """Freeze a period's approved figures as an official version (all counties approved)."""
    from .cli import _period_option
    from .publish import publish as do_publish
    period = _period_option(period)
    version = do_publish(ctx.engine, period, "cli")
    audit.record(ctx.engine, "publish", "cli", period=period, version=version)
    click.echo(f"published {period}, version {version}")
