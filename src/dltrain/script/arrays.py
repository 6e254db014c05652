"""The data section for datasets held in memory: Keras's downloads, scikit-learn's sets, npz and csv files.

The script loads the data the way a student would (``keras.datasets.mnist.load_data()``,
``sklearn.datasets.load_digits()``, ``np.loadtxt``), splits it as dltrain does
(``train_test_split(..., random_state=0, stratify=y)``), then scales, reshapes
and encodes the labels with NumPy, so the model takes the same inputs as
dltrain's model (whose scaling rides in the data pipeline instead).
"""

from __future__ import annotations

from dltrain.config import Config, data_path
from dltrain.config.data_section import SKLEARN_DATASETS
from dltrain.data import sample_spec
from dltrain.data.prepare import _reshape_rule
from dltrain.data.sources.builtin import BUILTIN_SPECS
from dltrain.script.parts import SMOKE_SAMPLES, DataPart
from dltrain.script.python import literal

KERAS_DATASETS = ("mnist", "fashion_mnist", "cifar10", "cifar100")


def _keras_download(config: Config) -> list[str]:
    dataset = config.data.dataset
    spec = BUILTIN_SPECS[dataset]
    shape = literal((SMOKE_SAMPLES, *spec.sample_shape))
    return [
        "if SMOKE:",
        f"    # Generated arrays of {dataset}'s shape and type: a smoke run needs no download.",
        "    rng = np.random.default_rng(0)",
        f"    x_train = rng.integers(0, 256, size={shape}, dtype=np.uint8)",
        f"    x_test = rng.integers(0, 256, size={shape}, dtype=np.uint8)",
        f"    y_train = y_test = np.arange({SMOKE_SAMPLES}) % {spec.num_classes}",
        "else:",
        f"    (x_train, y_train), (x_test, y_test) = keras.datasets.{dataset}.load_data()",
        "y_train, y_test = y_train.reshape(-1), y_test.reshape(-1)",
        f"num_classes = {spec.num_classes}",
    ]


def _sklearn(config: Config, classes: bool) -> list[str]:
    dataset = config.data.dataset
    features = "bunch.images" if dataset == "digits" else "bunch.data"
    stratify = "y" if classes else "None"
    lines = [
        f"bunch = sklearn.datasets.load_{dataset}()",
        f"x, y = {features}.astype(\"float32\"), bunch.target" + ("" if classes else ".astype(\"float32\")"),
        "# dltrain's fixed split: the same test rows whatever the seed.",
        "x_train, x_test, y_train, y_test = train_test_split(",
        f"    x, y, test_size={config.data.test_split!r}, random_state=0, stratify={stratify})",
    ]
    if classes:
        lines += ["class_names = [str(name) for name in bunch.target_names]", "num_classes = len(class_names)"]
    return lines


def _csv(config: Config, classes: bool) -> list[str]:
    path = str(data_path(config, config.data.path).resolve())
    lines = [
        f"DATA = {literal(path)}",
        "with open(DATA) as f:",
        "    header = f.readline().strip().split(\",\")",
        f"label_at = header.index({literal(config.data.label_column)})",
        "table = np.loadtxt(DATA, delimiter=\",\", skiprows=1, dtype=\"float32\", ndmin=2)",
        "x, y = np.delete(table, label_at, axis=1), table[:, label_at]",
    ]
    if config.data.test_path:
        test = str(data_path(config, config.data.test_path).resolve())
        lines += [f"test_table = np.loadtxt({literal(test)}, delimiter=\",\", skiprows=1, dtype=\"float32\", ndmin=2)",
                  "x_test, y_test = np.delete(test_table, label_at, axis=1), test_table[:, label_at]",
                  "x_train, y_train = x, y"]
    else:
        lines += ["# dltrain's fixed split: the same test rows whatever the seed.",
                  "x_train, x_test, y_train, y_test = train_test_split(",
                  f"    x, y, test_size={config.data.test_split!r}, random_state=0, stratify={'y' if classes else 'None'})"]
    if classes:
        lines += ["class_names, labels = np.unique(np.concatenate([y_train, y_test]), return_inverse=True)",
                  "y_train, y_test = labels[:len(y_train)], labels[len(y_train):]",
                  "num_classes = len(class_names)"]
    return lines


def _npz(config: Config) -> list[str]:
    path = str(data_path(config, config.data.path).resolve())
    return [f"with np.load({literal(path)}) as f:",
            "    x_train, y_train, x_test, y_test = f[\"x_train\"], f[\"y_train\"], f[\"x_test\"], f[\"y_test\"]",
            "y_train, y_test = y_train.reshape(-1), y_test.reshape(-1)",
            "num_classes = int(max(y_train.max(), y_test.max())) + 1"]


