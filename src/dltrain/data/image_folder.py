"""The image-folder data kind: one sub-folder of image files per class, read with Keras's loader and ``tf.data``.

Files are listed by ``keras.utils.image_dataset_from_directory`` (its class
names, formats and folder rules), and decoded in parallel by ``tf.data`` the
way that loader decodes them (``tf.io.decode_image``, see
``keras/src/utils/image_dataset_utils.py``), never stacked into one array by
dltrain. Decoded images are cached in memory, as 8-bit pixels, when they fit;
then every epoch after the first reads no file.

Raw samples are float32 ``(height, width, channels)`` in 0–255; scaling is a
Keras preprocessing layer (:func:`_preprocessing`) the saved models carry.
Each epoch's order is a function of (seed, epoch), as for in-memory arrays
(:mod:`dltrain.data.pipeline`), so a resumed run sees the order an
uninterrupted one would.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dltrain.config import Config
from dltrain.config.schema import data_path
from dltrain.data.bundle import DataBundle
from dltrain.data.pipeline import TrainingData, steps_for
from dltrain.data.prepare import encode_labels, model_input_shape
from dltrain.data.preprocessing import for_tf_data
from dltrain.data.sources.builtin import TEST_SPLIT_SEED
from dltrain.tf_quiet import keras, tf

CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
SMOKE_BATCHES = 2  # training, validation and test batches a smoke run takes
MEMORY_SHARE = 0.25  # cache decoded images when they take at most this share of the available memory
NAMED_FILES = 3  # bad files named in the one-line error; the rest are counted


@dataclass
class ImageFiles:
    """The image files of a folder and their integer labels (indices into ``class_names``)."""

    paths: np.ndarray
    labels: np.ndarray
    class_names: list[str]

    def subset(self, index: np.ndarray) -> ImageFiles:
        """The files at ``index``, in that order."""
        return ImageFiles(self.paths[index], self.labels[index], self.class_names)


def list_images(config: Config, key: str, class_names: list[str] | None = None) -> ImageFiles:
    """Lists a folder's images and labels them by sub-folder, as Keras's loader does; no image is decoded.

    Raises:
        UserError: the folder is missing, holds no images, or its classes differ from ``class_names``.
    """
    folder = data_path(config, getattr(config.data, key))
    if folder is None or not folder.is_dir():
        raise config.error(f"no folder {folder}; point it at a folder with one sub-folder of images per class",
                           "data", key)
    try:
        listing = keras.utils.image_dataset_from_directory(
            folder, labels="inferred", class_names=class_names, batch_size=None, shuffle=False,
            image_size=tuple(config.data.image_size), verbose=False)
    except ValueError as err:  # Keras's words: no images, or sub-folders other than class_names
        raise config.error(f"{folder}: {str(err).splitlines()[0]}; one sub-folder of images per class is expected",
                           "data", key) from None
    paths = np.asarray(listing.file_paths)
    index = {name: i for i, name in enumerate(listing.class_names)}
    # The label is the sub-folder directly under the folder (Keras walks deeper folders too).
    labels = np.asarray([index[Path(p).relative_to(folder).parts[0]] for p in paths], np.int64)
    return ImageFiles(paths, labels, list(listing.class_names))


def _problem(path: str, size: tuple[int, int]) -> str | None:
    """Why an image file cannot be used, or None: only its header is read (no decoding)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError) as err:
        return f"{path} cannot be read as an image ({type(err).__name__})"
    if (height, width) != size:
        return f"{path} is {height}×{width} pixels, not data.image_size {size[0]}×{size[1]}"
    return None


