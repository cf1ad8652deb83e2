"""Build the bundled local-authority benchmark sample (SYNTHETIC values).

    python workbook_templates/build_la_sample.py

Writes ``data/synthetic_la_benchmarks.csv`` in the tidy layout of DfE's open
data: every one of the 153 English local authorities (real names, codes and
regions from ``rules/local_authorities.csv``), the nine regions and England,
for 2020/21 and 2021/22.  THE VALUES ARE SYNTHETIC: drawn from a seeded
random generator around plausible levels, for the demo and the tests only.
Regional and national rows are ratios of summed numerators and denominators,
as DfE publishes them, not averages of authorities.  A few cells carry DfE's
suppression codes (c, x, low, z) so the missing-value handling is exercised.
"""
from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from cyps_xl.la_data import load_authorities  # noqa: E402

OUT = ROOT / "workbook_templates" / "data" / "synthetic_la_benchmarks.csv"
# column -> (typical level, spread, scale: 10000 for rates, 100 for percentages)
MEASURES = {
    "cin_rate_per_10000": (330.0, 60.0, 10000),
    "cpp_rate_per_10000": (42.0, 14.0, 10000),
    "cla_rate_per_10000": (70.0, 22.0, 10000),
    "assessments_within_45_days_pct": (84.0, 8.0, 100),
    "icpc_within_15_days_pct": (78.0, 11.0, 100),
    "cpp_second_time_pct": (22.0, 5.0, 100),
    "cla_three_placements_pct": (10.0, 2.5, 100),
    "cla_stable_two_years_pct": (69.0, 5.0, 100),
    "care_leavers_suitable_accommodation_pct": (88.0, 5.0, 100),
    "care_leavers_eet_pct": (54.0, 7.0, 100),
}
PERIODS = ["202021", "202122"]
SUPPRESS = {("Isles of Scilly", None): "c", ("City of London", "cla_three_placements_pct"): "low",
            ("Rutland", "icpc_within_15_days_pct"): "c", ("Wigan", "cpp_second_time_pct"): "x",
            ("Tameside", "care_leavers_eet_pct"): "z"}


def main() -> Path:
    rng = random.Random(20220331)
    authorities = load_authorities()
    population = {la: rng.randint(20_000, 250_000) for la in authorities}
    rows = []
    for period in PERIODS:
        totals = {}
        for la in authorities:
            record = {"time_period": period, "time_identifier": "Financial year", "geographic_level": "Local authority",
                      "country_code": "E92000001", "country_name": "England", "region_code": "", "region_name": la.region,
                      "old_la_code": la.old_code, "new_la_code": la.new_code, "la_name": la.name}
            for column, (level, spread, scale) in MEASURES.items():
                base = population[la] if scale == 10000 else rng.randint(40, 900)
                rate = max(0.0, rng.gauss(level, spread))
                if scale == 100:
                    rate = min(rate, 100.0)
                numerator = round(base * rate / scale)
                value = numerator / base * scale
                suppressed = SUPPRESS.get((la.name, column)) or SUPPRESS.get((la.name, None))
                record[column] = suppressed if suppressed else f"{value:.1f}"
                if not suppressed:
                    for key in ("England", la.region):
                        total = totals.setdefault((key, column), [0, 0])
                        total[0] += numerator
                        total[1] += base
            rows.append(record)
        for key in ["England"] + sorted({la.region for la in authorities}):
            record = {"time_period": period, "time_identifier": "Financial year",
                      "geographic_level": "National" if key == "England" else "Regional",
                      "country_code": "E92000001", "country_name": "England", "region_code": "",
                      "region_name": "" if key == "England" else key, "old_la_code": "", "new_la_code": "", "la_name": ""}
            for column, (_, _, scale) in MEASURES.items():
                numerator, base = totals[(key, column)]
                record[column] = f"{numerator / base * scale:.1f}"
            rows.insert(0 if key == "England" else 1, record)
    fields = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
              "region_name", "old_la_code", "new_la_code", "la_name", *MEASURES]
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return OUT


if __name__ == "__main__":
    print(main())
