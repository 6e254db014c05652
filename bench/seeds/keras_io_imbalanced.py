"""keras-io's "Imbalanced classification: credit card fraud detection", on breast cancer data.

Source: keras-io/examples/structured_data/imbalanced_classification.py (fchollet, 2019/05/28,
last modified 2020/04/17; https://keras.io/examples/structured_data/imbalanced_classification/).
Kept exactly: class weights 1 / (training count of the class); features standardized with the
training split's mean and (population) std; Dense 256 relu → Dense 256 relu → Dropout 0.3 →
Dense 256 relu → Dropout 0.3 → Dense 1 sigmoid; Adam(1e-2), binary_crossentropy, metrics
fn/fp/tn/tp/precision/recall; fit with batch_size=2048, epochs=30, validation_data = the
held-out rows, class_weight. The per-epoch ModelCheckpoint is kept, writing to a temporary
folder that is removed at the end.
Changed: only the data. The example reads Kaggle's creditcard.csv (not downloadable offline)
and holds out its last 20 %; here scikit-learn's embedded breast_cancer table (569 rows,
30 features; 212 malignant = label 0, 357 benign = label 1, used as is: 37 % / 63 %) is
split as dltrain splits it (`test_split` 0.25, `train_test_split(..., random_state=0,
stratify=y)`), and the held-out rows are the example's validation set, scored at the end.
Labels stay scikit-learn's (and dltrain's), so the "positive" class of tp/precision/recall is
benign (1), the majority; the minority's recall is tn / (tn + fp), reported as
`recall_malignant`. Accuracy is (tp + tn) / n, from the example's own metrics.

    python bench/seeds/keras_io_imbalanced.py [--seed 42]

prints one JSON line: trainable/total parameter counts, class weights, test metrics, seconds.
"""

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--test-split", type=float, default=0.25)
args = parser.parse_args()
start = time.perf_counter()

import keras  # noqa: E402

keras.utils.set_random_seed(args.seed)

# The data: dltrain's split of the breast_cancer table (src/dltrain/data/sources/builtin.py).
bunch = load_breast_cancer()
features = bunch.data.astype("float32")
labels = bunch.target
train_features, val_features, train_labels, val_labels = train_test_split(
    features, labels, test_size=args.test_split, random_state=0, stratify=labels)
train_targets = train_labels.astype("uint8")[:, None]  # the example's (n, 1) uint8 targets
val_targets = val_labels.astype("uint8")[:, None]

# The example from here on.
counts = np.bincount(train_targets[:, 0])
weight_for_0 = 1.0 / counts[0]
weight_for_1 = 1.0 / counts[1]

mean = np.mean(train_features, axis=0)
train_features -= mean
val_features -= mean
std = np.std(train_features, axis=0)
train_features /= std
val_features /= std

model = keras.Sequential(
    [
        keras.Input(shape=train_features.shape[1:]),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)

metrics = [
    keras.metrics.FalseNegatives(name="fn"),
    keras.metrics.FalsePositives(name="fp"),
    keras.metrics.TrueNegatives(name="tn"),
    keras.metrics.TruePositives(name="tp"),
    keras.metrics.Precision(name="precision"),
    keras.metrics.Recall(name="recall"),
]

model.compile(
    optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=metrics
)

with tempfile.TemporaryDirectory() as checkpoints:
    callbacks = [keras.callbacks.ModelCheckpoint(os.path.join(checkpoints, "fraud_model_at_epoch_{epoch}.keras"))]
    class_weight = {0: weight_for_0, 1: weight_for_1}

    model.fit(
        train_features,
        train_targets,
        batch_size=2048,
        epochs=30,
        verbose=0,  # the example says 2 (one line per epoch); stdout here is one JSON line
        callbacks=callbacks,
        validation_data=(val_features, val_targets),
        class_weight=class_weight,
    )

scores = model.evaluate(val_features, val_targets, verbose=0, return_dict=True)
tp, tn, fp, fn = (float(scores[k]) for k in ("tp", "tn", "fp", "fn"))
trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
print(json.dumps({
    "example": "keras-io/examples/structured_data/imbalanced_classification.py",
    "data": "sklearn load_breast_cancer (0 malignant, 1 benign)",
    "seed": args.seed,
    "trainable_params": trainable,
    "total_params": int(model.count_params()),
    "train_counts": [int(c) for c in counts],
    "class_weight": {"0": weight_for_0, "1": weight_for_1},
    "test_loss": float(scores["loss"]),
    "test_accuracy": (tp + tn) / (tp + tn + fp + fn),
    "test_precision": float(scores["precision"]),
    "test_recall": float(scores["recall"]),
    "recall_malignant": tn / (tn + fp),
    "fn": fn, "fp": fp, "tn": tn, "tp": tp,
    "seconds": round(time.perf_counter() - start, 2),
}))
