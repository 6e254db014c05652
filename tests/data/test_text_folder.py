"""Text folders: Keras's text_dataset_from_directory layout, TextVectorization adapted on the training split."""

from __future__ import annotations

import pytest

from dltrain.config import Config
from dltrain.errors import UserError

WORDS = {"cats": "meow purr whiskers", "dogs": "bark woof fetch"}


def _folder(root, extra=""):
    for name, words in WORDS.items():
        (root / name).mkdir(parents=True)
        for i in range(12):
            (root / name / f"{i}.txt").write_text(f"{words} {extra}".strip())
    return root


def _config(path, test_path, first=None):
    layers = [first or {"TextVectorization": {"max_tokens": 50, "output_sequence_length": 6}},
              {"Embedding": {"input_dim": 50, "output_dim": 4}}, "GlobalAveragePooling1D", "Dense"]
    return Config.model_validate({"data": {"dataset": "text_folder", "path": str(path), "test_path": str(test_path),
                                           "validation_split": 0}, "model": {"type": "sequential", "layers": layers},
                                  "training": {"batch_size": 4}})


def test_bundle_reads_classes_and_vectorizes(tmp_path):
    from dltrain.data import load_bundle

    bundle = load_bundle(_config(_folder(tmp_path / "train"), _folder(tmp_path / "test")), seed=1)
    assert (bundle.kind, bundle.class_names, bundle.n_train, bundle.n_test) == ("text_folder", ["cats", "dogs"], 24, 24)
    assert bundle.input_shape == (6,)
    x, _ = next(iter(bundle.train.dataset))
    assert x.shape == (4, 6) and x.dtype.name == "int64"
    assert bundle.extras["layers_in_preprocessing"] == 1


def test_vocabulary_is_adapted_on_the_training_split_only(tmp_path):
    from dltrain.data.text_folder import text_folder_bundle
    from dltrain.tf_quiet import tf

    bundle = text_folder_bundle(_config(_folder(tmp_path / "train"), _folder(tmp_path / "test", "zebra")), seed=1)
    ids = bundle.preprocessing(tf.constant(["zebra meow"])).numpy()[0]
    assert ids[0] == 1  # "zebra" is only in the test split: the OOV index
    assert ids[1] > 1


def test_first_layer_must_be_text_vectorization(tmp_path):
    from dltrain.data.text_folder import text_folder_bundle

    config = _config(_folder(tmp_path / "train"), _folder(tmp_path / "test"), first={"Dense": {"units": 3}})
    with pytest.raises(UserError, match="starts with a TextVectorization"):
        text_folder_bundle(config, seed=1)


def test_int_output_needs_a_sequence_length(tmp_path):
    from dltrain.data.text_folder import text_folder_bundle

    config = _config(_folder(tmp_path / "train"), _folder(tmp_path / "test"), first={"TextVectorization": {}})
    with pytest.raises(UserError, match="needs output_sequence_length"):
        text_folder_bundle(config, seed=1)


@pytest.mark.slow
@pytest.mark.parametrize("middle", [[{"LSTM": {"units": 8}}], [{"Conv1D": {"filters": 8, "kernel_size": 3}},
                                                               "GlobalMaxPooling1D"]])
def test_embedding_models_train_on_the_bundle(tmp_path, middle):
    from dltrain.data.text_folder import text_folder_bundle
    from dltrain.tf_quiet import keras

    bundle = text_folder_bundle(_config(_folder(tmp_path / "train"), _folder(tmp_path / "test")), seed=1)
    layers = [keras.layers.Embedding(50, 8)]
    for spec in middle:
        name, kwargs = next(iter(spec.items())) if isinstance(spec, dict) else (spec, {})
        layers.append(getattr(keras.layers, name)(**kwargs))
    model = keras.Sequential([keras.Input(bundle.input_shape), *layers, keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(bundle.train.dataset, epochs=30, verbose=0)
    raw = bundle.raw_inputs()
    serving = keras.Model(raw, model(bundle.preprocessing(raw)))
    serving.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert serving.evaluate(bundle.test, verbose=0, return_dict=True)["accuracy"] == 1.0


@pytest.mark.slow
def test_a_text_run_through_fit_takes_raw_strings(tmp_path):
    import json

    import numpy as np

    from dltrain import runs
    from dltrain.tf_quiet import keras, tf
    from dltrain.training import fit

    config = _config(_folder(tmp_path / "train"), _folder(tmp_path / "test"))
    config.training.epochs = 30
    result = fit(config, runs_dir=tmp_path / "runs", verbose=0)
    model = keras.saving.load_model(result.run_dir / runs.MODEL)  # safe_mode: no dltrain objects inside
    texts = tf.constant([WORDS["cats"], WORDS["dogs"]])
    assert model.predict(texts, verbose=0).argmax(axis=-1).tolist() == [0, 1]
    metrics = json.loads((result.run_dir / runs.METRICS).read_text())
    assert metrics["test"]["accuracy"] == 1.0 and np.isfinite(metrics["test"]["loss"])
    _, _, names = runs.read_predictions(result.run_dir)
    assert names == ["cats", "dogs"]
