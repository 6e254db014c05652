"""The image-folder data kind: listing, checks, splits, the pipeline, and fit end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dltrain import runs
from dltrain.config import config_from_data, load_config
from dltrain.errors import UserError

CLASSES = ["cat", "dog", "fox"]


def write_folder(root: Path, per_class: int = 12, size: int = 16, seed: int = 0) -> Path:
    """3 classes of 16×16 grayscale PNGs; each class is bright in its own quadrant (learnable in a few steps)."""
    from conftest import tiny_images

    x, y = tiny_images(per_class * 10, seed=seed, size=size)
    for label, name in enumerate(CLASSES):
        (root / name).mkdir(parents=True)
        for i, image in enumerate(x[y == label][:per_class]):
            Image.fromarray(image, "L").save(root / name / f"{i}.png")
    return root


def folder_config(root: Path, **data) -> object:
    return config_from_data({
        "seed": 3,
        "data": {"dataset": "image_folder", "path": str(root), "image_size": [16, 16], "color_mode": "grayscale",
                 "validation_split": 0.0, **data},
        "model": {"type": "sequential", "layers": [{"Conv2D": {"filters": 4, "kernel_size": 3}}, "Flatten", "Dense"]},
        "training": {"batch_size": 4},
    })


@pytest.fixture
def folder(tmp_path):
    return write_folder(tmp_path / "images")


def test_bundle_lists_classes_and_holds_out_a_stratified_test_split(folder):
    from dltrain.data.image_folder import image_folder_bundle

    bundle = image_folder_bundle(folder_config(folder, test_split=0.25), seed=1)
    assert bundle.class_names == CLASSES
    assert (bundle.n_train, bundle.n_val, bundle.n_test) == (27, 0, 9)
    assert np.bincount(bundle.y_test).tolist() == [3, 3, 3]  # stratified: 3 of each class's 12
    assert np.bincount(bundle.train_labels).tolist() == [9, 9, 9]
    assert bundle.input_shape == (16, 16, 1)
    x, _ = next(iter(bundle.test))
    assert float(x.numpy().max()) > 1.0  # the test set is raw (0–255); the saved model scales it
    assert bundle.train.dataset.cardinality().numpy() == bundle.train.steps_per_epoch == 7


def test_each_epoch_has_its_own_reproducible_order(folder):
    from dltrain.data.image_folder import image_folder_bundle

    bundle = image_folder_bundle(folder_config(folder), seed=1)

    def labels(epoch):
        bundle.train.set_epoch(epoch)
        return np.concatenate([y.numpy() for _, y in bundle.train.dataset]).tolist()

    first, second = labels(0), labels(1)
    assert first != second
    assert labels(0) == first
    assert sorted(first) == sorted(bundle.train_labels.tolist())


def test_validation_split_and_test_folder(folder, tmp_path):
    from dltrain.data.image_folder import image_folder_bundle

    test_folder = write_folder(tmp_path / "test", per_class=2, seed=5)
    bundle = image_folder_bundle(folder_config(folder, test_path=str(test_folder), validation_split=0.25), seed=1)
    assert (bundle.n_train, bundle.n_val, bundle.n_test) == (27, 9, 6)


def test_test_folder_with_other_classes_is_refused(folder, tmp_path):
    from dltrain.data.image_folder import image_folder_bundle

    other = write_folder(tmp_path / "test", per_class=1)
    (other / "cat").rename(other / "cow")
    with pytest.raises(UserError, match="data.test_path: .*class"):
        image_folder_bundle(folder_config(folder, test_path=str(other)), seed=1)


@pytest.mark.parametrize("damage, words", [
    (lambda p: Image.new("L", (20, 16)).save(p), r"dog/3\.png is 16×20 pixels, not data.image_size 16×16"),
    (lambda p: p.write_bytes(b"not a png"), r"dog/3\.png cannot be read as an image"),
])
def test_a_bad_image_file_is_one_error_naming_it(folder, damage, words):
    from dltrain.data.image_folder import image_folder_bundle

    damage(folder / "dog" / "3.png")
    with pytest.raises(UserError, match=words) as err:
        image_folder_bundle(folder_config(folder), seed=1)
    assert len(str(err.value).splitlines()) == 1


def test_missing_folder_names_the_key(tmp_path):
    from dltrain.data.image_folder import image_folder_bundle

    with pytest.raises(UserError, match=r"data.path: .*nowhere: no such file or folder"):  # caught as the config loads
        image_folder_bundle(folder_config(tmp_path / "nowhere"), seed=1)


def test_image_size_is_required(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data:\n  dataset: image_folder\n  path: images\n")
    with pytest.raises(UserError, match=r"c.yaml:1: data: image_folder needs the images' size"):
        load_config(path)


def test_channels_reshape_is_refused(folder):
    from dltrain.data.image_folder import image_folder_bundle

    with pytest.raises(UserError, match="data.reshape: images from a folder already have their channel axis"):
        image_folder_bundle(folder_config(folder, reshape="channels"), seed=1)


def test_dense_first_layer_gets_flat_images(folder):
    from dltrain.data.image_folder import image_folder_bundle

    config = folder_config(folder)
    config.model = {"type": "mlp", "hidden_units": [8]}
    assert image_folder_bundle(config, seed=1).input_shape == (256,)


def test_standard_scale_is_adapted_on_the_training_images(folder):
    from dltrain.data.image_folder import image_folder_bundle

    bundle = image_folder_bundle(folder_config(folder, scale="standard"), seed=1)
    x = np.concatenate([x.numpy() for x, _ in bundle.train.dataset])
    assert abs(float(x.mean())) < 1e-3 and abs(float(x.std()) - 1.0) < 1e-2


@pytest.mark.slow
def test_fit_on_a_folder_saves_a_model_that_reads_raw_images(tmp_path):
    from dltrain.tf_quiet import keras
    from dltrain.training import fit

    folder = write_folder(tmp_path / "images", per_class=40)
    (tmp_path / "run.yaml").write_text(
        "seed: 5\n"
        "data: {dataset: image_folder, path: images, image_size: [16, 16], color_mode: grayscale, "
        "test_split: 0.25, validation_split: 0.2}\n"
        "model:\n  type: sequential\n  layers:\n"
        "    - RandomZoom: {height_factor: 0.05, seed: 1}\n"
        "    - RandomRotation: {factor: 0.02, seed: 1}\n"
        "    - Conv2D: {filters: 8, kernel_size: 3, activation: relu}\n"
        "    - MaxPooling2D\n    - Flatten\n    - Dense\n"
        "optimizer: {Adam: {learning_rate: 0.01}}\n"
        "training: {epochs: 6, batch_size: 8}\n"
    )
    result = fit(load_config(tmp_path / "run.yaml"), runs_dir=tmp_path / "runs", verbose=0)

    y_true, _, class_names = runs.read_predictions(result.run_dir)
    assert class_names == CLASSES
    per_class = json.loads((result.run_dir / "per_class.json").read_text())
    assert set(CLASSES) <= set(json.dumps(per_class).replace('"', " ").split())

    # Keras alone, raw pixels from disk: the run's test accuracy, and no augmentation at inference.
    model = keras.saving.load_model(result.run_dir / "model.keras", safe_mode=True)
    test = keras.utils.image_dataset_from_directory(folder, image_size=(16, 16), color_mode="grayscale",
                                                    shuffle=False, batch_size=None, verbose=False)
    images = np.stack([x.numpy() for x, _ in test])
    labels = np.array([y.numpy() for _, y in test])
    first, second = model.predict(images, verbose=0), model.predict(images, verbose=0)
    np.testing.assert_array_equal(first, second)
    assert result.test_metrics["accuracy"] > 0.8
    # The test split is a subset of the folder: score the same files the run scored.
    files = np.array(test.file_paths)
    from dltrain.data.image_folder import list_images, stratified_split
    from dltrain.data.sources.builtin import TEST_SPLIT_SEED

    listed = list_images(load_config(tmp_path / "run.yaml"), "path")
    _, held = stratified_split(listed.labels, 0.25, TEST_SPLIT_SEED)
    index = [int(np.flatnonzero(files == p)[0]) for p in listed.paths[held]]
    accuracy = float((first[index].argmax(-1) == labels[index]).mean())
    assert accuracy == pytest.approx(result.test_metrics["accuracy"], abs=1e-6)
    assert y_true.tolist() == labels[index].tolist()


@pytest.mark.slow
def test_augmentation_is_active_in_training(folder):
    from dltrain.data.image_folder import image_folder_bundle
    from dltrain.models.builder import build_model

    config = folder_config(folder)
    config.model = {"type": "sequential", "layers": [{"RandomFlip": {"seed": 1}}, "Flatten", "Dense"]}
    bundle = image_folder_bundle(config, seed=1)
    model = build_model(config, bundle.input_shape, 3, bundle.label_encoding)
    x, _ = next(iter(bundle.train.dataset))
    flip = model.layers[0]
    assert not np.array_equal(flip(x, training=True).numpy(), x.numpy())
    np.testing.assert_array_equal(flip(x, training=False).numpy(), x.numpy())
