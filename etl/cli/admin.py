"""`shequ init`, `shequ user …`, `shequ approve`, `shequ publish`: the city office's actions from the command line."""
from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd

from etl.cli.options import FORMATS, county_option, period_option, render
from etl.read.problems import ShequError
from etl.registry import load_registry_csv
from etl.store import audit, queries
from etl.store.db import city_from_db
from etl.store.load import set_statuses
from etl.store.setup import held_city, init_db
from etl.store.status import Status


@click.command()
@click.option("--city", help="the city, by code or name (450400, 4504, 梧州市): its registry from the national codes")
@click.option("--registry", type=click.Path(exists=True, dir_okay=False),
              help="a city's own registry CSV (of the --city; else of the database's city, Yulin's for a new one)")
@click.option("--boundaries", type=click.Path(exists=True, dir_okay=False),
              help="the city's county boundaries (GeoJSON, feature id = 6-digit county code), for its map")
@click.pass_obj
def init(ctx, city: str | None, registry: str | None, boundaries: str | None) -> None:
    """Create or upgrade the schema and load the city's registry (a new database: Yulin's unless --city says)."""
    from etl.national import city_of, city_registry
    from etl.registry import DEFAULT_CITY
    if registry:                # the CSV's city: the one named, else the database's own, else Yulin's
        owner = city_of(city) if city else (held_city(ctx.engine) or DEFAULT_CITY)
        chosen = load_registry_csv(Path(registry), owner)
    else:
        chosen = city_registry(city) if city else None
    count = init_db(ctx.engine, chosen, _read_geojson(boundaries) if boundaries else None)
    held = city_from_db(ctx.engine)
    click.echo(f"database ready: {ctx.shown_url} ({held.code} {held.name}, {count} communities in the registry)")
    if boundaries:
        click.echo(f"county boundaries stored for {held.name} from {Path(boundaries).name}")


def _read_geojson(path: str) -> dict:
    """A GeoJSON file's content, or a clear error for one that is not JSON."""
    import json
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ShequError(f"边界文件不是有效的 GeoJSON（数据库未改动）：{path}：{exc} / "
                         f"the boundaries file is not valid GeoJSON (nothing changed): {exc}") from None


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
@click.option("--email", help="where briefings and reminders go")
@click.pass_obj
def user_add(ctx, name, role, county, password_stdin, email) -> None:
    """Create a login; the password is read from a prompt or stdin."""
    from etl.store.users import add_user, clean_email
    email = clean_email(email)                 # a bad address is refused before the password is asked
    created = add_user(ctx.engine, name, _read_password(password_stdin), role, county_option(ctx, county), email)
    audit.record(ctx.engine, "user-add", "cli", user=created.username, role=role,
                 county=created.county_code, email=created.email)
    click.echo(f"user {created.username} ({created.role}{' ' + created.county_code if created.county_code else ''}) added")


@user.command("set")
@click.argument("name")
@click.option("--email", required=True, help="the address for deliveries; \"\" removes it")
@click.pass_obj
def user_set(ctx, name, email) -> None:
    """Change a user's e-mail address."""
    from etl.store.users import set_email
    stored = set_email(ctx.engine, name, email)
    audit.record(ctx.engine, "user-email", "cli", user=name, email=stored)
    click.echo(f"user {name}: e-mail {stored or '(none)'}")


@user.command("list")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_obj
def user_list(ctx, fmt) -> None:
    """Every login, without password hashes."""
    from etl.store.users import list_users
    render(pd.DataFrame(list_users(ctx.engine)), fmt)


@user.command("disable")
@click.argument("name")
@click.pass_obj
def user_disable(ctx, name) -> None:
    """Refuse this login from now on (the history stays)."""
    from etl.store.users import set_disabled
    set_disabled(ctx.engine, name, True)
    audit.record(ctx.engine, "user-disable", "cli", user=name)
    click.echo(f"user {name} disabled")


@user.command("enable")
@click.argument("name")
@click.pass_obj
def user_enable(ctx, name) -> None:
    """Allow a disabled login again."""
    from etl.store.users import set_disabled
    set_disabled(ctx.engine, name, False)
    audit.record(ctx.engine, "user-enable", "cli", user=name)
    click.echo(f"user {name} enabled")


@user.command("end-sessions")
@click.argument("name")
@click.pass_obj
def user_end_sessions(ctx, name) -> None:
    """Log a user out everywhere: every open session ends at once (a lost laptop, a shared computer)."""
    from etl.store.users import end_sessions
    ended = end_sessions(ctx.engine, name)
    audit.record(ctx.engine, "end-sessions", "cli", user=name, sessions=ended)
    click.echo(f"user {name}: {ended} session(s) ended")


@click.command()
@click.option("--county")
@click.option("--period")
@click.option("--all", "all_", is_flag=True, help="every submitted return")
@click.pass_obj
def approve(ctx, county, period, all_) -> None:
    """Approve the submitted returns of a county, a period or all, in one transaction."""
    if not (county or period or all_):
        raise click.UsageError("name --county and/or --period, or --all")
    subs = queries.submissions(ctx.engine, county_option(ctx, county), period_option(period))
    todo = subs[subs["status"] == Status.SUBMITTED].sort_values("id")
    if todo.empty:
        click.echo("nothing to approve")
        return
    names = dict(zip(todo["id"], todo["file_name"]))
    # One transaction: every return named is approved, each in the audit log, or none is.
    done = set_statuses(ctx.engine, todo["id"], Status.APPROVED, only_from=(Status.SUBMITTED,),
                        record=lambda conn, r: audit.record(conn, "approve", "cli", submission=r.submission_id,
                                                            county=r.county_code, period=r.period))
    for r in done:
        click.echo(f"approved #{r.submission_id} {r.county_code} {r.period} {names[r.submission_id]}")


@click.command()
@click.argument("period")
@click.pass_obj
def publish(ctx, period) -> None:
    """Freeze a period's approved figures as an official version (all counties approved)."""
    from etl.store.publish import publish as do_publish
    period = period_option(period)
    version = do_publish(ctx.engine, period, "cli")
    audit.record(ctx.engine, "publish", "cli", period=period, version=version)
    click.echo(f"published {period}, version {version}")
