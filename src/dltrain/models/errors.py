"""Keras's error messages, made one line for a user."""

from __future__ import annotations


def _first_line(err: Exception) -> str:
    text = " ".join(str(err).split())  # Keras's messages span lines and carry ANSI bold
    return text.replace("\x1b[1m", "").replace("\x1b[0m", "").replace("[1m", "").replace("[0m", "")[:300]
