#!/usr/bin/env python3
"""TLS passthrough throughput (issue 7, acceptance 2): Meshway vs direct vs haproxy (mode tcp).

One TLS upstream (nginx, its own self-signed certificate for "localhost", HTTP/2 over ALPN) serves a 1 MiB
object and a tiny one. Three ways to reach it, all on 127.0.0.1:
  direct   - the upstream itself;
  meshway  - a Gateway listener {protocol: TLS, tls.mode: Passthrough} and a TLSRoute for "localhost": the
             gateway reads the SNI from the ClientHello and splices bytes, never decrypting;
  haproxy  - `mode tcp` frontend to the same upstream (no SNI inspection: the cheapest possible relay).
Load: h2load over TLS with ALPN h2 and SNI "localhost" (the URI host), fixed duration per run, targets
alternating within each round. "bulk" downloads the 1 MiB object (MB/s is the figure); "small" asks for a
tiny answer over many streams (requests/s: per-record relay cost). Every TLS session ends at the upstream, so
the client always verifies nothing but talks to the upstream's certificate; the proxies only move bytes.

Usable alone:  python3 bench/passthrough.py --root . [--quick]
or from bench.py:  passthrough.run(root, quick, workdir) -> Markdown section.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Proc, log, wait_port  # noqa: E402

UPSTREAM_TLS = 18443
MESHWAY_TLS = 18444
HAPROXY_TLS = 18445
MESHWAY_ADMIN = 18092
SNI = "localhost"


def wait_ready(timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{MESHWAY_ADMIN}/ready", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("meshway did not become ready")


def make_upstream(workdir):
    key, crt = os.path.join(workdir, "up.key"), os.path.join(workdir, "up.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", f"/CN={SNI}", "-addext", f"subjectAltName=DNS:{SNI}", "-days", "2",
                    "-keyout", key, "-out", crt], check=True, capture_output=True)
    www = os.path.join(workdir, "www")
    os.makedirs(www, exist_ok=True)
    # nginx started as root serves files as "nobody": temp dirs are 0700, so open the path to the object.
    for d in (os.path.dirname(workdir), workdir, www):
        os.chmod(d, 0o755)
    with open(os.path.join(www, "big"), "wb") as f:
        f.write(os.urandom(1 << 20))
    conf = os.path.join(workdir, "nginx-tls.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1;
pid {workdir}/nginx-tls.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  http2_max_requests 1000000;
  server {{
    listen 127.0.0.1:{UPSTREAM_TLS} ssl http2;
    ssl_certificate {crt};
    ssl_certificate_key {key};
    location = /big {{ alias {www}/big; }}
    location / {{ return 200 "ok"; }}
  }}
}}
""")
    return Proc("upstream", ["nginx", "-e", os.path.join(workdir, "nginx-tls.err"), "-g", "daemon off;", "-c", conf])


def meshway_config(confdir):
    os.makedirs(confdir, exist_ok=True)
    with open(os.path.join(confdir, "tls.yaml"), "w") as f:
        f.write(f"""apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: meshway}}
spec: {{controllerName: meshway.dev/gateway-controller}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: bench-tls, namespace: default}}
spec:
  gatewayClassName: meshway
  addresses: [{{type: IPAddress, value: 127.0.0.1}}]
  listeners:
  - {{name: tls, port: {MESHWAY_TLS}, protocol: TLS, tls: {{mode: Passthrough}}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {{name: up, namespace: default}}
spec:
  parentRefs: [{{name: bench-tls}}]
  hostnames: [{SNI}]
  rules: [{{backendRefs: [{{name: up-tls, port: 443}}]}}]
---
apiVersion: v1
kind: Service
metadata: {{name: up-tls, namespace: default}}
spec: {{ports: [{{name: tls, port: 443, targetPort: {UPSTREAM_TLS}}}]}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: up-tls-1, namespace: default, labels: {{kubernetes.io/service-name: up-tls}}}}
addressType: IPv4
ports: [{{name: tls, port: {UPSTREAM_TLS}}}]
endpoints: [{{addresses: [127.0.0.1], conditions: {{ready: true}}}}]
""")


def haproxy_config(workdir):
    conf = os.path.join(workdir, "haproxy-tcp.cfg")
    with open(conf, "w") as f:
        f.write(f"""global
  maxconn 4096
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend tls_in
  bind 127.0.0.1:{HAPROXY_TLS}
  default_backend tls_up
backend tls_up
  server up 127.0.0.1:{UPSTREAM_TLS}
""")
    return conf


