"""Dataset sources: local formats, the built-in search order, broken files."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest

from conftest import FASHION_DIR, tiny_images, write_idx
from dltrain.config import config_from_data
from dltrain.data.sources import load_arrays, read_idx
from dltrain.errors import UserError


def cfg(**data):
    return config_from_data({"data": data})


def test_digits_split_is_fixed_and_stratified():
    a = load_arrays(cfg(dataset="digits"))
    b = load_arrays(config_from_data({"seed": 123, "data": {"dataset": "digits"}}))
    assert a.x_train.shape == (1347, 8, 8) and a.x_test.shape == (450, 8, 8)
    np.testing.assert_array_equal(a.y_test, b.y_test)  # the split ignores the run's seed
    assert a.num_classes == 10
    assert np.bincount(a.y_test).min() >= 43 and np.bincount(a.y_test).max() <= 46  # stratified: ~45 each


def test_npz(npz_file):
    a = load_arrays(cfg(dataset="npz", path=str(npz_file)))
    assert a.x_train.shape == (240, 8, 8) and a.x_train.dtype == np.uint8
    assert a.num_classes == 3 and a.y_train.dtype == np.int32


def test_npz_missing_keys(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, x=np.zeros(3))
    with pytest.raises(UserError, match=r"missing arrays \['x_train', 'y_train', 'x_test', 'y_test'\] \(found \['x'\]\)"):
        load_arrays(cfg(dataset="npz", path=str(path)))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_npz_corrupted(npz_file, damage):
    raw = npz_file.read_bytes()
    npz_file.write_bytes({"truncate": raw[: len(raw) // 2], "garbage": b"not a zip" * 10, "empty": b""}[damage])
    with pytest.raises(UserError, match="truncated or corrupted"):
        load_arrays(cfg(dataset="npz", path=str(npz_file)))


def test_npz_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, x_train=np.array([{"a": 1}], dtype=object), y_train=[0], x_test=[0], y_test=[0])
    with pytest.raises(UserError):
        load_arrays(cfg(dataset="npz", path=str(path)))


def test_mismatched_lengths(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, x_train=np.zeros((5, 2)), y_train=np.zeros(4, int), x_test=np.zeros((2, 2)), y_test=np.zeros(2, int))
    with pytest.raises(UserError, match="x_train has 5 samples but y_train has 4"):
        load_arrays(cfg(dataset="npz", path=str(path)))


def test_nan_in_features(tmp_path):
    path = tmp_path / "n.npz"
    x = np.ones((4, 2))
    x[1, 1] = np.nan
    np.savez(path, x_train=x, y_train=np.array([0, 1, 0, 1]), x_test=np.ones((2, 2)), y_test=np.array([0, 1]))
    with pytest.raises(UserError, match="NaN"):
        load_arrays(cfg(dataset="npz", path=str(path)))


def test_idx_dir(idx_dir):
    a = load_arrays(cfg(dataset="idx", path=str(idx_dir)))
    assert a.x_train.shape == (120, 8, 8) and a.x_test.shape == (40, 8, 8)


def test_idx_uncompressed(tmp_path):
    x, _ = tiny_images(4)
    write_idx(tmp_path / "f", x, gz=False)
    np.testing.assert_array_equal(read_idx(tmp_path / "f"), x)


def test_idx_truncated(idx_dir):
    f = idx_dir / "train-images-idx3-ubyte.gz"
    f.write_bytes(gzip.compress(gzip.decompress(f.read_bytes())[:-10]))
    with pytest.raises(UserError, match="the file is truncated"):
        load_arrays(cfg(dataset="idx", path=str(idx_dir)))


def test_idx_bad_magic(idx_dir):
    (idx_dir / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x01\x02\x03\x04rest"))
    with pytest.raises(UserError, match="bad magic number"):
        load_arrays(cfg(dataset="idx", path=str(idx_dir)))


def test_idx_missing_file(idx_dir):
    (idx_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(UserError, match="missing t10k-labels-idx1-ubyte.gz"):
        load_arrays(cfg(dataset="idx", path=str(idx_dir)))


def test_csv_with_string_labels(csv_file):
    a = load_arrays(cfg(dataset="csv", path=str(csv_file), label_column="species", test_split=0.25))
    assert a.x_train.shape == (60, 5) and a.x_test.shape == (20, 5)
    assert a.class_names == ["cat", "dog"] and a.num_classes == 2


def test_csv_with_test_table(csv_file, tmp_path):
    test = tmp_path / "test.csv"
    test.write_text("\n".join(csv_file.read_text().splitlines()[:11]) + "\n")
    a = load_arrays(cfg(dataset="csv", path=str(csv_file), test_path=str(test), label_column="species"))
    assert len(a.x_train) == 80 and len(a.x_test) == 10


def test_csv_missing_label_column(csv_file):
    with pytest.raises(UserError, match="no column 'label' .*set data.label_column"):
        load_arrays(cfg(dataset="csv", path=str(csv_file)))


def test_csv_non_numeric_feature_names_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,label\n1,0\nx,1\n2,0\n3,1\n")
    with pytest.raises(UserError, match=r"t.csv:3: non-numeric feature value 'x'"):
        load_arrays(cfg(dataset="csv", path=str(path)))


def test_csv_ragged_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,label\n1,2,0\n3,1\n")
    with pytest.raises(UserError, match=r"t.csv:3: row has 2 fields but the header has 3"):
        load_arrays(cfg(dataset="csv", path=str(path)))


def test_relative_path_is_relative_to_the_config(tmp_path, npz_file, write_config):
    from dltrain.config import load_config

    config = load_config(write_config(f"data: {{dataset: npz, path: {npz_file.name}}}\n"))
    assert load_arrays(config).x_train.shape[0] == 240


def test_builtin_found_in_data_dir(tmp_path, monkeypatch, npz_file):
    (tmp_path / "data").mkdir()
    npz_file.rename(tmp_path / "data" / "mnist.npz")
    monkeypatch.setenv("DLTRAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "no-keras"))
    assert load_arrays(cfg(dataset="mnist"), download=False).x_train.shape == (240, 8, 8)


def test_builtin_path_wins_over_data_dir(tmp_path, monkeypatch, npz_file):
    monkeypatch.setenv("DLTRAIN_DATA_DIR", str(tmp_path / "elsewhere"))
    a = load_arrays(cfg(dataset="mnist", path=str(npz_file)), download=False)
    assert len(a.x_train) == 240


def test_builtin_in_keras_cache(tmp_path, monkeypatch, idx_dir):
    cache = tmp_path / "kh" / "datasets"
    cache.mkdir(parents=True)
    idx_dir.rename(cache / "fashion-mnist")
    monkeypatch.delenv("DLTRAIN_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    a = load_arrays(cfg(dataset="fashion_mnist"), download=False)
    assert a.x_train.shape == (120, 8, 8) and a.class_names[0] == "T-shirt/top"


def test_not_found_lists_every_place_tried(tmp_path, monkeypatch):
    monkeypatch.setenv("DLTRAIN_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "k"))
    with pytest.raises(UserError) as info:
        load_arrays(cfg(dataset="cifar10"), download=False)
    msg = str(info.value)
    assert "dataset 'cifar10' not found" in msg
    assert f"$DLTRAIN_DATA_DIR {tmp_path / 'd'}" in msg and f"Keras's cache {tmp_path / 'k' / 'datasets'}" in msg
    assert "cifar-10-batches-py" in msg


def test_cifar10_folder(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 255, (4, 3072), dtype=np.uint8), b"labels": [0, 1, 2, 9]}
        (folder / name).write_bytes(pickle.dumps(batch))
    a = load_arrays(cfg(dataset="cifar10", path=str(folder)), download=False)
    assert a.x_train.shape == (20, 32, 32, 3) and a.class_names[9] == "truck"


def test_cifar_pickle_cannot_run_code(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            import os

            return (os.system, (f"touch {marker}",))

    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (folder / name).write_bytes(pickle.dumps({b"data": Evil(), b"labels": [0]}))
    with pytest.raises(UserError, match="refusing to load"):
        load_arrays(cfg(dataset="cifar10", path=str(folder)), download=False)
    assert not marker.exists()


@pytest.mark.skipif(not FASHION_DIR.exists(), reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_system_copy(tmp_path, monkeypatch):
    monkeypatch.delenv("DLTRAIN_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    a = load_arrays(cfg(dataset="fashion_mnist"), download=False)
    assert a.x_train.shape == (60000, 28, 28) and a.x_test.shape == (10000, 28, 28)
    assert a.origin == str(FASHION_DIR)


@pytest.mark.skipif(not FASHION_DIR.exists(), reason="Debian's dataset-fashion-mnist is not installed")
def test_an_empty_folder_left_by_a_failed_keras_download_is_passed_over(tmp_path, monkeypatch):
    # keras.datasets.fashion_mnist.load_data() offline creates ~/.keras/datasets/fashion-mnist, then fails.
    monkeypatch.delenv("DLTRAIN_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets" / "fashion-mnist").mkdir(parents=True)
    a = load_arrays(cfg(dataset="fashion_mnist"), download=False)
    assert a.origin == str(FASHION_DIR)
