"""A resolved config as YAML, each value annotated with where it came from.

This is what ``dltrain validate --show --origin`` prints. It needs only the
config's own data (``resolved()`` and ``origins``), never TensorFlow.
"""

from __future__ import annotations

import yaml

# Values are aligned into one column of comments after this many characters.
_ORIGIN_COLUMN = 48


def config_with_origins(config) -> str:
    """The resolved config as YAML with, beside each value, where it came from.

    Origins are the file and line that set it (a base config's too), the
    ``--set`` that gave it, or ``default``.

    Args:
        config: a loaded :class:`~dltrain.config.Config`.

    Returns:
        The YAML text, one ``# origin`` comment per value.

    Example::

        seed: 3                                          # --set seed=3
        data:
          dataset: fashion_mnist                         # configs/fashion_mnist_cnn.yaml:7
    """
    out: list[str] = []
    _render(config.resolved(), (), 0, config.origins, out)
    return "\n".join(out) + "\n"


def _render(data: dict, path: tuple, indent: int, origins: dict, out: list[str]) -> None:
    pad = "  " * indent
    for key, value in data.items():
        here = path + (key,)
        if isinstance(value, dict) and value and not _is_keras_object(here, value):
            out.append(f"{pad}{key}:")
            _render(value, here, indent + 1, origins, out)
        elif isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
            out.append(f"{pad}{key}:")
            # A list of mappings (layers, callbacks): one origin per item, the list's if the item has none.
            for i, item in enumerate(value):
                out.append(_with_origin(f"{pad}  - {_inline(item)}", origins.get(here + (i,)) or origins.get(here)))
        else:
            origin = origins.get(here) or (("the file's name", None) if here == ("name",) else None)
            out.append(_with_origin(f"{pad}{key}: {_inline(value)}", origin))


def _inline(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


def _is_keras_object(path: tuple, value: dict) -> bool:
    # `loss: {Name: {args}}` and `optimizer: {Name: {args}}` read best on one line.
    return path in (("loss",), ("optimizer",)) and len(value) == 1


def _origin_text(origin) -> str:
    file, line = origin
    return f"{file}:{line}" if line else str(file)


def _with_origin(text: str, origin) -> str:
    return f"{text:<{_ORIGIN_COLUMN}} # {_origin_text(origin) if origin else 'default'}"
