"""Writes configs/data/wines.csv: scikit-learn's embedded wine data as a table of mixed columns.

The 178 wines of `sklearn.datasets.load_wine` (three cultivars, the label)
keep six measured columns as numbers; two become categories (`colour`:
pale/medium/deep from colour intensity; `region`: a string derived from the
flavanoids tercile, which is realistic but made up), and a free-text
`tasting_note` is composed from words that follow the measurements. About 5 %
of the feature cells are left empty (seeded), to exercise the missing-cells
policy. Offline: the data ships inside scikit-learn.

    python configs/data/make_mixed_table.py configs/data/wines.csv
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from sklearn.datasets import load_wine

NUMBERS = ("alcohol", "malic_acid", "ash", "magnesium", "total_phenols", "proline")


def _words(value: float, low: float, high: float, words: tuple[str, str, str]) -> str:
    return words[0] if value < low else words[2] if value > high else words[1]


def rows(seed: int) -> list[dict[str, str]]:
    """The table's rows as strings, the label column last."""
    wine = load_wine()
    data = dict(zip(wine.feature_names, wine.data.T))
    rng = np.random.default_rng(seed)
    q = lambda name: np.quantile(data[name], [1 / 3, 2 / 3])  # noqa: E731
    out = []
    for i in range(len(wine.target)):
        row = {name: f"{data[name][i]:.2f}" for name in NUMBERS}
        row["colour"] = _words(data["color_intensity"][i], *q("color_intensity"), ("pale", "medium", "deep"))
        row["region"] = _words(data["flavanoids"][i], *q("flavanoids"), ("coast", "valley", "hills"))
        note = [_words(data["hue"][i], *q("hue"), ("brick", "ruby", "bright")),
                _words(data["proanthocyanins"][i], *q("proanthocyanins"), ("soft", "round", "firm")),
                "tannins", _words(data["od280/od315_of_diluted_wines"][i], *q("od280/od315_of_diluted_wines"),
                                  ("thin", "balanced", "full")),
                rng.choice(["finish", "body", "nose", "palate"])]
        row["tasting_note"] = " ".join(note)
        for name in rng.choice(list(row), size=rng.binomial(len(row), 0.05), replace=False):
            row[name] = ""
        row["cultivar"] = f"cultivar_{wine.target[i]}"
        out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    table = rows(args.seed)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    print(f"{args.out}: {len(table)} rows")


if __name__ == "__main__":
    main()
