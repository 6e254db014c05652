"""Finding runs: by directory, id or id prefix; listing, describing and cleaning them."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from dltrain.errors import UserError
from dltrain.runs.files import read_json, read_json_if_present
from dltrain.runs.history import HistoryFile
from dltrain.runs.layout import CONFIG, HISTORY, METRICS, RUN, STUDIES, is_run_dir
from dltrain.runs.status import current_status


@dataclass
class RunInfo:
    """One line of ``dltrain runs list``."""

    path: Path
    name: str
    status: str
    reason: str | None
    smoke: bool
    epochs_done: int
    epochs: int | None
    best_monitor: str | None
    best_value: float | None
    test: dict
    duration_seconds: float | None
    started: str | None
    stopped_early: bool = False
    problems: list[str] = field(default_factory=list)
    study: str | None = None  # a dltrain tune trial's study

    @property
    def id(self) -> str:
        """The run's id: its directory name."""
        return self.path.name

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {**{k: v for k, v in self.__dict__.items() if k != "path"}, "id": self.id, "path": str(self.path)}


def _saved_config(path: Path) -> dict:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise UserError(f"cannot read the saved config ({type(err).__name__}); the run directory is damaged",
                        file=str(path)) from None
    if not isinstance(data, dict):
        raise UserError("the saved config is not a mapping; the run directory is damaged", file=str(path))
    return data


def _read_or_note(reader, path: Path, problems: list[str]) -> dict:
    try:
        return reader(path) or {}
    except UserError as err:
        problems.append(str(err))
        return {}


def _typed(data: dict, key: str, kind, problems: list[str], path: Path):
    """``data[key]`` if it is of ``kind`` (or absent); a wrong type is noted as damage."""
    value = data.get(key)
    if value is None or (isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)):
        return value
    problems.append(f"{path}: {key} is not a {getattr(kind, '__name__', 'number')}; the run directory is damaged")
    return None


def run_info(path: Path) -> RunInfo:
    """What a run directory says about itself; a damaged file is noted, never raised."""
    problems: list[str] = []
    status = _read_or_note(read_json, path / RUN, problems)
    metrics = _read_or_note(read_json_if_present, path / METRICS, problems)
    config = _read_or_note(lambda p: _saved_config(p) if p.is_file() else {}, path / CONFIG, problems)
    if status and not isinstance(status.get("status", ""), str):
        problems.append(f"{path / RUN}: status is not a word; the run directory is damaged")
        status = {}
    duration = _typed(status, "duration_seconds", (int, float), problems, path / RUN)
    started = _typed(status, "started", str, problems, path / RUN)
    best = metrics.get("best") if isinstance(metrics.get("best"), dict) else {}
    training = config.get("training") if isinstance(config.get("training"), dict) else {}
    return RunInfo(
        path=path,
        name=str(config.get("name", "?")),
        status="damaged" if problems and not status else current_status(status, path),
        reason=problems[0] if problems else status.get("reason"),
        smoke=bool(status.get("smoke")),
        epochs_done=HistoryFile(path / HISTORY).epochs(),
        epochs=_typed(training, "epochs", int, problems, path / CONFIG),
        best_monitor=best.get("monitor"),
        best_value=_typed(best, "value", (int, float), problems, path / METRICS),
        test=metrics.get("test") if isinstance(metrics.get("test"), dict) else {},
        duration_seconds=duration,
        started=started,
        stopped_early=bool(status.get("stopped_early")),
        problems=problems,
        study=path.parent.name if path.parent.parent.name == STUDIES else None,
    )


def run_dirs(root: str | Path) -> list[Path]:
    """The run directories in ``root`` and, one level down, in each study of ``root/studies`` (dltrain tune's trials)."""
    root = Path(root)
    if not root.is_dir():
        return []
    studies = root / STUDIES
    folders = [root, *(sorted(p for p in studies.iterdir() if p.is_dir()) if studies.is_dir() else [])]
    return [p for folder in folders for p in folder.iterdir() if is_run_dir(p)]


def list_runs(root: str | Path, name: str | None = None, status: str | None = None) -> list[RunInfo]:
    """The runs under ``root`` (tune trials included), newest first, optionally filtered by config name and status."""
    infos = [run_info(p) for p in run_dirs(root)]
    infos = [i for i in infos if (name is None or name in i.name) and (status is None or i.status == status)]
    return sorted(infos, key=lambda i: (str(i.started or ""), i.id), reverse=True)


def find_run(root: str | Path, ref: str | Path) -> Path:
    """A run named by its directory, its id, or a unique prefix of its id (looked up in ``root``).

    Raises:
        UserError: no run, or several, match.
    """
    path = Path(ref)
    if is_run_dir(path):
        return path
    if path.is_dir() and (path / CONFIG).is_file():
        return path  # a run whose run.json was lost: let the caller say what is damaged
    root = Path(root)
    matches = sorted(p for p in run_dirs(root) if p.name.startswith(str(ref)))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError(f"no run '{ref}': not a run directory, nor the start of a run id in {root}; "
                        "see dltrain runs list")
    exact = [p for p in matches if p.name == str(ref)]
    if len(exact) == 1:
        return exact[0]
    names = ", ".join(p.name for p in matches[:5])
    raise UserError(f"'{ref}' matches {len(matches)} runs ({names}{', ...' if len(matches) > 5 else ''}); "
                    "give more of the id")


def runs_to_clean(root: str | Path, smoke: bool, failed: bool) -> list[RunInfo]:
    """The smoke runs and/or failed (or killed) runs under ``root``.

    Raises:
        UserError: neither kind was asked for.
    """
    if not (smoke or failed):
        raise UserError("say what to remove: --smoke, --failed, or both")
    return [i for i in list_runs(root) if (smoke and i.smoke) or (failed and i.status in ("failed", "killed"))]


def remove_run(info: RunInfo) -> None:
    """Deletes a run directory."""
    shutil.rmtree(info.path)
