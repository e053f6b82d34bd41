"""The `shequ` command: the ETL's commands plus `serve`, `demo`, `worker` and `briefing`, which use the dashboard.

It lives here, not in etl/, because the dashboard imports the ETL and never the reverse.
"""
from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

import click

from etl.cli import cli, main as etl_main

from .delivery.cli import mail, schedule

cli.add_command(mail)
cli.add_command(schedule)

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--basis", type=click.Choice(["approved", "current"]), default="approved", show_default=True,
              help="what pages show by default: approved returns, or also those only submitted (provisional)")
@click.pass_obj
def serve(ctx, host, port, threads, basis) -> None:
    """Serve the dashboard with a production WSGI server (waitress)."""
    from .app import serve as run
    click.echo(f"shequ on http://{host}:{port} (database {ctx.shown_url}, {basis} returns by default)")
    run(ctx.url, host=host, port=port, threads=threads, basis=basis)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="keep the demo database here")
@click.option("--city", help="another city's demo, by code or name (梧州市): its registry and a sample of its own")
@click.option("--no-serve", is_flag=True, hidden=True, help="make the demo database, then stop (tests)")
def demo(host, port, directory, city, no_serve) -> None:
    """An embedded database in a temporary folder, the sample returns loaded, a demo admin login, served."""
    from etl.store.db import make_engine
    from etl.store.setup import init_db
    from etl.ingest import ingest_path
    from etl.store.users import add_user
    from .app import serve as run
    folder = Path(directory or tempfile.mkdtemp(prefix="shequ-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = make_engine(url)
    if city:                                       # another city: its registry, and a sample made for it here
        from etl.files.sample import generate
        from etl.national import city_registry
        registry = city_registry(city)
        init_db(engine, registry)
        paths = generate(folder / f"sample_{registry.city.code}", registry)
    else:
        init_db(engine)
        paths = sorted(SAMPLE_DIR.glob("*.xlsx"))
    if not paths:                                  # installed without the repository: make the sample here
        from etl.files.sample import generate
        paths = generate(folder / "sample_data")
    with click.progressbar(paths, label="loading the sample returns") as bar:
        for path in bar:
            ingest_path(engine, path, uploaded_by="demo")
    from etl.store.load import set_status
    from etl.store.queries import submissions
    from etl.store.status import Status
    subs = submissions(engine)
    for sid in sorted(subs.loc[subs["status"] == Status.SUBMITTED, "id"]):
        set_status(engine, int(sid), Status.APPROVED)     # the officials' view shows approved figures
    password = secrets.token_urlsafe(9)
    from etl.store.users import get_user, set_password
    if get_user(engine, "admin"):
        set_password(engine, "admin", password)
    else:
        add_user(engine, "admin", password, "admin")
    click.echo(f"\n  shequ demo: http://{host}:{port}\n  login: admin / {password}\n  database: {url}\n")
    if not no_serve:
        run(url, host=host, port=port)


@cli.command()
@click.option("--concurrency", default=2, show_default=True, type=int, help="jobs run at once on this machine")
@click.option("--beat", is_flag=True, help="also send the scheduled deliveries ([schedule]; one worker only)")
@click.pass_obj
def worker(ctx, concurrency, beat) -> None:
    """Run the upload's background jobs for web servers on other machines (Celery; needs SHEQU_CELERY_BROKER)."""
    from .jobs import celery_broker
    from .worker import start
    if not celery_broker():
        raise click.UsageError("set SHEQU_CELERY_BROKER (e.g. redis://localhost:6379/0), the same as the web servers'")
    start(ctx.url, concurrency, beat)


@cli.command()
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--period", help="the period (default: the one the dashboard opens on, the latest complete)")
@click.option("--county", help="a county's briefing, by code or name (default: the city's)")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--basis", type=click.Choice(["approved", "current"]), default="approved", show_default=True)
@click.pass_obj
def briefing(ctx, out, period, county, lang, basis) -> None:
    """The 简报 of a period as an A4 PDF (needs Chromium and fonts-noto-cjk on this machine)."""
    from etl.cli.options import county_option, period_option
    from .briefing_pdf import briefing_pdf
    pdf = briefing_pdf(ctx.engine, period=period_option(period), county=county_option(ctx, county), lang=lang,
                       basis=basis)
    Path(out).write_bytes(pdf)
    click.echo(f"wrote {out} ({len(pdf) // 1024:,} KB)")


def main() -> None:
    etl_main()
