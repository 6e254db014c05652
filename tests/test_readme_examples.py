"""Every example in README.md runs, as written, and gives what the README shows.

The examples are read from the README itself — the ``bash`` and ``console``
blocks, the CI workflow's ``run:`` lines, the concrete ``dltrain ...`` and
``--set ...`` spans in the prose, the YAML configs and the Python snippets —
so an example edited or added there is run here. Each runs in-process in a
scratch folder holding the repository's ``configs/``, with the changes a test
needs and nothing else: a training is a ``--smoke`` run (``--synthetic`` where
the dataset would be downloaded), and a run id the README shows is the run the
library example trained. An example this file does not know how to run fails
the test, so none is skipped silently.
"""

from __future__ import annotations

import functools
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import GENERATED_DATA, REPO
from dltrain.cli.app import run

README = (REPO / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
RUN_PATH = re.compile(r"runs/\d{8}-\d{6}-[\w.-]+")  # a run directory the README shows
RUN_ID = re.compile(r"(?<![\w/-])\d{8}-\d{4,6}\b")  # a run id (prefix) in a command
VOLATILE = re.compile(r"\d{8}-\d{6}|\d\.\d+e-\d+")  # a new file's time stamp, a measured difference
# Placeholders in the command table and the prose (`dltrain fit CONFIG`), not examples.
PLACEHOLDER = re.compile(r"^[A-Z][A-Z_]+(\.\w+)?$|^\[|\\\||\.\.\.$|^X\.Y\.Z$")
DOWNLOADED = ("mnist", "fashion_mnist", "cifar10", "cifar100")


def fenced(*languages: str) -> list[str]:
    """The README's fenced blocks in these languages, in order."""
    return [body for lang, body in FENCE.findall(README) if lang in languages]


def console_examples() -> list[tuple[str, list[str]]]:
    """(command, the output the README shows under it) of every ``$`` line and ``bash`` line."""
    examples: list[tuple[str, list[str]]] = []
    for body in fenced("bash"):
        examples += [(line.strip(), []) for line in body.splitlines() if line.strip()]
    for body in fenced("console"):
        for line in body.splitlines():
            if line.startswith("$ "):
                examples.append((line[2:].strip(), []))
            elif examples:
                examples[-1][1].append(line)
    return examples


def workflow_commands() -> list[str]:
    """The ``dltrain`` commands of the CI workflow block (a YAML block with ``jobs:``)."""
    commands = []
    for body in fenced("yaml"):
        workflow = yaml.safe_load(body)
        for job in (workflow.get("jobs") or {}).values() if isinstance(workflow, dict) else []:
            for step in job["steps"]:
                commands += [line.split("#")[0].strip() for line in str(step.get("run", "")).splitlines()
                             if "dltrain " in line]
    return commands


def prose_examples() -> list[str]:
    """Concrete ``dltrain ...`` and ``--set ...`` spans in the prose (not the table's placeholders)."""
    prose = FENCE.sub("", README)
    found = []
    for span in dict.fromkeys(re.findall(r"`(dltrain [^`]+|--set [^`]+)`", prose)):
        words = shlex.split(span)
        if any(PLACEHOLDER.search(w) for w in words) or "KEY" in span:
            continue
        positional = [w for w in words[1:] if not w.startswith("-")]
        if span.startswith("--set") or len(positional) >= 2 or words[1].startswith("--"):
            found.append(span)
    return found


def config_blocks() -> list[str]:
    """The YAML blocks that are dltrain configs (all but the CI workflow and the Kubernetes manifest)."""
    return [body for body in fenced("yaml")
            if not {"jobs", "apiVersion"} & set(yaml.safe_load(body) or {})]


# --- fast: examples that need no TensorFlow -----------------------------------


def test_the_readme_has_the_examples_this_file_runs():
    commands = [c for c, _ in console_examples()] + workflow_commands() + prose_examples()
    assert len(commands) >= 12 and len(config_blocks()) >= 5 and len(fenced("python")) >= 3
    assert "dltrain fit configs/mnist_mlp.yaml --set training.epochs=3 --set optimizer.SGD.learning_rate=0.05" \
        in commands
    assert "--set 'model.layers[0].Dense.units=64'" in commands
    assert "dltrain fit CONFIG --smoke [--synthetic]" not in commands  # a placeholder, not an example


@pytest.mark.parametrize("index", range(len(config_blocks())))
def test_every_yaml_config_in_the_readme_is_valid(index, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text(config_blocks()[index], encoding="utf-8")
    assert run(["validate", "config.yaml"]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("fragment", [s for s in prose_examples() if s.startswith("--set")])
def test_every_set_fragment_in_the_prose_applies(fragment, capsys):
    # A fragment has no config: the README's prose means mnist_mlp's (layers, `optimizer: sgd`), save for
    # `model.hidden_units`, a key of the mlp preset.
    config = "digits_mlp.yaml" if "model.hidden_units" in fragment else "mnist_mlp.yaml"
    assert run(["validate", str(REPO / "configs" / config), *shlex.split(fragment)]) == 0, capsys.readouterr().err


def test_init_and_validate_print_what_the_readme_shows(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shown = [(c, out) for c, out in console_examples() if c.startswith(("dltrain init", "dltrain validate"))]
    assert [c for c, _ in shown] == ["dltrain init starter.yaml --preset cnn", "dltrain validate starter.yaml"]
    for command, out in shown:
        assert run(shlex.split(command)[1:]) == 0
        assert capsys.readouterr().out.splitlines() == out


# --- slow: examples that train, load or export a model -------------------------


@pytest.fixture(autouse=True)
def wide_output(monkeypatch):
    """Lines as the README shows them: at 80 columns (pytest-xdist's workers) rich folds the long ones."""
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A scratch folder with the repository's configs and the run the library example trains."""
    folder = tmp_path_factory.mktemp("readme")
    (folder / "configs").symlink_to(REPO / "configs")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        import dltrain.training

        patch.setattr(dltrain.training, "fit", functools.partial(dltrain.training.fit, smoke=True))
        (snippet,) = [s for s in fenced("python") if "from dltrain.training import" in s]
        namespace: dict = {}
        exec(compile(snippet, "README.md", "exec"), namespace)  # noqa: S102  (the README's own code)
    result = namespace["result"]
    assert (folder / result.run_dir).parent == folder / "runs" and result.test_metrics
    _write_inputs(folder)
    return folder


def _write_inputs(folder: Path) -> None:
    """The files the README's predict examples name: digits' test set, and rows flattened to 64 values."""
    from dltrain.config import load_config
    from dltrain.data import load_test_arrays

    x, y = load_test_arrays(load_config(REPO / "configs" / "digits_mlp.yaml"), None)
    np.savez(folder / "digits_test.npz", x=x, y=y)
    np.savez(folder / "flat.npz", x=x.reshape(len(x), -1))


def _run_dir(workdir: Path) -> str:
    (found,) = (workdir / "runs").iterdir()
    return f"runs/{found.name}"


def _shown(text: str, workdir: Path) -> str:
    """A command or output line with the README's run replaced by the run trained here."""
    return RUN_ID.sub(_run_dir(workdir), RUN_PATH.sub(_run_dir(workdir), text))


def _as_test_runs_it(command: str, workdir: Path) -> list[str] | None:
    """The argv a README command runs with here, or None for one that is not dltrain's."""
    command = command.removeprefix("pip install . && ").split(" || ")[0]
    if not command.startswith("dltrain "):
        return None
    words = shlex.split(_shown(command, workdir))[1:]
    # Runs the README sends elsewhere (`--runs-dir /tmp/smoke`) stay in the scratch folder.
    words = [w.lstrip("/").replace("/", "-") if i and words[i - 1] == "--runs-dir" else w for i, w in enumerate(words)]
    if words[0] == "fit" and "--resume" not in words:
        from dltrain.config import load_config

        dataset = load_config(workdir / words[1]).data.dataset
        words += [w for w in ("--smoke",) if w not in words]
        words += [w for w in ("--synthetic",) if dataset in DOWNLOADED and w not in words]
        words += ["--runs-dir", "smoke-runs"] if "--runs-dir" not in words else []
    return words


def _like(line: str) -> re.Pattern:
    """A shown output line as a pattern: time stamps and measured numbers may differ."""
    return re.compile(r"[\w.+-]+".join(re.escape(part) for part in VOLATILE.split(line)))


def _checked(command: str, shown: list[str], workdir: Path, capsys) -> None:
    argv = _as_test_runs_it(command, workdir)
    if argv is None:
        return
    code = run(argv)
    captured = capsys.readouterr()
    errors = [line for line in shown if line.startswith("error: ")]
    assert code == (2 if errors else 0), f"{command}: exit {code}\n{captured.err[-2000:]}"
    lines = (captured.out + captured.err).splitlines()
    for line in errors + [s for s in shown if s.startswith(("wrote ", "largest absolute", "onnx: "))]:
        pattern = _like(_shown(line, workdir))
        assert any(pattern.fullmatch(got) for got in lines), f"{command}: no line like {line!r} in {lines}"


@pytest.mark.slow
@pytest.mark.parametrize("command", [c for c, _ in console_examples() if "dltrain " in c and "init" not in c
                                     and not c.startswith("dltrain validate starter")]
                         + workflow_commands() + [c for c in prose_examples() if c.startswith("dltrain ")])
def test_every_dltrain_command_in_the_readme_runs(command, workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    if "$c" in command:  # the CI loop's body: one config here, every config in .ci/run
        command = command.replace('"$c"', "configs/mnist_dense.yaml")
    if "--format onnx" in command:
        pytest.importorskip("tf2onnx")
    if command.startswith("dltrain validate configs/") and not all(p.exists() for p in GENERATED_DATA.values()):
        pytest.skip("configs/data's generated folders are missing: validate rightly reports them")
    shown = dict(console_examples()).get(command, [])
    _checked(command, shown, workdir, capsys)


@pytest.mark.slow
def test_the_predictions_csv_starts_as_the_readme_shows(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    (head,) = [(c, out) for c, out in console_examples() if c.startswith("head -3")]
    assert run(["predict", _run_dir(workdir), "digits_test.npz", "--top-k", "2", "-o", "p.csv"]) == 0
    assert (workdir / "p.csv").read_text(encoding="utf-8").splitlines()[0] == head[1][0]


@pytest.mark.slow
def test_the_raw_input_snippet_gives_the_runs_predictions(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    (snippet,) = [s for s in fenced("python") if "keras.saving.load_model" in s]
    x = np.load("digits_test.npz")["x"]
    namespace = {"raw_rows": x}
    exec(compile(_shown(snippet, workdir), "README.md", "exec"), namespace)  # noqa: S102
    saved = np.load(Path(_run_dir(workdir)) / "predictions.npz")["y_pred"]  # a smoke run's: the test set's head
    predicted = namespace["model"].predict(x, verbose=0).argmax(axis=1)
    assert len(predicted) == len(x) and (predicted[:len(saved)] == saved).all()


def test_the_script_shown_is_what_dltrain_script_writes(capsys):
    (shown,) = [s for s in fenced("python") if "written by `dltrain script" in s]
    command = re.search(r"`(dltrain script [^`]+)`", shown).group(1)
    assert run(["script", *shlex.split(command)[2:]]) == 0
    written = iter(capsys.readouterr().out.splitlines())
    # The README abridges (the docstring, the smoke-test lines): each line it shows comes, in order.
    for line in shown.splitlines():
        if line.startswith("..."):
            continue
        assert any(got == line for got in written), f"not in `{command}`'s output, in this order: {line!r}"
