"""TensorFlow's "Basic regression: Predict fuel efficiency" DNN, on scikit-learn's diabetes data.

Source: https://www.tensorflow.org/tutorials/keras/regression (the `build_and_compile_model`
DNN that keras.io users copy; keras-io has no plain-DNN regression example of its own).
Kept exactly: a Normalization layer adapted on the training features, Dense 64 relu,
Dense 64 relu, Dense 1; loss mean_absolute_error, Adam(0.001); fit with
validation_split=0.2, epochs=100 (default batch size 32); evaluate on the test set.
Changed: only the data. The tutorial downloads Auto MPG and splits 80/20 with
`DataFrame.sample(frac=0.8, random_state=0)`; here scikit-learn's embedded diabetes table
(442 rows, 10 features, disease progression target) is split as dltrain splits it
(`test_split` 0.25, `train_test_split(..., random_state=0)`, no stratification), so this
script and configs/diabetes_regression.yaml score the same test rows.

    python bench/seeds/keras_io_regression.py [--seed 42]

prints one JSON line: trainable/total parameter counts, test MAE (the loss), seconds.
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--test-split", type=float, default=0.25)
args = parser.parse_args()
start = time.perf_counter()

import keras  # noqa: E402
from keras import layers  # noqa: E402

keras.utils.set_random_seed(args.seed)

# The data: dltrain's split of the diabetes table (src/dltrain/data/sources/builtin.py).
bunch = load_diabetes()
x, y = bunch.data.astype(np.float32), bunch.target.astype(np.float32)
train_features, test_features, train_labels, test_labels = train_test_split(
    x, y, test_size=args.test_split, random_state=0, stratify=None)

# The tutorial from here on.
normalizer = layers.Normalization(axis=-1)
normalizer.adapt(np.array(train_features))


def build_and_compile_model(norm):
    model = keras.Sequential([
        norm,
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(loss="mean_absolute_error", optimizer=keras.optimizers.Adam(0.001))
    return model


dnn_model = build_and_compile_model(normalizer)
history = dnn_model.fit(train_features, train_labels, validation_split=0.2, verbose=0, epochs=100)
test_mae = dnn_model.evaluate(test_features, test_labels, verbose=0)

trainable = int(sum(np.prod(w.shape) for w in dnn_model.trainable_weights))
print(json.dumps({
    "example": "tensorflow.org/tutorials/keras/regression (DNN)",
    "data": "sklearn load_diabetes",
    "seed": args.seed,
    "trainable_params": trainable,
    "total_params": int(dnn_model.count_params()),
    "test_mae": float(test_mae),
    "n_train": int(len(train_features)),
    "n_test": int(len(test_features)),
    "seconds": round(time.perf_counter() - start, 2),
}))
