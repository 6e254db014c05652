"""Keyword arguments checked against a Keras class's signature before it is built.

Keras's callbacks and optimizers take their arguments unchecked: a misspelled
name is accepted silently, and `patience: many` fails only mid-training.
"""

from __future__ import annotations

import difflib
import inspect


def _check_argument_names(cls: type, kwargs: dict, *more: type) -> None:
    """Refuses an argument the class does not declare.

    Keras's callbacks and optimizers take ``**kwargs``, so a misspelled
    argument (`factr: 0.5`) would be accepted and ignored.
    """
    known = [n for c in (cls, *more) for n, p in inspect.signature(c.__init__).parameters.items()
             if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    for name in kwargs:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise TypeError(f"unknown argument '{name}'; {hint}its arguments: {', '.join(dict.fromkeys(known))}")


def _check_argument_types(cls: type, kwargs: dict, *more: type) -> None:
    """Refuses a text where the class's default says a number or a flag.

    Keras's callbacks take their arguments unchecked: `patience: many` would
    only fail at the end of the first epoch, deep inside training.
    """
    params = {n: p for c in (*more, cls) for n, p in inspect.signature(c.__init__).parameters.items()}
    for name, value in kwargs.items():
        default = params[name].default if name in params else None
        if isinstance(default, bool) and not isinstance(value, bool):
            raise TypeError(f"{name} must be true or false, got {value!r}")
        if isinstance(default, (int, float)) and not isinstance(default, bool) and (
                isinstance(value, bool) or not isinstance(value, (int, float))):
            raise TypeError(f"{name} must be a number (default {default}), got {value!r}")
