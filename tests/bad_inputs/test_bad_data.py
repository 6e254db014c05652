"""Bad data files: any content is a clean error or a correct read, checked before a run directory exists.

NPZ, IDX, CSV and CIFAR files that are damaged, of the wrong kind or shape, or
that ask for a huge allocation (a header declaring gigabytes, a gzip stream that
inflates past its header, a pickled array of a terabyte, a label of 10**12).
"""

from __future__ import annotations

import gzip
import pickle
import struct
import zipfile

import numpy as np
import pytest

from conftest import tiny_images, write_idx
from corpus import CIFAR, CSV, IDX, NPZ, check_case, gz, make_idx, npz, truncate


def setup_truncated_npz(d):
    npz(d / "data.npz"); truncate(d / "data.npz")  # noqa: E702


def setup_empty_npz(d):
    (d / "data.npz").write_bytes(b"")


def setup_text_npz(d):
    (d / "data.npz").write_text("x_train,y_train\n1,2\n")


def setup_npz_missing_keys(d):
    np.savez(d / "data.npz", images=np.zeros((4, 2)), labels=np.zeros(4))


def setup_npz_mismatch(d):
    npz(d / "data.npz", y_train=np.zeros(10, np.uint8))


def setup_npz_nan(d):
    x = np.random.rand(64, 8, 8)
    x[3, 2, 1] = np.nan
    npz(d / "data.npz", x_train=x)


def setup_npz_fraction_labels(d):
    npz(d / "data.npz", y_train=np.linspace(0, 1, 64))


def setup_npz_object(d):
    npz(d / "data.npz", x_train=np.array([{"a": 1}] * 64, dtype=object))


def setup_idx_truncated(d):
    make_idx(d / "idx")
    f = d / "idx" / "train-images-idx3-ubyte.gz"
    f.write_bytes(gzip.compress(gzip.decompress(f.read_bytes())[:-7]))


def setup_idx_bad_gzip(d):
    make_idx(d / "idx")
    truncate(d / "idx" / "t10k-images-idx3-ubyte.gz", 0.3)


