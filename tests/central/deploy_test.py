#!/usr/bin/env python3
"""deploy/ files: every Kubernetes manifest loads as YAML, and the probes and Services name real
ports: each probe's port is a container port (by number or name) that the server listens on with
the right protocol (the gRPC probe, plaintext only, on --health-listen when TLS is on; HTTP probes
over HTTPS then; readiness on gRPC health or /readyz), each Service's targetPort names a container port, its selector matches the pod labels, the StatefulSet's serviceName is a Service,
every Secret key the pods use exists, and the Dockerfile runs as a non-root user on bookworm.

usage: python3 deploy_test.py SOURCE_DIR
"""
import glob
import os
import sys

import yaml


def main():
    root = os.path.join(sys.argv[1], "deploy")
    failures = []
    passed = 0

    def check(ok, what):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failures.append(what)
            print("FAIL: " + what)

    docs = []
    for path in sorted(glob.glob(os.path.join(root, "k8s", "*.yaml"))):
        with open(path) as f:
            try:
                loaded = [d for d in yaml.safe_load_all(f) if d]
            except yaml.YAMLError as e:
                check(False, "%s loads as YAML: %s" % (path, e))
                continue
        check(all("apiVersion" in d and "kind" in d and d.get("metadata", {}).get("name") for d in loaded),
              "%s: every document has apiVersion, kind and a name" % path)
        docs += loaded
    kinds = {}
    for d in docs:
        kinds.setdefault(d["kind"], []).append(d)
    check(bool(kinds.get("StatefulSet") or kinds.get("Deployment")), "a workload is defined")
    services = {s["metadata"]["name"]: s for s in kinds.get("Service", [])}
    secrets = {s["metadata"]["name"]: s for s in kinds.get("Secret", [])}
    for workload in kinds.get("StatefulSet", []) + kinds.get("Deployment", []):
        pod = workload["spec"]["template"]
        labels = pod["metadata"]["labels"]
        check(workload["spec"]["selector"]["matchLabels"].items() <= labels.items(), "selector matches pod labels")
        if workload["kind"] == "StatefulSet":
            check(workload["spec"].get("serviceName") in services, "the StatefulSet's serviceName is a Service")
            check(bool(workload["spec"].get("volumeClaimTemplates")), "each replica gets its own volume claim")
        check(pod["spec"].get("securityContext", {}).get("runAsNonRoot") is True, "pods run as non-root")
        for container in pod["spec"]["containers"]:
            ports = {p["containerPort"]: p.get("name") for p in container.get("ports", [])}
            names = {v for v in ports.values() if v}
            for probe_name in ("livenessProbe", "readinessProbe"):
                probe = container.get(probe_name)
                check(probe is not None, "%s has a %s" % (container["name"], probe_name))
                if not probe:
                    continue
                for kind in ("grpc", "httpGet", "tcpSocket"):
                    if kind in probe:
                        port = probe[kind]["port"]
                        check(port in ports or port in names,
                              "%s %s port %r is a container port" % (container["name"], probe_name, port))
            probes = [k for p in ("livenessProbe", "readinessProbe") for k in container.get(p, {})]
            check("grpc" in probes and "httpGet" in probes, "there is a gRPC probe and an HTTP probe")
            # What each probe asks must be what the server answers on that port.
            args = {a.split("=", 1)[0]: a.split("=", 1)[1] for a in container.get("args", []) if "=" in a}
            listen_ports = {int(args[flag].rsplit(":", 1)[1]): flag for flag in
                            ("--listen", "--http-listen", "--health-listen", "--metrics-listen") if flag in args}
            for number in ports:
                check(number in listen_ports, "%s container port %d is one the server listens on"
                      % (container["name"], number))
            by_name = {v: k for k, v in ports.items() if v}
            tls = "--tls-cert" in args
            ready = container.get("readinessProbe", {})
            check("grpc" in ready or ready.get("httpGet", {}).get("path") == "/readyz",
                  "the readiness probe follows the audit log (gRPC health or /readyz, not /healthz)")
            for probe_name in ("livenessProbe", "readinessProbe"):
                probe = container.get(probe_name, {})
                if "httpGet" in probe:
                    port = probe["httpGet"]["port"]
                    port = by_name.get(port, port)
                    check(listen_ports.get(port) == "--http-listen", "%s asks the HTTP listener" % probe_name)
                    check(probe["httpGet"].get("path") in ("/healthz", "/readyz"), "%s path is a health route"
                          % probe_name)
                    check(not tls or probe["httpGet"].get("scheme") == "HTTPS",
                          "%s speaks HTTPS to a TLS listener" % probe_name)
                if "grpc" in probe:
                    port = probe["grpc"]["port"]
                    port = by_name.get(port, port)
                    # kubelet's gRPC probe is plaintext only: under TLS it must ask --health-listen.
                    check(listen_ports.get(port) == ("--health-listen" if tls else listen_ports.get(port))
                          and listen_ports.get(port) in ("--listen", "--health-listen"),
                          "%s's gRPC probe asks a plaintext gRPC health port" % probe_name)
            # Scraping: the annotations name the metrics-only listener (plaintext) and its path.
            annotations = pod["metadata"].get("annotations", {})
            check(annotations.get("prometheus.io/scrape") == "true", "the pod is annotated for scraping")
            scrape_port = int(annotations.get("prometheus.io/port", "0"))
            check(listen_ports.get(scrape_port) == "--metrics-listen" and scrape_port in ports,
                  "the scrape annotation names the --metrics-listen container port")
            check(annotations.get("prometheus.io/path") == "/metrics", "the scrape path is /metrics")
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    secret = secrets.get(ref["name"], {})
                    check(ref["key"] in secret.get("stringData", {}) or ref["key"] in secret.get("data", {}),
                          "secret key %s/%s exists" % (ref["name"], ref["key"]))
            for volume in pod["spec"].get("volumes", []):
                if "secret" in volume:
                    check(volume["secret"]["secretName"] in secrets, "volume secret %s exists" % volume["name"])
            for service in services.values():
                if service["spec"]["selector"].items() <= labels.items():
                    for port in service["spec"]["ports"]:
                        target = port.get("targetPort", port["port"])
                        check(target in ports or target in names,
                              "Service %s targetPort %r is a container port" % (service["metadata"]["name"], target))
    check(bool(services), "a Service is defined")
    with open(os.path.join(root, "Dockerfile")) as f:
        dockerfile = f.read()
    check("FROM debian:bookworm" in dockerfile, "the image is based on Debian bookworm")
    user = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    check(bool(user) and not user[-1].startswith("0") and user[-1] != "root", "the image runs as a non-root user")
    check(os.path.exists(os.path.join(root, "README.md")), "deploy/README.md explains the scaling model")
    print("%d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
