"""The ``data`` section: where the data comes from and how it is prepared."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from dltrain.config.keras_objects import Fraction, Section

# scikit-learn's embedded tables and images: offline, loaded whole (they are small).
SKLEARN_DATASETS = ("digits", "iris", "wine", "breast_cancer", "diabetes")
BUILTIN_DATASETS = (*SKLEARN_DATASETS, "mnist", "fashion_mnist", "cifar10", "cifar100")
FILE_DATASETS = ("npz", "idx", "csv")
# keras.utils.FeatureSpace's type names (keras/src/layers/preprocessing/feature_space.py,
# _standardize_feature), listed here so validation needs no TensorFlow; `text` is ours.
FEATURE_TYPES = ("float", "float_normalized", "float_rescaled", "float_discretized", "integer_categorical",
                 "integer_hashed", "string_categorical", "string_hashed", "text")


class DataConfig(Section):
    """Where the data comes from and how it is prepared."""

    dataset: Literal["digits", "iris", "wine", "breast_cancer", "diabetes", "mnist", "fashion_mnist", "cifar10",
                     "cifar100", "npz", "idx", "csv", "image_folder", "text_folder"] = Field(
        "digits",
        description="A built-in dataset (digits, mnist, fashion_mnist, cifar10, cifar100), a local file "
        "format (npz, idx, csv) read from `path`, or `image_folder`: a folder `path` with one sub-folder of "
        "images per class. `digits`, `iris`, `wine`, `breast_cancer` (classification) and `diabetes` "
        "(regression) are scikit-learn's embedded sets: they work offline. `text_folder`: a folder `path` "
        "with one sub-folder of `.txt` files per class (Keras's `text_dataset_from_directory` layout).",
    )
    path: str | None = Field(
        None,
        description="A file or directory to read instead of searching. Required for npz/idx/csv; for a "
        "built-in dataset, a directory or file with Keras's file names. Relative paths are relative to the config file.",
    )
    test_path: str | None = Field(
        None, description="csv and image_folder: a separate test table or image folder (same classes); "
        "without it, `test_split` of the rows or images are held out."
    )
    label_column: str = Field("label", description="csv only: the column holding the class label.")
    features: dict[str, Literal[FEATURE_TYPES]] | None = Field(  # type: ignore[valid-type]
        None,
        description="csv only: `{column: type}` for the columns whose encoding you choose, with "
        "`keras.utils.FeatureSpace`'s type names (float, float_normalized, float_rescaled, float_discretized, "
        "integer_categorical, integer_hashed, string_categorical, string_hashed) or `text` (free text through "
        "`TextVectorization`, TF-IDF). Other columns are inferred: numbers float_normalized, strings "
        "string_categorical, strings of more than three words on average text. Missing cells (empty, NA, NaN, "
        "null): a number becomes the column's training mean, an integer category -1, a string the empty "
        "string (its own category). Setting it, or a column that is not numbers, reads the table with FeatureSpace.",
    )
    image_size: tuple[Annotated[int, Field(gt=0, le=8192)], Annotated[int, Field(gt=0, le=8192)]] | None = Field(
        None,
        validate_default=True,
        description="image_folder only (required there): `[height, width]` of every image, in pixels; "
        "a file of another size is refused by name.",
    )
    color_mode: Literal["grayscale", "rgb", "rgba"] = Field(
        "rgb", description="image_folder only: the channels images are decoded to (1, 3 or 4), whatever their files hold."
    )
    test_split: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(
        0.25,
        description="For digits, and a csv or image_folder without `test_path`: the fraction held out as the test set "
        "(a fixed, stratified split, the same for every run whatever its `seed`).",
    )
    scale: Literal["unit", "standard", "none"] = Field(
        "unit",
        description="unit: divide by the training maximum (255 for 8-bit images) to get [0, 1]; "
        "standard: subtract the training mean and divide by its standard deviation (per feature for "
        "tables, over all pixels for images); none: leave the values as they are.",
    )
    reshape: Literal["auto", "flatten", "channels", "none"] = Field(
        "auto",
        description="auto: flatten images for a dense first layer, add a channel axis for a convolutional "
        "one, leave them otherwise; flatten; channels (add a trailing channel axis); none.",
    )
    validation_split: Fraction | None = Field(
        None,
        description="Fraction of the training set held out (seeded, shuffled) for validation; 0 for none. "
        "Default: 0.1, or 0 when `validation_data` is set.",
    )
    validation_data: Literal["test"] | None = Field(
        None, description="`test` validates on the test set each epoch, as the seed scripts do."
    )
    shuffle: bool = Field(True, description="Reshuffle the training set every epoch (deterministically from seed and epoch).")
    target_scale: Literal["none", "standard"] = Field(
        "none",
        description="Regression only: standard trains on (target - mean) / std of the training split; the "
        "saved models multiply back, so they predict in the data's units (history.csv's losses are in the "
        "scaled units, metrics.json's in the data's).",
    )

    @field_validator("image_size")
    @classmethod
    def _image_size_needed(cls, size, info):
        if size is None and info.data.get("dataset") == "image_folder":
            raise PydanticCustomError(
                "dltrain_missing_image_size", "image_folder needs the images' size: set data.image_size: [height, width]")
        return size

    @model_validator(mode="after")
    def _validation_defaults(self) -> DataConfig:
        if self.validation_split is None:
            self.validation_split = 0.0 if self.validation_data else 0.1
        elif self.validation_data and self.validation_split > 0:
            raise PydanticCustomError(
                "dltrain_validation_conflict",
                "validation_split and validation_data: test are both set; keep one of them",
            )
        return self

    @model_validator(mode="after")
    def _path_needed(self) -> DataConfig:
        if self.dataset in (*FILE_DATASETS, "image_folder", "text_folder") and not self.path:
            raise PydanticCustomError(
                "dltrain_missing_path", "dataset '{dataset}' reads a local file: set data.path", {"dataset": self.dataset}
            )
        return self
