"""What a run records about itself before its first epoch: config, environment, model summary."""

from __future__ import annotations

from pathlib import Path

from dltrain import runs
from dltrain.config import Config, data_path, flatten
from dltrain.environment import describe
from dltrain.errors import format_key
from dltrain.models import summary_text
from dltrain.tf_quiet import keras


def resolved_for_run(config: Config) -> Config:
    """The config as the run saves it: data paths made absolute, so it reloads anywhere."""
    saved = config.model_copy(deep=True)
    for key in ("path", "test_path"):
        value = getattr(saved.data, key)
        if value:
            setattr(saved.data, key, str(data_path(config, value).resolve()))
    return saved


def config_differences(old: Config, new: Config) -> list[str]:
    """Each key whose value differs between two configs, as 'key: old -> new'."""
    a = flatten(resolved_for_run(old).resolved())
    b = flatten(resolved_for_run(new).resolved())
    return [f"{format_key(k)}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b), key=str)
            if a.get(k) != b.get(k)]


def saved_config_text(config: Config) -> str:
    """config.yaml's text: a header naming the source and the overrides, then every value."""
    lines = [f"# The resolved config of this run: {config.source or 'built in code'}, every default filled in."]
    lines += [f"# override: --set {text}" for text in config.overrides]
    return "\n".join(lines) + "\n" + resolved_for_run(config).to_yaml()


def record_start(plan, run_dir: Path, model: keras.Model) -> None:
    """Writes config.yaml (new runs, or a resume with changes), environment.json and summary.txt."""
    if plan.is_new or plan.changes:
        runs.write_text(run_dir / runs.CONFIG, saved_config_text(plan.config))
    runs.write_json(run_dir / runs.ENVIRONMENT, describe(plan.config.seed, plan.argv, plan.config.source))
    runs.write_text(run_dir / runs.SUMMARY, summary_text(model))