def _scaling(config: Config, sample_shape: tuple[int, ...], uint8: bool) -> list[str]:
    how = config.data.scale
    if how == "unit":
        if uint8:
            return ["x_train = x_train.astype(\"float32\") / 255", "x_test = x_test.astype(\"float32\") / 255"]
        return ["peak = np.abs(x_train).max()  # the largest value in training becomes 1",
                "x_train, x_test = x_train / peak, x_test / peak"]
    if how == "standard":
        axis = "0" if len(sample_shape) == 1 else "None"
        what = "per feature" if len(sample_shape) == 1 else "over all pixels"
        return [f"# Standardized {what} with the training set's mean and standard deviation.",
                "x_train, x_test = x_train.astype(\"float32\"), x_test.astype(\"float32\")",
                f"mean, std = x_train.mean(axis={axis}), x_train.std(axis={axis})",
                "std = np.where(std > 0, std, 1.0)",
                "x_train, x_test = (x_train - mean) / std, (x_test - mean) / std"]
    return ["x_train, x_test = x_train.astype(\"float32\"), x_test.astype(\"float32\")"]


def _reshape(rule: str) -> list[str]:
    if rule == "flatten":
        return ["x_train = x_train.reshape(len(x_train), -1)", "x_test = x_test.reshape(len(x_test), -1)"]
    if rule == "channels":
        return ["x_train, x_test = x_train[..., np.newaxis], x_test[..., np.newaxis]  # a channel axis"]
    return []


def _labels(config: Config, encoding: str) -> list[str]:
    if encoding == "onehot":
        return ["y_train = keras.utils.to_categorical(y_train, num_classes)",
                "y_test = keras.utils.to_categorical(y_test, num_classes)"]
    if encoding in ("binary", "regression"):
        lines = ["y_train = y_train.astype(\"float32\").reshape(-1, 1)  # one column, as the output",
                 "y_test = y_test.astype(\"float32\").reshape(-1, 1)"]
        if encoding == "regression" and config.data.target_scale == "standard":
            lines += ["# The model learns standardized targets; predictions * y_std + y_mean are in the data's units.",
                      "y_mean, y_std = y_train.mean(), y_train.std()",
                      "y_train, y_test = (y_train - y_mean) / y_std, (y_test - y_mean) / y_std  # test scores in these units"]
        return lines
    return []


def _validation(config: Config) -> str:
    if config.data.validation_data == "test":
        return "validation_data=(x_test, y_test)"
    if config.data.validation_split:
        return f"validation_split={config.data.validation_split!r}"
    return ""


def array_data(config: Config) -> tuple[DataPart, Config]:
    """The data section for an in-memory dataset, and the config with its task resolved.

    Raises:
        UserError: a dataset this generator cannot write (idx files).
    """
    dataset = config.data.dataset
    if dataset == "idx":
        raise config.error("the script generator cannot write a loader for IDX files yet; convert them to npz",
                           "data", "dataset")
    sample_shape, num_classes, continuous = sample_spec(config)
    config = config.for_task(config.resolve_task(continuous))
    classes = config.task == "classification"
    imports = []
    if dataset in KERAS_DATASETS:
        lines = _keras_download(config)
    elif dataset in SKLEARN_DATASETS:
        lines, imports = _sklearn(config, classes), ["import sklearn.datasets",
                                                      "from sklearn.model_selection import train_test_split"]
    elif dataset == "csv":
        lines, imports = _csv(config, classes), ["from sklearn.model_selection import train_test_split"]
    else:
        lines = _npz(config)
    lines += ["if SMOKE:",
              f"    x_train, y_train = x_train[:{SMOKE_SAMPLES}], y_train[:{SMOKE_SAMPLES}]",
              f"    x_test, y_test = x_test[:{SMOKE_SAMPLES}], y_test[:{SMOKE_SAMPLES}]", ""]
    uint8 = dataset in KERAS_DATASETS
    encoding = config.label_encoding(num_classes)
    lines += _scaling(config, sample_shape, uint8) + _reshape(_reshape_rule(config, sample_shape))
    lines += _labels(config, encoding) + ["input_shape = x_train.shape[1:]"]
    names = None
    spec = BUILTIN_SPECS.get(dataset)
    if dataset in SKLEARN_DATASETS and classes:
        import sklearn.datasets

        names = [str(n) for n in getattr(sklearn.datasets, f"load_{dataset}")().target_names]
    elif spec is not None and spec.class_names:
        names = list(spec.class_names)
    notes = []
    if dataset in KERAS_DATASETS:
        notes.append(f"reads {dataset} through keras.datasets (a download once); dltrain also finds local copies "
                     "($DLTRAIN_DATA_DIR, Debian's packages)")
    if config.data.validation_split and config.data.validation_data != "test":
        notes.append("validation_split takes the last rows of the training set; dltrain holds out a seeded random "
                     "sample, and computes the scaling statistics without it")
    return DataPart(lines=lines, imports=imports, validation=_validation(config), notes=notes, class_names=names,
                    task=config.task, label_encoding=encoding), config
