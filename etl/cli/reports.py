"""`shequ submissions | indicators | scorecard | export | template | sample`: reads and files for people."""
from __future__ import annotations

from pathlib import Path

import click

from etl.cli.options import FORMATS, county_option, period_option, render
from etl.config import indicator_map, load_settings
from etl.store import queries


@click.command()
@click.option("--county")
@click.option("--period")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_obj
def submissions(ctx, county, period, fmt) -> None:
    """Every loaded return with its status."""
    df = queries.submissions(ctx.engine, county_option(ctx, county), period_option(period))
    df = df.assign(warnings=df["warnings"].map(len), communities=df["n_communities"], links=df["n_links"])
    cols = ["id", "county_code", "county_name", "period", "file_name", "sha256", "uploaded_by", "uploaded_at",
            "status", "communities", "links", "warnings"]
    render(df[cols], fmt)


@click.command()
@click.option("--period")
@click.option("--level", type=click.Choice(["city", "county", "community"]))
@click.option("--basis", type=click.Choice(["current", "approved"]), default="current",
              help="current: the newest return of each county, approved or not; approved: approved ones only")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_obj
def indicators(ctx, period, level, basis, fmt) -> None:
    """The indicator table: period, area_code, area_name, indicator, value."""
    df = queries.indicator_values(ctx.engine, basis, period_option(period), level)
    df = df[["period", "area_code", "area_name", "indicator", "value"]]
    if fmt == "table":
        names = indicator_map()
        df = df.assign(indicator=df["indicator"].map(lambda i: f"{i} {names[i].name_zh}" if i in names else i))
    render(df, fmt)


@click.command()
@click.option("--period")
@click.option("--basis", type=click.Choice(["current", "approved"]), default="current")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_obj
def scorecard(ctx, period, basis, fmt) -> None:
    """The county scorecard with scores and ranks; an incomplete period ranks the counties that reported, with no
    change of rank, and an indicator that does not apply to a county says `na`."""
    from etl.compute.indicators import not_applicable
    from etl.compute.scorecard import mark_not_applicable, scorecard as build
    from etl.store.completeness import period_states
    values = queries.indicator_values(ctx.engine, basis, None, "county")   # every period: the previous ranks
    incomplete = {s.period for s in period_states(ctx.engine, basis) if not s.complete}
    card = build(values, load_settings(), incomplete)
    chosen = period_option(period)
    if chosen:
        card = card[card["period"] == chosen].reset_index(drop=True)
    with ctx.engine.connect() as conn:
        rows = queries.community_rows(conn, basis, [chosen] if chosen else None, lineage=False)
        links = queries.link_rows(conn, basis, [chosen] if chosen else None)
    card = mark_not_applicable(card, not_applicable(rows, links))
    names = queries.places(ctx.engine, "county").set_index("code")["name"]
    card.insert(2, "area_name", card["area_code"].map(names))
    render(card, fmt)


@click.command()
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--period", multiple=True, help="a period to export (repeatable; default all)")
@click.option("--basis", type=click.Choice(["current", "approved"]), default="current")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
              help="the language of the sheets, headings, names and words (default zh)")
@click.pass_obj
def export(ctx, out, period, basis, lang) -> None:
    """Indicator tables as a formatted workbook (.xlsx) or UTF-8 CSV with BOM (.csv), in Chinese or English."""
    from etl.files.export import write_csv, write_xlsx
    periods = [period_option(p) for p in period] or None
    path = Path(out)
    if path.suffix.lower() == ".csv":
        rows = write_csv(ctx.engine, path, periods=periods, basis=basis, lang=lang)
    elif path.suffix.lower() == ".xlsx":
        rows = write_xlsx(ctx.engine, path, periods=periods, basis=basis, lang=lang)
    else:
        raise click.BadParameter("OUT must end in .xlsx or .csv", param_hint="OUT")
    click.echo(f"wrote {path} ({rows} values)")


@click.command()
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--county", help="county code or name (default: one template per county, OUT_<code>.xlsx)")
@click.option("--period", help="the period (default: this year)")
@click.pass_obj
def template(ctx, out, county, period) -> None:
    """A blank return for a county and period, the registry's communities pre-filled."""
    from datetime import date

    from etl.files.template import write_template
    from etl.store.db import registry_from_db
    registry = registry_from_db(ctx.engine)
    period = period_option(period) or str(date.today().year)
    path = Path(out)
    targets = ({county_option(ctx, county): path} if county else
               {code: path.with_name(f"{path.stem}_{code}{path.suffix or '.xlsx'}") for code in sorted(registry.counties)})
    for code, target in targets.items():
        write_template(target, code, period, registry)
        click.echo(f"wrote {target} ({registry.counties[code]}, {period})")


@click.command()
@click.argument("directory", default="sample_data", type=click.Path(file_okay=False))
@click.option("--city", help="another city's sample, by code or name (梧州市): its registry from the national codes")
def sample(directory, city) -> None:
    """Regenerate the deterministic sample returns (each county × 2013, 2014, 2015; Yulin's by default)."""
    from etl.files.sample import generate
    from etl.national import city_registry
    paths = generate(directory, city_registry(city) if city else None)
    click.echo(f"wrote {len(paths)} returns to {directory}")


@click.command()
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_obj
def periods(ctx, fmt) -> None:
    """Each period: counties reported of those expected on each basis, complete or not, published or not (an
    incomplete period's city figures cover the reporting counties only)."""
    from etl.store.completeness import states_frame
    render(states_frame(ctx.engine), fmt)
