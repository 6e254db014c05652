"""Writes features.csv: the feature table behind configs/features_mlp.yaml.

Seed 001 trains an MLP on 100 numeric features and 10 classes without saying
where they come from; this makes such a table, reproducibly:
    python configs/data/make_features.py
"""

import csv
from pathlib import Path

from sklearn.datasets import make_classification

x, y = make_classification(
    n_samples=2000, n_features=100, n_informative=20, n_redundant=10, n_classes=10,
    n_clusters_per_class=1, class_sep=3.0, random_state=0,
)
with open(Path(__file__).with_name("features.csv"), "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow([f"f{i}" for i in range(100)] + ["label"])
    for row, label in zip(x, y):
        writer.writerow([f"{v:.3f}" for v in row] + [int(label)])
