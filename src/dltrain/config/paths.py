"""Key paths through the schema's types and through config data."""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Union

from pydantic import BaseModel


def is_tagged_member(tp: Any, part: Any) -> bool:
    return (
        isinstance(tp, type)
        and issubclass(tp, BaseModel)
        and "type" in tp.model_fields
        and tp.model_fields["type"].default == part
    )


def unwrap(tp: Any, part: Any) -> Any:
    """Strips Annotated/Optional/list and picks a union member by tag."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            members = [typing.get_args(m)[0] if typing.get_origin(m) is Annotated else m for m in members]
            tagged = [m for m in members if is_tagged_member(m, part)]
            if tagged:
                return tagged[0]
            tp = members[0] if len(members) == 1 else next(
                (m for m in members if isinstance(m, type) and issubclass(m, BaseModel)), members[0])
        elif origin is list and isinstance(part, int):
            return typing.get_args(tp)[0]
        else:
            return tp



def flatten(data: Any, path: tuple = ()) -> dict[tuple, Any]:
    """Nested config data as {key path: leaf value}; lists are leaves (compared and shown whole)."""
    if isinstance(data, dict) and data:
        return {k: v for key, value in data.items() for k, v in flatten(value, path + (key,)).items()}
    return {path: data}