def h2load(port, path, clients, streams, seconds):
    """One fixed-duration run; returns (requests/s, MB/s, failed requests)."""
    out = subprocess.run(["h2load", "-c", str(clients), "-m", str(streams), "-D", str(seconds), "--warm-up-time", "1",
                          f"https://{SNI}:{port}{path}"], capture_output=True, text=True, timeout=seconds + 60).stdout
    m = re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s, ([\d.]+)([KMG]?)B/s", out)
    failed = re.search(r"requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed", out)
    if not m:
        raise RuntimeError(f"h2load output not understood:\n{out}")
    scale = {"": 1 / 1e6, "K": 1 / 1e3, "M": 1.0, "G": 1e3}[m.group(3)]
    return float(m.group(1)), float(m.group(2)) * scale, int(failed.group(1)) if failed else -1


CASES = [("bulk", "/big", 4, 1), ("small", "/", 16, 10)]


def measure(targets, quick):
    rounds, seconds = (1, 3) if quick else (3, 10)
    results = {(t, c[0]): [] for t in targets for c in CASES}
    cpu = {t: 0.0 for t in targets}
    for r in range(rounds):
        for case, path, clients, streams in CASES:
            for name, (port, proc) in targets.items():
                before = proc.cpu_seconds() if proc else 0.0
                rps, mbps, failed = h2load(port, path, clients, streams, seconds)
                if proc:
                    cpu[name] += proc.cpu_seconds() - before
                if failed != 0:
                    raise RuntimeError(f"{name} {case}: {failed} requests failed")
                results[(name, case)].append((rps, mbps))
                log(f"  round {r + 1} {case:5} {name:8} {rps:10.0f} req/s {mbps:9.1f} MB/s")
    return results, cpu, rounds, seconds


def run(root, quick, workdir=None):
    """Runs the whole comparison and returns it as a Markdown section (also used by bench.py)."""
    own = workdir is None
    workdir = tempfile.mkdtemp(prefix="meshway-bench-tls-") if own else os.path.join(workdir, "tls-passthrough")
    os.makedirs(workdir, exist_ok=True)
    procs = []
    try:
        up = make_upstream(workdir)
        procs.append(up)
        wait_port(UPSTREAM_TLS)
        confdir = os.path.join(workdir, "meshway")
        meshway_config(confdir)
        binary = os.path.join(root, ".build", "meshway", "meshway")
        mesh = Proc("meshway", [binary, "run", "--config", confdir, "--admin-port", str(MESHWAY_ADMIN), "--log-level", "warning"],
                    env=dict(os.environ, DOTNET_gcServer="0"))
        procs.append(mesh)
        wait_ready()
        wait_port(MESHWAY_TLS)
        hap = Proc("haproxy", ["haproxy", "-db", "-f", haproxy_config(workdir)])
        procs.append(hap)
        wait_port(HAPROXY_TLS)
        targets = {"direct": (UPSTREAM_TLS, None), "meshway": (MESHWAY_TLS, mesh), "haproxy": (HAPROXY_TLS, hap)}
        log("tls passthrough: h2load over TLS (ALPN h2, SNI localhost)")
        results, cpu, rounds, seconds = measure(targets, quick)
    finally:
        for p in procs:
            p.stop()
        if own:
            shutil.rmtree(workdir, ignore_errors=True)

    def med(name, case, i):
        return statistics.median(v[i] for v in results[(name, case)])

    lines = ["## TLS passthrough throughput", "",
             f"h2load over TLS (ALPN h2, SNI `{SNI}`) to one nginx TLS upstream; Meshway = TLS listener in Passthrough "
             f"mode + TLSRoute, haproxy = `mode tcp`. Median of {rounds} round(s) x {seconds} s per cell, targets "
             "alternating. bulk = 1 MiB object, 4 connections x 1 stream; small = 2-byte answer, 16 connections x "
             "10 streams. proxy CPU s = the proxy's CPU seconds over all its runs. The machine is shared: "
             "compare ratios within one run only.", "",
             "| target | bulk MB/s | vs direct | small req/s | vs direct | proxy CPU s |",
             "|---|---:|---:|---:|---:|---:|"]
    direct_bulk, direct_small = med("direct", "bulk", 1), med("direct", "small", 0)
    for name in ("direct", "meshway", "haproxy"):
        bulk, small = med(name, "bulk", 1), med(name, "small", 0)
        lines.append(f"| {name} | {bulk:.0f} | {bulk / direct_bulk:.2f} | {small:.0f} | {small / direct_small:.2f} | "
                     f"{'' if name == 'direct' else f'{cpu[name]:.1f}'} |")
    return "\n".join(lines) + "\n"


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    # The launcher rebuilds .build/meshway only when a source is newer than it.
    subprocess.run(["bash", os.path.join(args.root, "meshway"), "version"], check=True, capture_output=True)
    print(run(os.path.abspath(args.root), args.quick))


if __name__ == "__main__":
    main()
