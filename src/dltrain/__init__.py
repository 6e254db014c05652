"""dltrain: train Keras models from YAML config files.

The library works without the CLI::

    from dltrain.config import load_config
    from dltrain.training import fit

    result = fit(load_config("configs/digits_mlp.yaml"))
    print(result.run_dir, result.test_metrics)

Importing ``dltrain`` or ``dltrain.config`` does not import TensorFlow; only
``dltrain.data``'s pipeline, ``dltrain.models`` and ``dltrain.training`` do.
"""

__version__ = "0.1.0"
