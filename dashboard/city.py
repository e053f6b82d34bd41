"""The city in titles: the app's name on every page, the login and error pages (the city from the database)."""
from __future__ import annotations

from etl.registry import City

from .data import request_city
from .i18n import t


def city_name(city: City, lang: str) -> str:
    """The city as a title names it: 梧州市; in English without the level, Wuzhou."""
    if lang != "en":
        return city.name
    return city.name_en.removesuffix(" City") if city.name_en.endswith(" City") else city.name_en


def app_title(lang: str, city: City | None = None) -> str:
    """The app's name: 梧州市社区标准化建设监测 / Wuzhou Community Standardisation Monitor."""
    return t("app_title", lang, city=city_name(city or request_city(), lang))
