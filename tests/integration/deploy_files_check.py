#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks docker/compose.yaml and docker/k8s/*.yaml (parsed with PyYAML, Debian python3-yaml).

Usage: deploy_files_check.py DOCKER_DIR

Prints, for the C++ test to act on, one line per HTTP probe ("probe /ready") and per
environment variable of the Deployment's container ("env NAME=VALUE"). Exits 1 with a
message on stderr when a file does not parse or is inconsistent: a probe on a port the
container does not expose, a termination grace period shorter than preStop + shutdown
delay + graceful timeout, a Service or autoscaler aimed at nothing, compose without
replicas behind nginx or without the load service.
"""
import pathlib
import sys

import yaml


def fail(msg):
    print("deploy_files_check: " + msg, file=sys.stderr)
    sys.exit(1)


def load_all(path):
    try:
        with open(path) as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        fail(f"{path}: not YAML: {e}")


def env_ms(env, name):
    value = env.get(name)
    if value is None:
        fail(f"{name} is not set")
    return int(value) / 1000.0


def check_k8s(k8s_dir):
    docs = []
    for path in sorted(pathlib.Path(k8s_dir).glob("*.yaml")):
        docs += [(path.name, d) for d in load_all(path)]
    kinds = {}
    for name, d in docs:
        for key in ("apiVersion", "kind", "metadata"):
            if key not in d:
                fail(f"{name}: a document without {key}")
        kinds.setdefault(d["kind"], []).append(d)
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler"):
        if kind not in kinds:
            fail(f"no {kind} in {k8s_dir}")
    deployment = kinds["Deployment"][0]
    spec = deployment["spec"]["template"]["spec"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    if deployment["spec"]["selector"]["matchLabels"].items() - labels.items():
        fail("the Deployment's selector does not match its pod labels")
    container = spec["containers"][0]
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    env = {e["name"]: str(e["value"]) for e in container.get("env", [])}
    if str(env.get("EDDY_PORT", "8000")) not in {str(p) for p in ports.values()}:
        fail("EDDY_PORT is not a container port")
    for probe in ("readinessProbe", "livenessProbe"):
        if probe not in container:
            fail(f"the container has no {probe}")
        get = container[probe].get("httpGet")
        if not get:
            fail(f"{probe} is not an httpGet probe")
        if get["port"] not in ports and get["port"] not in ports.values():
            fail(f"{probe} uses port {get['port']}, which the container does not expose")
        print("probe " + get["path"])
    for res in ("requests", "limits"):
        if not container.get("resources", {}).get(res):
            fail(f"the container has no resource {res}")
    pre_stop = 0.0
    command = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    if command[:1] == ["sleep"]:
        pre_stop = float(command[1])
    needed = pre_stop + env_ms(env, "EDDY_SHUTDOWN_DELAY_MS") + env_ms(env, "EDDY_GRACEFUL_TIMEOUT_MS")
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if grace < needed:
        fail(f"terminationGracePeriodSeconds {grace} < preStop + shutdown delay + graceful timeout = {needed:g} s")
    service = kinds["Service"][0]
    if service["spec"]["selector"].items() - labels.items():
        fail("the Service selects no pod of the Deployment")
    for p in service["spec"]["ports"]:
        if p["targetPort"] not in ports and p["targetPort"] not in ports.values():
            fail(f"the Service targets port {p['targetPort']}, which the container does not expose")
    hpa = kinds["HorizontalPodAutoscaler"][0]
    target = hpa["spec"]["scaleTargetRef"]
    if target["kind"] != "Deployment" or target["name"] != deployment["metadata"]["name"]:
        fail("the HorizontalPodAutoscaler does not scale the Deployment")
    if not 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]:
        fail("the HorizontalPodAutoscaler's replica bounds are inverted")
    for name, value in env.items():
        print(f"env {name}={value}")


def check_compose(path):
    docs = load_all(path)
    if len(docs) != 1 or "services" not in docs[0]:
        fail(f"{path}: no services")
    services = docs[0]["services"]
    for name in ("webapp", "nginx", "load"):
        if name not in services:
            fail(f"{path}: no {name} service")
    webapp = services["webapp"]
    if webapp.get("deploy", {}).get("replicas", 1) < 2:
        fail(f"{path}: the webapp is not replicated")
    if not any(str(v).startswith("./nginx/nginx.conf:") for v in services["nginx"].get("volumes", [])):
        fail(f"{path}: nginx does not use docker/nginx/nginx.conf")
    load = services["load"]
    expected = ["load", "http://nginx:8080/plaintext", "-c", "64", "-d", "30s"]
    if load.get("entrypoint") != ["eddy"] or load.get("command") != expected:
        fail(f"{path}: the load service does not run: eddy {' '.join(expected)}")
    env = {k: str(v) for k, v in webapp.get("environment", {}).items()}
    grace = str(webapp.get("stop_grace_period", "10s"))
    if not grace.endswith("s") or not grace[:-1].isdigit():
        fail(f"{path}: stop_grace_period {grace} is not whole seconds")
    needed = env_ms(env, "EDDY_SHUTDOWN_DELAY_MS") + env_ms(env, "EDDY_GRACEFUL_TIMEOUT_MS")
    if int(grace[:-1]) < needed:
        fail(f"{path}: stop_grace_period {grace} < shutdown delay + graceful timeout = {needed:g} s")


def main():
    if len(sys.argv) != 2:
        fail("usage: deploy_files_check.py DOCKER_DIR")
    docker = pathlib.Path(sys.argv[1])
    check_compose(docker / "compose.yaml")
    check_k8s(docker / "k8s")


if __name__ == "__main__":
    main()
