"""The README's Kubernetes manifest: an Indexed Job whose pods dltrain places as one multi_worker run."""

from __future__ import annotations

import re

import yaml

from conftest import REPO
from dltrain.config import load_config
from dltrain.distribute.environment import process_role


def _manifest() -> dict:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", readme, re.S)]
    (manifest,) = [b for b in blocks if isinstance(b, dict) and b.get("apiVersion")]
    return manifest


def test_the_indexed_job_and_its_headless_service_agree():
    items = {item["kind"]: item for item in _manifest()["items"]}
    service, job = items["Service"], items["Job"]
    spec, pod = job["spec"], job["spec"]["template"]["spec"]
    assert service["spec"]["clusterIP"] == "None"  # headless: a DNS name per pod
    assert service["spec"]["selector"] == {"job-name": job["metadata"]["name"]}  # the label Kubernetes sets
    assert pod["subdomain"] == service["metadata"]["name"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"]
    (container,) = pod["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    port = service["spec"]["ports"][0]["port"]
    # process 0's pod: <job>-0.<service>, on the Service's port
    assert env["KERAS_DISTRIBUTION_JOB_ADDRESSES"] == f"{job['metadata']['name']}-0.{pod['subdomain']}:{port}"
    assert int(env["KERAS_DISTRIBUTION_NUM_PROCESSES"]) == spec["completions"]
    assert container["ports"][0]["containerPort"] == port


def test_each_pod_finds_its_place_and_runs_a_valid_multi_worker_command():
    job = {item["kind"]: item for item in _manifest()["items"]}["Job"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    for index in range(job["spec"]["completions"]):
        role = process_role({**env, "JOB_COMPLETION_INDEX": str(index)})  # what Kubernetes adds per pod
        assert (role.num_processes, role.process_id, role.chief) == (2, index, index == 0)
    command = container["command"]
    assert command[:2] == ["dltrain", "fit"] and command[command.index("--distribute") + 1] == "multi_worker"
    overrides = [command[i + 1] for i, word in enumerate(command) if word == "--set"]
    config = load_config(REPO / "configs" / command[2].split("/")[-1], overrides)
    assert config.backend == "jax" and config.training.batch_size % 2 == 0  # the processes share each batch