def check_images(files: ImageFiles, config: Config, key: str) -> None:
    """Refuses, in one line, files that are not images or not of ``data.image_size``.

    Raises:
        UserError: naming the first bad files and counting the others.
    """
    size = tuple(config.data.image_size)
    problems = [p for p in (_problem(path, size) for path in files.paths) if p]
    if problems:
        more = f" and {len(problems) - NAMED_FILES} more" if len(problems) > NAMED_FILES else ""
        raise config.error(f"{len(problems)} image file(s) cannot be used: {'; '.join(problems[:NAMED_FILES])}"
                           f"{more}; resize or remove them, or change data.image_size", "data", key)


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(kept, held-out) indices: ``fraction`` of each class held out, chosen with ``seed``; both sorted."""
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        held.append(members[:int(round(len(members) * fraction))])
    held_out = np.sort(np.concatenate(held))
    return np.setdiff1d(np.arange(len(labels)), held_out), held_out


def _decoder(config: Config):
    """Path → uint8 ``(height, width, channels)`` image, decoded as Keras's loader decodes."""
    shape = (*config.data.image_size, CHANNELS[config.data.color_mode])

    def decode(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=shape[-1], expand_animations=False)
        return tf.ensure_shape(image, shape), label

    return decode


def _fits_in_memory(n: int, config: Config) -> bool:
    """Whether ``n`` decoded images take at most MEMORY_SHARE of the memory available now."""
    height, width = config.data.image_size
    needed = n * height * width * CHANNELS[config.data.color_mode]
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not every system reports it: then read the files each epoch
        return False
    return needed <= MEMORY_SHARE * available


def _to_model_input(preprocess):
    preprocess = for_tf_data(preprocess)  # jax: Flatten as a TensorFlow reshape inside tf.data

    def batch(images, labels):
        images = tf.cast(images, tf.float32)
        return (images if preprocess is None else preprocess(images)), labels

    return batch