def setup_idx_bad_magic(d):
    make_idx(d / "idx")
    (d / "idx" / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x12\x34\x56\x78" + b"\x00" * 32))


def setup_idx_missing(d):
    make_idx(d / "idx")
    (d / "idx" / "t10k-labels-idx1-ubyte.gz").unlink()


def setup_idx_mismatch(d):
    make_idx(d / "idx")
    write_idx(d / "idx" / "train-labels-idx1-ubyte.gz", np.zeros(5, np.uint8))


def setup_csv_no_label(d):
    (d / "t.csv").write_text("a,b,target\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")


def setup_csv_text_feature(d):
    (d / "t.csv").write_text("a,b,label\n1,2,0\n3,x4,1\n5,6,0\n7,8,1\n")


def setup_csv_ragged(d):
    (d / "t.csv").write_text("a,b,label\n1,2,0\n3,1\n5,6,0\n7,8,1\n")


def setup_csv_empty(d):
    (d / "t.csv").write_text("")


def setup_csv_header_only(d):
    (d / "t.csv").write_text("a,b,label\n")


def setup_cifar_corrupted(d):
    folder = d / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (folder / name).write_bytes(pickle.dumps({b"data": 1})[:-3])


def setup_good_npz(d):
    npz(d / "data.npz")




def npy_bytes(shape, dtype="<u1", data=b"") -> bytes:
    """An .npy member whose header declares ``shape``, followed by ``data``."""
    header = repr({"descr": dtype, "fortran_order": False, "shape": tuple(shape)}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


def setup_npz_huge_header(d):
    with zipfile.ZipFile(d / "data.npz", "w") as z:
        z.writestr("x_train.npy", npy_bytes((10**12, 8)))
        for k in ("y_train", "x_test", "y_test"):
            z.writestr(f"{k}.npy", npy_bytes((4,), data=b"\x00" * 4))


def setup_npz_header_longer_than_data(d):
    with zipfile.ZipFile(d / "data.npz", "w") as z:
        z.writestr("x_train.npy", npy_bytes((1000, 64), data=b"\x00" * 100))
        for k in ("y_train", "x_test", "y_test"):
            z.writestr(f"{k}.npy", npy_bytes((4,), data=b"\x00" * 4))


def setup_npy_not_npz(d):
    np.save(d / "data.npz.npy", np.zeros((4, 4)))
    (d / "data.npz.npy").rename(d / "data.npz")


def setups_npz(**arrays):
    return lambda d: npz(d / "data.npz", **arrays)


def setup_idx_header_huge(d):
    make_idx(d / "idx")
    (d / "idx" / "train-images-idx3-ubyte.gz").write_bytes(gz(bytes([0, 0, 8, 3]) + struct.pack(">3I", 2**31, 2**16, 2**16)))


def setup_idx_gzip_bomb(d):
    make_idx(d / "idx")
    header = bytes([0, 0, 8, 3]) + struct.pack(">3I", 32, 8, 8)
    stream = gzip.compress(header + b"\x00" * (64 * 2**20), compresslevel=9)  # 64 MiB of zeros for 2 KiB promised
    (d / "idx" / "train-images-idx3-ubyte.gz").write_bytes(stream)


def setup_idx_zero_dims(d):
    make_idx(d / "idx")
    (d / "idx" / "train-labels-idx1-ubyte.gz").write_bytes(gz(bytes([0, 0, 8, 0])))


def setup_idx_wrong_dims(d):
    make_idx(d / "idx")
    write_idx(d / "idx" / "train-images-idx3-ubyte.gz", np.zeros((32, 64), np.uint8))


def setup_idx_zero_width(d):
    make_idx(d / "idx")
    write_idx(d / "idx" / "train-images-idx3-ubyte.gz", np.zeros((32, 0, 8), np.uint8))


def setup_idx_header_truncated(d):
    make_idx(d / "idx")
    (d / "idx" / "train-images-idx3-ubyte.gz").write_bytes(gz(bytes([0, 0, 8, 3, 0, 0])))


def setup_idx_label_huge(d):
    make_idx(d / "idx")
    labels = np.zeros(32, np.uint8)
    write_idx(d / "idx" / "train-labels-idx1-ubyte.gz", labels)  # one class only in train and test
    write_idx(d / "idx" / "t10k-labels-idx1-ubyte.gz", labels[:8])


def csv_setup(text):
    return lambda d: (d / "t.csv").write_text(text, encoding="utf-8")


ROWS = "".join(f"{i},{i % 3},{i % 2}\n" for i in range(20))


def cifar_setup(batch):
    def setup(d):
        folder = d / "cifar-10-batches-py"
        folder.mkdir()
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            (folder / name).write_bytes(batch() if callable(batch) else batch)
    return setup


def good_batch(changes):
    batch = {b"data": np.zeros((4, 3072), np.uint8), b"labels": [0, 1, 0, 1]}
    batch.update(changes)
    return pickle.dumps(batch)


class _TerabyteArray:
    """Pickles as NumPy's own `_reconstruct` asked for a 1 TiB array."""

    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct

        return _reconstruct, (np.ndarray, (2**40,), b"b")


HUGE_RECONSTRUCT = pickle.dumps({b"data": _TerabyteArray(), b"labels": [0]}, protocol=4)


# id: (config text, setup, expected fragment of the one error line)
CASES = {
    "npz_missing": (NPZ, None, "data.path: data.npz: no such file or folder"),
    "npz_empty": (NPZ, setup_empty_npz, "data.npz: not a readable .npz file"),
    "npz_truncated": (NPZ, setup_truncated_npz, "data.npz: not a readable .npz file"),
    "npz_not_npz": (NPZ, setup_text_npz, "data.npz: not a readable .npz file"),
    "npz_missing_keys": (NPZ, setup_npz_missing_keys, "missing arrays ['x_train', 'y_train', 'x_test', 'y_test']"),
    "npz_length_mismatch": (NPZ, setup_npz_mismatch, "x_train has 64 samples but y_train has 10"),
    "npz_nan": (NPZ, setup_npz_nan, "x_train contains NaN or infinite values"),
    "npz_fraction_labels": ("task: classification\n" + NPZ, setup_npz_fraction_labels,
                            "task: the labels have fractions, so they are not classes"),
    "npz_pickled_objects": (NPZ, setup_npz_object, "data.npz: x_train holds Python objects"),
    "idx_not_a_dir": (IDX, None, "data.path: idx: no such file or folder"),
    "idx_truncated": (IDX, setup_idx_truncated, "train-images-idx3-ubyte.gz: IDX file holds"),
    "idx_bad_gzip": (IDX, setup_idx_bad_gzip, "t10k-images-idx3-ubyte.gz: cannot read IDX file"),
    "idx_bad_magic": (IDX, setup_idx_bad_magic, "train-labels-idx1-ubyte.gz: not an unsigned-byte IDX file"),
    "idx_missing_file": (IDX, setup_idx_missing, "missing t10k-labels-idx1-ubyte.gz"),
    "idx_length_mismatch": (IDX, setup_idx_mismatch, "x_train has 32 samples but y_train has 5"),
    "csv_no_label": (CSV, setup_csv_no_label, "no column 'label' (columns: a, b, target)"),
    # A text cell makes it a mixed table (FeatureSpace); declared a number, it is refused at its line.
    "csv_text_feature": ("data: {dataset: csv, path: t.csv, validation_split: 0, features: {b: float_normalized}}\n",
                         setup_csv_text_feature, "t.csv:3: column 'b' is float_normalized but holds 'x4'"),
    "csv_ragged": (CSV, setup_csv_ragged, "t.csv:3: row has 2 fields but the header has 3"),
    "csv_empty": (CSV, setup_csv_empty, "t.csv: the CSV needs a header row"),
    "csv_header_only": (CSV, setup_csv_header_only, "t.csv: the CSV needs a header row"),
    "builtin_path_wrong": ("data: {dataset: mnist, path: elsewhere}\n", None, "data.path: elsewhere: no such file or folder"),
    "cifar_corrupted": ("data: {dataset: cifar10, path: cifar-10-batches-py}\n", setup_cifar_corrupted, "data_batch_1: cannot read CIFAR batch"),
    # NPZ content
    "npz_is_npy": (NPZ, setup_npy_not_npz, "data.npz: not a readable .npz file (a single .npy array)"),
    "npz_string_features": (NPZ, setups_npz(x_train=np.array([["a"] * 8] * 64)), "data.npz: x_train holds <U1 values; features must be real numbers"),
    "npz_complex_features": (NPZ, setups_npz(x_train=np.ones((64, 8), complex)), "x_train holds complex128 values"),
    "npz_scalar_features": (NPZ, setups_npz(x_train=np.array(3.0)), "data.npz: x_train has shape ()"),
    "npz_1d_features": (NPZ, setups_npz(x_train=np.arange(64)), "x_train has shape (64,); features need one row per sample"),
    "npz_zero_width": (NPZ, setups_npz(x_train=np.zeros((64, 0)), x_test=np.zeros((16, 0))), "x_train has shape (64, 0): each sample holds no values"),
    "npz_scalar_labels": (NPZ, setups_npz(y_train=np.array(1)), "y_train has shape ()"),
    "npz_complex_labels": (NPZ, setups_npz(y_train=np.ones(64, complex)), "y_train holds complex128 values"),
    "npz_not_onehot": (NPZ, setups_npz(y_train=np.full((64, 3), 0.5)), "y_train has shape (64, 3) but its rows are not one-hot"),
    "npz_features_differ": (NPZ, setups_npz(x_test=np.zeros((16, 4, 4), np.uint8)), "x_train's samples have shape (8, 8) but x_test's (4, 4)"),
    "npz_one_class": (NPZ, setups_npz(y_train=np.zeros(64, np.uint8), y_test=np.zeros(16, np.uint8)), "the labels hold one class only"),
    "npz_label_huge": (NPZ, setups_npz(y_train=np.r_[np.zeros(63, np.int64), 10**12]), "a label is 1000000000000, so the model would need 1000000000001 outputs"),
    "npz_inf": (NPZ, setups_npz(x_train=np.full((64, 8, 8), np.inf)), "x_train contains NaN or infinite values"),
    "npz_mixed_label_kinds": (NPZ, setups_npz(y_test=np.array(["a"] * 16)), "train labels and test labels are of different kinds"),
    "npz_bomb_header": (NPZ, setup_npz_huge_header, "x_train declares 8,000,000,000,000 bytes"),
    "npz_header_longer_than_data": (NPZ, setup_npz_header_longer_than_data, "x_train holds 100 bytes but its header declares 64,000"),
    # IDX content
    "idx_bomb_header": (IDX, setup_idx_header_huge, "IDX header declares 9,223,372,036,854,775,808 bytes"),
    "idx_bomb_gzip": (IDX, setup_idx_gzip_bomb, "IDX file holds more bytes of data but its header says 2048; the file is longer than its header says"),
    "idx_zero_dims": (IDX, setup_idx_zero_dims, "train-labels-idx1-ubyte.gz: IDX file has 0 dimensions"),
    "idx_wrong_dims": (IDX, setup_idx_wrong_dims, "train-images-idx3-ubyte.gz: IDX file has 2 dimensions (32, 64); images need 3"),
    "idx_zero_width": (IDX, setup_idx_zero_width, "IDX file has shape (32, 0, 8): it holds no samples' values"),
    "idx_header_truncated": (IDX, setup_idx_header_truncated, "IDX header is truncated"),
    "idx_one_class": (IDX, setup_idx_label_huge, "idx: the labels hold one class only"),
    # CSV content
    "csv_huge_field": (CSV, csv_setup("a,b,label\n" + "1," + "9" * 200_000 + ",0\n" + ROWS), "t.csv:2: not a readable CSV (a cell is longer than 131,072 characters)"),
    "csv_label_only": (CSV, csv_setup("label\n0\n1\n0\n1\n"), "t.csv:1: the header has the label column 'label' only"),
    "csv_float32_overflow": (CSV, csv_setup("a,b,label\n1,1e39,0\n" + ROWS), "t.csv:2: feature value 1e+39 is not a finite float32 number"),
    "csv_nan_cell": (CSV, csv_setup("a,b,label\n" + ROWS + "1,nan,0\n"), "t.csv:22: feature value nan is not a finite float32 number"),
    "csv_one_class": (CSV, csv_setup("a,b,label\n" + "".join(f"{i},{i},x\n" for i in range(20))), "t.csv: the labels hold one class only ('x')"),
    "csv_bom_label_missing": (CSV.replace("}", ", label_column: y}"), csv_setup("\ufeffa,b,label\n" + ROWS), "t.csv:1: no column 'y' (columns: a, b, label)"),
    "csv_not_utf8": (CSV, lambda d: (d / "t.csv").write_bytes(b"a,b,label\n\xff\xfe,1,0\n"), "t.csv: cannot read the CSV"),
    "csv_nul_byte": (CSV, lambda d: (d / "t.csv").write_bytes(b"a,b,label\n1,\x002,0\n" + ROWS.encode()), "t.csv:2: column 'b' is float_normalized but holds"),
    "csv_is_directory": (CSV, lambda d: (d / "t.csv").mkdir(), "t.csv: cannot read the CSV"),
    # CIFAR content
    "cifar_not_a_dict": (CIFAR, cifar_setup(pickle.dumps([1, 2, 3])), "data_batch_1: cannot read CIFAR batch (ValueError: expected a dict"),
    "cifar_wrong_width": (CIFAR, cifar_setup(lambda: good_batch({b"data": np.zeros((4, 100), np.uint8)})), "b'data' must be a uint8 array of shape (n, 3072), got uint8 (4, 100)"),
    "cifar_float_data": (CIFAR, cifar_setup(lambda: good_batch({b"data": np.zeros((4, 3072))})), "got float64 (4, 3072)"),
    "cifar_label_count": (CIFAR, cifar_setup(lambda: good_batch({b"labels": [0, 1]})), "b'labels' must be 4 integers"),
    "cifar_string_labels": (CIFAR, cifar_setup(lambda: good_batch({b"labels": ["a"] * 4})), "b'labels' must be 4 integers"),
    "cifar_code": (CIFAR, cifar_setup(b"cos\nsystem\n(S'true'\ntR."), "cannot read CIFAR batch (UnpicklingError: refusing to load os.system)"),
    "cifar_object_array": (CIFAR, cifar_setup(lambda: good_batch({b"data": np.array([object()] * 4, dtype=object)})), "refusing"),
    "cifar_bomb_array": (CIFAR, cifar_setup(HUGE_RECONSTRUCT), "cannot read CIFAR batch (UnpicklingError: refusing an array of shape"),
    "cifar_missing_batch": (CIFAR, lambda d: (d / "cifar-10-batches-py").mkdir(), "no cifar10 copy at data.path"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_data(case, tmp_path, capsys, monkeypatch):
    text, setup, expected = CASES[case]
    monkeypatch.chdir(tmp_path)
    check_case(tmp_path, capsys, text, setup, expected)
