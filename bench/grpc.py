#!/usr/bin/env python3
"""gRPC unary requests/s: Meshway (GRPCRoute, h2c listener -> h2c backend) vs the backend direct.

The backend is the e2e gRPC peer (e2e/peers/grpc.js, @grpc/grpc-js) serving echo.Echo/Unary. The load
generator is h2load posting one fixed gRPC message (5-byte length prefix + protobuf EchoRequest{text}) with
content-type application/grpc and te: trailers, for a fixed duration per run; targets alternate within each
round so machine drift hits both alike. Before any load, a real grpc-js client call through each target must
succeed (h2load cannot see grpc-status, which travels in trailers).

Standalone:        python3 bench/grpc.py --root . [--quick]
From bench/bench.py: grpc.run(root, workdir, quick, log) -> Markdown section (the hook in its main()).
"""

import argparse
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Proc, h2load, log as _log, percentile, wait_port  # noqa: E402

GRPC_MESHWAY = 18091
GRPC_ADMIN = 18092
AUTHORITY = "grpc.bench"
PATH = "/echo.Echo/Unary"


def _ensure_node_packages(root, log):
    e2e = os.path.join(root, "e2e")
    if os.path.exists(os.path.join(e2e, "node_modules", "@grpc", "grpc-js", "package.json")):
        return
    log("grpc: installing the e2e Node peers' packages")
    verb = "ci" if os.path.exists(os.path.join(e2e, "package-lock.json")) else "install"
    subprocess.run(["npm", verb, "--no-audit", "--no-fund", "--silent"], cwd=e2e, check=True)


def _start_backend(root):
    peer = os.path.join(root, "e2e", "peers", "grpc.js")
    server = Proc("grpc-backend", ["node", peer, "server", "--name", "bench", "--addresses", "127.0.0.1"],
                  stdout=subprocess.PIPE)
    line = server.p.stdout.readline()
    if not line.startswith('{"ready":true'):
        server.stop()
        raise RuntimeError(f"gRPC backend did not start: {line!r} (log {server.log_path})")
    return server, json.loads(line)["port"]


def _meshway_config(confdir, backend_port):
    os.makedirs(confdir, exist_ok=True)
    text = f"""apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: meshway
spec:
  controllerName: meshway.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: grpc-bench
  namespace: default
spec:
  gatewayClassName: meshway
  addresses:
  - {{type: IPAddress, value: 127.0.0.1}}
  listeners:
  - {{name: h2c, port: {GRPC_MESHWAY}, protocol: HTTP}}
---
apiVersion: v1
kind: Service
metadata:
  name: echo
  namespace: default
spec:
  ports:
  - {{name: grpc, port: 50051, targetPort: {backend_port}, appProtocol: kubernetes.io/h2c}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: echo-1
  namespace: default
  labels:
    kubernetes.io/service-name: echo
addressType: IPv4
ports:
- {{name: grpc, port: {backend_port}, protocol: TCP}}
endpoints:
- addresses: ["127.0.0.1"]
  conditions: {{ready: true}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: echo
  namespace: default
spec:
  parentRefs: [{{name: grpc-bench}}]
  hostnames: ["{AUTHORITY}"]
  rules:
  - matches: [{{method: {{service: echo.Echo, method: Unary}}}}]
    backendRefs: [{{name: echo, port: 50051}}]
"""
    with open(os.path.join(confdir, "grpc.yaml"), "w") as f:
        f.write(text)


def _start_meshway(root, confdir):
    binary = os.path.join(root, ".build", "meshway", "meshway")
    if not os.path.exists(binary):
        subprocess.run([os.path.join(root, "meshway"), "version"], check=True, stdout=subprocess.DEVNULL)
    server = Proc("grpc-meshway", [binary, "run", "--config", confdir, "--admin-port", str(GRPC_ADMIN),
                                   "--log-level", "warning"])
    wait_port(GRPC_MESHWAY)
    return server


