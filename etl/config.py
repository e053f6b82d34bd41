"""The declarative tables shipped in the package (indicators, settings), with the city's overrides."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

UNITS = {  # unit → (Chinese, English) as shown beside a value
    "count": ("个", ""), "pct": ("%", "%"), "m2": ("平方米", "m²"), "items": ("项", "items"),
    "people": ("人", "people"), "wan_yuan": ("万元", "10k yuan"), "person_times": ("人次", "person-times"),
}


@dataclass(frozen=True)
class Indicator:
    """One row of the indicator table (etl/indicators.toml)."""

    id: str
    name_zh: str
    name_en: str
    unit: str
    kind: str
    definition_zh: str = ""
    definition_en: str = ""
    table: str = "community"
    where: str = ""
    among: str = ""
    of: str = ""
    per: str = ""
    target: float | None = None
    direction: str = "up"
    headline: bool = False
    levels: tuple[str, ...] = ("city", "county", "community")

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def unit_label(self, lang: str = "zh") -> str:
        return UNITS[self.unit][1 if lang == "en" else 0]


@dataclass(frozen=True)
class Settings:
    baseline_period: str
    weights: dict[str, float]
    green: float
    amber: float
    max_file_mb: float = 40
    session_idle_hours: float = 8
    session_absolute_days: float = 7
    problems_shown: int = 100           # a checked file's problems listed in the page; the rest are counted, downloadable
    parallel_checks: int = 2            # checks parsing at once on one machine (Celery: the worker's concurrency)
    job_start_seconds: float = 60       # a check no worker has started by then is reported as lost
    job_max_seconds: float = 600        # a check or submission still running by then is stopped, reported as lost
    extra: dict = field(default_factory=dict)


def _read_toml(name: str) -> dict:
    return tomllib.loads(resources.files("etl").joinpath(name).read_text(encoding="utf-8"))


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _city_config() -> dict:
    """The city's own settings file (SHEQU_CONFIG), or nothing."""
    path = os.environ.get("SHEQU_CONFIG")
    return tomllib.loads(Path(path).read_text(encoding="utf-8")) if path else {}


@lru_cache(maxsize=1)
def indicators() -> tuple[Indicator, ...]:
    """The indicators of etl/indicators.toml, with the targets a city sets in SHEQU_CONFIG's [targets] table."""
    rows = _read_toml("indicators.toml")["indicator"]
    targets = _city_config().get("targets", {})
    unknown_targets = set(targets) - {row["id"] for row in rows}
    if unknown_targets:
        raise ValueError(f"SHEQU_CONFIG [targets] names unknown indicators: {', '.join(sorted(unknown_targets))}")
    out = []
    for row in rows:
        if "levels" in row:
            row = {**row, "levels": tuple(row["levels"])}
        if row["id"] in targets:
            row = {**row, "target": float(targets[row["id"]])}
        out.append(Indicator(**row))
    unknown = {i.unit for i in out} - set(UNITS)
    if unknown:
        raise ValueError(f"indicators.toml: unknown units {unknown}")
    return tuple(out)


def indicator_map() -> dict[str, Indicator]:
    return {i.id: i for i in indicators()}


def settings_data(path: str | os.PathLike | None = None) -> dict:
    """The settings as a dict: etl/settings.toml, overridden by the file at `path` or SHEQU_CONFIG."""
    data = _read_toml("settings.toml")
    path = path or os.environ.get("SHEQU_CONFIG")
    if path:
        data = _merge(data, tomllib.loads(Path(path).read_text(encoding="utf-8")))
    return data


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Defaults from etl/settings.toml, overridden by the file at `path` or SHEQU_CONFIG."""
    data = settings_data(path)
    card = data["scorecard"]
    known = indicator_map()
    weights = {k: float(v) for k, v in card["weights"].items()}
    bad = [k for k in weights if k not in known or known[k].target is None]
    if bad:
        raise ValueError(f"scorecard weights name indicators without a target: {', '.join(bad)}")
    session = data.get("session", {})
    if not all(float(session.get(k, 1)) > 0 for k in ("idle_hours", "absolute_days")):
        raise ValueError("session.idle_hours and session.absolute_days must be more than 0")
    upload = data.get("upload", {})
    return Settings(baseline_period=str(data["baseline_period"]), weights=weights, green=float(card["green"]),
                    amber=float(card["amber"]), max_file_mb=float(upload.get("max_file_mb", 40)),
                    session_idle_hours=float(session.get("idle_hours", 8)),
                    session_absolute_days=float(session.get("absolute_days", 7)),
                    problems_shown=int(upload.get("problems_shown", 100)),
                    parallel_checks=max(1, int(upload.get("parallel_checks", 2))),
                    job_start_seconds=float(upload.get("job_start_seconds", 60)),
                    job_max_seconds=float(upload.get("job_max_seconds", 600)))