def training_dataset(files: ImageFiles, y: np.ndarray, config: Config, seed: int, preprocess) -> TrainingData:
    """One epoch of preprocessed batches; each pass reshuffles for the epoch in ``TrainingData.epoch``.

    Cached, the decoded images are shuffled with a seed made of (seed, epoch);
    uncached, the file list is, before decoding. Either way the dataset holds
    exactly one epoch, for the reason :func:`dltrain.data.pipeline.training_dataset` gives.
    """
    n, batch_size = len(files.paths), config.training.batch_size
    decode = _decoder(config)
    epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="dltrain_epoch")
    shuffle_seed = lambda: tf.constant(seed, tf.int64) * 1_000_003 + epoch.read_value()  # noqa: E731
    slices = tf.data.Dataset.from_tensor_slices((files.paths, y))
    cache = _fits_in_memory(n, config)
    decoded = slices.map(decode, num_parallel_calls=tf.data.AUTOTUNE).cache() if cache else None

    def epoch_images(_):
        if cache:
            return decoded.shuffle(n, seed=shuffle_seed()) if config.data.shuffle else decoded
        ordered = slices.shuffle(n, seed=shuffle_seed()) if config.data.shuffle else slices
        return ordered.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    steps = steps_for(n, batch_size)
    ds = tf.data.Dataset.from_tensors(0).flat_map(lambda _: epoch_images(_).batch(batch_size))
    ds = ds.apply(tf.data.experimental.assert_cardinality(steps))
    ds = ds.map(_to_model_input(preprocess), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return TrainingData(ds.prefetch(tf.data.AUTOTUNE), steps, epoch)


def evaluation_dataset(files: ImageFiles, y: np.ndarray, config: Config, preprocess=None,
                       cache: bool = False) -> tf.data.Dataset:
    """Batches in file order; ``cache`` keeps the decoded images for the next pass (validation)."""
    ds = tf.data.Dataset.from_tensor_slices((files.paths, y))
    ds = ds.map(_decoder(config), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if cache and _fits_in_memory(len(files.paths), config):
        ds = ds.cache()
    ds = ds.batch(config.training.batch_size)
    return ds.map(_to_model_input(preprocess), num_parallel_calls=tf.data.AUTOTUNE,
                  deterministic=True).prefetch(tf.data.AUTOTUNE)


def _preprocessing(config: Config, train: ImageFiles, raw_shape: tuple[int, ...]):
    """The Keras model from raw 0–255 images to the model's input, or None (see ``data.scale``)."""
    layers = []
    if config.data.scale == "unit":
        layers.append(keras.layers.Rescaling(1.0 / 255, name="rescaling"))  # 8-bit images: 255 is the peak
    elif config.data.scale == "standard":
        # One mean and variance over all pixels of the training split, as for in-memory images.
        normalization = keras.layers.Normalization(axis=None, name="normalization")
        images = evaluation_dataset(train, np.zeros(len(train.paths), np.int32), config)
        normalization.adapt(images.map(lambda x, _: x))
        layers.append(normalization)
    if config.data.reshape == "channels":
        raise config.error("images from a folder already have their channel axis (data.color_mode); remove "
                           "data.reshape or set it to auto", "data", "reshape")
    if len(model_input_shape(config, raw_shape)) == 1:
        layers.append(keras.layers.Flatten(name="flatten_input"))  # a Dense first layer
    if not layers:
        return None
    return keras.Sequential([keras.Input(shape=raw_shape), *layers], name="preprocessing")


def _splits(config: Config, seed: int) -> tuple[ImageFiles, ImageFiles | None, ImageFiles]:
    """(train, validation or None, test) file lists, as ``data.test_path``, ``test_split`` and ``validation_split`` say."""
    files = list_images(config, "path")
    if config.data.test_path:
        test = list_images(config, "test_path", class_names=files.class_names)
    else:
        # A fixed split, the same whatever the run's seed, as for the other data kinds.
        kept, held = stratified_split(files.labels, config.data.test_split, TEST_SPLIT_SEED)
        files, test = files.subset(kept), files.subset(held)
    validation = None
    if config.data.validation_data == "test":
        validation = test
    elif config.data.validation_split:
        kept, held = stratified_split(files.labels, config.data.validation_split, seed)
        if len(kept) == 0 or len(held) == 0:
            raise config.error(f"{config.data.validation_split} of {len(files.labels)} training images leaves an "
                               "empty split; change the fraction", "data", "validation_split")
        files, validation = files.subset(kept), files.subset(held)
    return files, validation, test


def _smoke(files: ImageFiles | None, n: int, seed: int) -> ImageFiles | None:
    """At most ``n`` files, drawn at random so that several classes appear."""
    if files is None or len(files.paths) <= n:
        return files
    return files.subset(np.sort(np.random.default_rng(seed).permutation(len(files.paths))[:n]))


def image_folder_bundle(config: Config, seed: int, smoke: bool = False) -> DataBundle:
    """Lists, checks and splits an image folder, and builds its ``tf.data`` pipelines.

    Args:
        config: the validated config (``data.dataset: image_folder``).
        seed: the run's seed (validation split and shuffling).
        smoke: a couple of batches of each split only.

    Raises:
        UserError: the folder is missing or empty, the test folder's classes
            differ, or files are unreadable or not of ``data.image_size``.
    """
    train, validation, test = _splits(config, seed)
    if smoke:
        batch = config.training.batch_size
        train = _smoke(train, SMOKE_BATCHES * batch, seed)
        validation = _smoke(validation, SMOKE_BATCHES * batch, seed)
        test = _smoke(test, SMOKE_BATCHES * batch, seed)
    for split, key in ((train, "path"), (validation, "path"), (test, "test_path" if config.data.test_path else "path")):
        if split is not None:
            check_images(split, config, key)
    num_classes = len(train.class_names)
    encode = lambda files: encode_labels(files.labels, config, num_classes)  # noqa: E731
    raw_shape = (*config.data.image_size, CHANNELS[config.data.color_mode])
    preprocessing = _preprocessing(config, train, raw_shape)
    return DataBundle(
        kind="image_folder",
        task="classification",
        class_names=train.class_names,
        label_encoding=config.label_encoding(num_classes),
        input_shape=tuple(preprocessing.output_shape[1:]) if preprocessing is not None else raw_shape,
        raw_inputs=lambda: keras.Input(shape=raw_shape, name="raw_input"),
        preprocessing=preprocessing,
        train=training_dataset(train, encode(train), config, seed, preprocessing),
        validation=None if validation is None else evaluation_dataset(
            validation, encode(validation), config, preprocessing, cache=True),
        test=evaluation_dataset(test, encode(test), config),
        n_train=len(train.paths),
        n_val=0 if validation is None else len(validation.paths),
        n_test=len(test.paths),
        train_labels=train.labels,
        y_test=encode(test),
        origin=str(data_path(config, config.data.path)),
    )