def _check_call(root, port, log):
    """One real grpc-js unary call through the target: the load runs only if it answers OK."""
    peer = os.path.join(root, "e2e", "peers", "grpc.js")
    deadline = time.time() + 30
    last = ""
    while time.time() < deadline:
        out = subprocess.run(["node", peer, "client", "--target", f"127.0.0.1:{port}", "--authority", AUTHORITY,
                              "--method", "Unary", "--text", "bench"], capture_output=True, text=True)
        last = (out.stdout.strip().splitlines() or [""])[-1]
        try:
            if json.loads(last).get("ok"):
                return
        except ValueError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gRPC check call on port {port} failed: {last}")


def _message_file(workdir):
    """The gRPC frame h2load posts: flag 0, big-endian length, then EchoRequest{text = "bench"} (field 1, LEN)."""
    text = b"bench"
    body = bytes([0x0A, len(text)]) + text
    path = os.path.join(workdir, "unary.grpc")
    with open(path, "wb") as f:
        f.write(b"\x00" + struct.pack(">I", len(body)) + body)
    return path


def _h2load(port, conns, streams, seconds, data):
    r = h2load([f"-c{conns}", f"-m{streams}", f"-D{seconds}", "--warm-up-time=1",
                "-d", data, "-H", f":authority: {AUTHORITY}", "-H", "content-type: application/grpc",
                "-H", "te: trailers", f"http://127.0.0.1:{port}{PATH}"])
    lat = r["latencies"]
    return {"rps": r["rps"], "p50": percentile(lat, 0.50), "p99": percentile(lat, 0.99), "errors": r["errors"],
            "requests": len(lat)}


def _fmt(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"


def run(root, workdir, quick, log=_log):
    """Starts the backend and a Meshway of its own, runs the load, stops both; returns a Markdown section."""
    _ensure_node_packages(root, log)
    procs = []
    try:
        backend, backend_port = _start_backend(root)
        procs.append(backend)
        confdir = os.path.join(workdir, "grpc-config")
        _meshway_config(confdir, backend_port)
        procs.append(_start_meshway(root, confdir))
        targets = {"direct": backend_port, "meshway": GRPC_MESHWAY}
        for name, port in targets.items():
            _check_call(root, port, log)
        data = _message_file(workdir)
        seconds = 3 if quick else 10
        rounds = 1 if quick else 3
        shapes = [(16, 10)] if quick else [(1, 1), (16, 10), (64, 10)]
        rows = []
        for conns, streams in shapes:
            runs = {name: [] for name in targets}
            for _ in range(rounds):
                for name, port in targets.items():
                    log(f"grpc: {name} c={conns} m={streams} {seconds}s")
                    runs[name].append(_h2load(port, conns, streams, seconds, data))
            for name in targets:
                best = max(runs[name], key=lambda r: r["rps"])  # best of the rounds: least disturbed by neighbours
                rows.append((name, conns, streams, best))
        lines = [
            "## gRPC unary (GRPCRoute, h2c)",
            "",
            f"h2load posting one `echo.Echo/Unary` message, {seconds} s per run, best of {rounds} alternating round(s); "
            "backend @grpc/grpc-js (e2e/peers/grpc.js). A shared machine: compare rows of the same run only.",
            "",
            "| target | connections | streams/conn | req/s | p50 ms | p99 ms | errors | vs direct |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        direct = {(c, m): r["rps"] for name, c, m, r in rows if name == "direct"}
        for name, c, m, r in rows:
            ratio = r["rps"] / direct[(c, m)] if direct.get((c, m)) else None
            lines.append(f"| {name} | {c} | {m} | {_fmt(r['rps'])} | {_fmt(r['p50'], 2)} | {_fmt(r['p99'], 2)} | "
                         f"{r['errors']} | {_fmt(ratio, 2)}× |")
        return "\n".join(lines) + "\n"
    finally:
        for p in procs:
            p.stop()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="meshway-bench-grpc-")
    try:
        print(run(os.path.abspath(args.root), workdir, args.quick))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
