"""MLflow tracking, against a real local MLflow store (file backend)."""

from __future__ import annotations

import json
import sys

import pytest

from dltrain import cli
from dltrain.config import load_config

# Each test trains a real (tiny) model in-process: seconds each, so the whole module is in the slow part.
pytestmark = pytest.mark.slow


@pytest.fixture
def mlflow():
    """MLflow, imported by the test that needs it (a second of every worker's collection otherwise)."""
    return pytest.importorskip("mlflow")


def test_params_metrics_and_artifacts_reach_mlflow(mlflow, tiny_config, tmp_path, capsys, monkeypatch):
    uri = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    code = cli.run(["fit", str(tiny_config), "--runs-dir", str(tmp_path / "runs"), "--json",
                    "--set", f"tracking.mlflow={{uri: '{uri}', experiment: tests}}"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("tests").experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.params["training.epochs"] == "3" and run.data.params["model.hidden_units"] == "[16]"
    history = client.get_metric_history(run.info.run_id, "val_accuracy")
    assert [m.step for m in history] == [0, 1, 2]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"report.html", "metrics.json", "history.csv", "model.keras", "curves.png"} <= artifacts
    assert "state" not in artifacts
    assert json.loads((tmp_path / "runs" / result["run_dir"].split("/")[-1] / "mlflow.json").read_text())["run_id"] == run.info.run_id


def test_without_mlflow_installed(tiny_config, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow now fails
    config = load_config(tiny_config, ["tracking.mlflow.uri=file:///nowhere"])
    from dltrain.errors import UserError
    from dltrain.training import fit

    with pytest.raises(UserError, match="MLflow is not installed: pip install mlflow-skinny"):
        fit(config, runs_dir=tmp_path / "runs", verbose=0)
    assert not (tmp_path / "runs").exists()
    # and a config without tracking never imports it
    assert cli.run(["fit", str(tiny_config), "--runs-dir", str(tmp_path / "runs2"), "--json"]) == 0
