#!/usr/bin/env python3
"""Waypoint benchmark (issue 6, acceptance 2): what the Meshway waypoint adds to mesh traffic.

The same fixed-rate load (default 1000 requests/s, 1 KB request bodies, the echo answers ~1.4 KB) is sent
through HBONE by a Node load source (bench/waypoint-load.js) along two paths, alternating per round:

  direct:   source --HBONE--> destination pod (the Node ztunnel stand-in, dest mode)
  waypoint: source --HBONE--> Meshway waypoint (GAMMA HTTPRoute) --HBONE--> the same destination pod

and prints a Markdown table: latency percentiles per path, the p99 the waypoint adds, and the CPU the
waypoint process spends per 1000 requests (= vCPU at 1000 requests/s), next to Istio's published figure for
its Envoy waypoint (0.25 vCPU per 1000 rps of 1 KB, perf-anchors.md [I1]). Certificates come from a
throw-away CA made with openssl (SPIFFE URI SANs, trust domain cluster.local). Addresses 127.0.11.x/127.0.21.x
(the tests use 127.0.10.x/127.0.20.x). Every run is bounded; --quick makes it short.

  python3 bench/waypoint.py [--root .] [--quick] [--rate 1000] [--rounds N] [--seconds S] [--out FILE]
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Proc, log  # noqa: E402

WAYPOINT_IP = "127.0.11.1"
POD_IP = "127.0.11.2"
SOURCE_IP = "127.0.11.3"
VIP = "127.0.21.1"
ADMIN = 18190
TD = "cluster.local"
IDS = {
    "waypoint": f"spiffe://{TD}/ns/mesh/sa/waypoint",
    "source": f"spiffe://{TD}/ns/shop/sa/productpage",
    "pod": f"spiffe://{TD}/ns/shop/sa/reviews",
}
ISTIO_WAYPOINT_VCPU = 0.25


# ---------------------------------------------------------------- PKI (openssl, no .NET needed)

def make_pki(d):
    def run(*argv):
        subprocess.run(argv, check=True, capture_output=True, cwd=d)

    run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "root.key")
    run("openssl", "req", "-x509", "-new", "-key", "root.key", "-days", "2", "-subj", "/O=cluster.local",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-out", "root.pem")
    for name, spiffe in IDS.items():
        run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.ec")
        run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", f"{name}.ec", "-out", f"{name}.key")
        run("openssl", "req", "-new", "-key", f"{name}.key", "-subj", "/O=cluster.local", "-out", f"{name}.csr")
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                    f"extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=critical,URI:{spiffe}\n")
        run("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", "root.pem", "-CAkey", "root.key",
            "-CAcreateserial", "-days", "1", "-extfile", f"{name}.ext", "-out", f"{name}.leaf")
        with open(os.path.join(d, f"{name}.crt"), "w") as f:
            f.write(open(os.path.join(d, f"{name}.leaf")).read() + open(os.path.join(d, "root.pem")).read())
    certs = os.path.join(d, "waypoint-certs")
    os.makedirs(certs)
    shutil.copy(os.path.join(d, "waypoint.crt"), os.path.join(certs, "cert-chain.pem"))
    shutil.copy(os.path.join(d, "waypoint.key"), os.path.join(certs, "key.pem"))
    shutil.copy(os.path.join(d, "root.pem"), os.path.join(certs, "root-cert.pem"))
    return certs


MANIFESTS = f"""apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: meshway-waypoint}}
spec: {{controllerName: meshway.dev/waypoint-controller}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: waypoint, namespace: mesh}}
spec:
  gatewayClassName: meshway-waypoint
  addresses: [{{type: IPAddress, value: "{WAYPOINT_IP}"}}]
  listeners:
  - {{name: mesh, port: 15008, protocol: HBONE, allowedRoutes: {{namespaces: {{from: All}}}}}}
---
apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: shop
  labels: {{istio.io/use-waypoint: waypoint, istio.io/use-waypoint-namespace: mesh}}
spec:
  clusterIP: {VIP}
  ports: [{{name: http, port: 9080, targetPort: 8080}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: reviews-1, namespace: shop, labels: {{kubernetes.io/service-name: reviews}}}}
addressType: IPv4
ports: [{{name: http, port: 8080}}]
endpoints: [{{addresses: ["{POD_IP}"]}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: reviews-v1, namespace: shop, annotations: {{ambient.istio.io/redirection: enabled}}}}
spec: {{serviceAccountName: reviews}}
status: {{podIP: "{POD_IP}"}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: reviews, namespace: shop}}
spec:
  parentRefs: [{{group: "", kind: Service, name: reviews, port: 9080}}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: /}}}}]
    filters: [{{type: RequestHeaderModifier, requestHeaderModifier: {{set: [{{name: x-mesh, value: waypoint}}]}}}}]
    backendRefs: [{{name: reviews, port: 9080}}]
"""


# ---------------------------------------------------------------- load

def load(root, pki, path, rate, warmup, seconds, watched):
    """One load run along `path`; returns the load source's JSON plus the CPU seconds each watched process
    spent inside the measured window (sampled when the source prints MEASURE_START / MEASURE_END)."""
    if path == "waypoint":
        hbone, san, authority = f"{WAYPOINT_IP}:15008", IDS["waypoint"], f"{VIP}:9080"
    else:
        hbone, san, authority = f"{POD_IP}:15008", IDS["pod"], f"{POD_IP}:8080"
    argv = ["node", os.path.join(root, "bench", "waypoint-load.js"), "--hbone", hbone, "--expect-san", san,
            "--authority", authority, "--cert", os.path.join(pki, "source.crt"),
            "--key", os.path.join(pki, "source.key"), "--ca", os.path.join(pki, "root.pem"), "--local", SOURCE_IP,
            "--rate", str(rate), "--warmup", str(warmup), "--seconds", str(seconds)]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    cpu0, cpu1, t0, t1, result = {}, {}, 0.0, 0.0, None
    try:
        for line in p.stdout:
            line = line.strip()
            if line == "MEASURE_START":
                t0, cpu0 = time.time(), {s.name: s.cpu_seconds() for s in watched}
            elif line == "MEASURE_END":
                t1, cpu1 = time.time(), {s.name: s.cpu_seconds() for s in watched}
            elif line.startswith("{"):
                result = json.loads(line)
        p.wait(timeout=warmup + seconds + 30)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    if result is None or not t1:
        raise RuntimeError(f"load source ({path}) gave no result: {p.stderr.read().strip()}")
    result["cpu"] = {name: cpu1[name] - cpu0[name] for name in cpu1}
    result["window"] = t1 - t0
    return result


def wait_ready(server, probe, timeout=300.0):
    deadline = time.time() + timeout
    last = ""
    while time.time() < deadline:
        if server.p.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.log_text()[-3000:]}")
        try:
            probe()
            return
        except Exception as e:  # not up yet
            last = str(e)
            time.sleep(0.5)
    raise RuntimeError(f"{server.name} not ready after {timeout:.0f}s: {last}")


def fmt(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f}"


def run(root, quick=False, rate=1000, rounds=None, seconds=None):
    """Runs the whole benchmark and returns the Markdown report (also usable from bench/bench.py)."""
    rounds = rounds or (1 if quick else 3)
    seconds = seconds or (5 if quick else 20)
    warmup = 2 if quick else 5
    root = os.path.abspath(root)
    workdir = tempfile.mkdtemp(prefix="meshway-wpbench-")
    servers = []
    try:
        log("waypoint bench: certificates")
        pki = os.path.join(workdir, "pki")
        os.makedirs(pki)
        certs = make_pki(pki)
        confdir = os.path.join(workdir, "config")
        os.makedirs(confdir)
        open(os.path.join(confdir, "mesh.yaml"), "w").write(MANIFESTS)

        log("waypoint bench: building/starting meshway and the destination stand-in")
        build = subprocess.run([os.path.join(root, "meshway"), "version"], capture_output=True, text=True)
        if build.returncode != 0:
            raise RuntimeError("meshway build failed: " + build.stderr)
        dest = Proc("dest", ["node", os.path.join(root, "mesh-integration", "test", "ztunnel-standin", "ztunnel.js"),
                               "dest", "--listen", f"{POD_IP}:15008", "--cert", os.path.join(pki, "pod.crt"),
                               "--key", os.path.join(pki, "pod.key"), "--ca", os.path.join(pki, "root.pem"),
                               "--name", "reviews-v1"], stdin=subprocess.PIPE, log_dir=workdir)
        servers.append(dest)
        env = dict(os.environ, DOTNET_gcServer="0")
        meshway = Proc("meshway", [os.path.join(root, ".build", "meshway", "meshway"), "run", "--config", confdir,
                                   "--admin-port", str(ADMIN), "--mesh-cert-dir", certs, "--log-level", "warning"],
                       env=env, stdin=subprocess.PIPE, log_dir=workdir)
        meshway.p.stdin.close()
        servers.append(meshway)
        wait_ready(meshway, lambda: urllib.request.urlopen(f"http://127.0.0.1:{ADMIN}/ready", timeout=2).read())
        def dest_listening():
            if "LISTENING" not in dest.log_text():
                raise RuntimeError("not listening yet")
        wait_ready(dest, dest_listening)
        # The HBONE listener opens once the first config is applied; a short run proves the whole path.
        for path in ("direct", "waypoint"):
            def probe(path=path):
                r = load(root, pki, path, 50, 0.2, 0.5, [])
                if r["ok"] == 0 or r["errors"]:
                    raise RuntimeError(f"{path}: {r}")
            wait_ready(meshway, probe, timeout=60)

        rows = {"direct": [], "waypoint": []}
        for i in range(rounds):
            for path in ("direct", "waypoint"):
                log(f"waypoint bench: round {i + 1}/{rounds} {path} at {rate} rps for {seconds}s")
                rows[path].append(load(root, pki, path, rate, warmup, seconds, [meshway, dest]))
        return report(rows, rate, seconds, rounds, quick)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def report(rows, rate, seconds, rounds, quick):
    def med(path, key):
        vals = [r[key] for r in rows[path] if r[key] is not None]
        return statistics.median(vals) if vals else None

    def per_k(path, proc):
        # CPU seconds per 1000 requests; at 1000 rps this equals vCPU.
        vals = [r["cpu"][proc] / ((r["ok"] + r["errors"]) / 1000.0) for r in rows[path] if r["ok"] + r["errors"]]
        return statistics.median(vals) if vals else None

    lines = [
        f"### Waypoint: {rate} requests/s, 1 KB bodies, {rounds} round(s) of {seconds} s per path"
        + (" (--quick)" if quick else ""),
        "",
        "| path | achieved rps | ok | errors | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms "
        "| waypoint CPU s / 1000 req | destination CPU s / 1000 req |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for path in ("direct", "waypoint"):
        ok = sum(r["ok"] for r in rows[path])
        err = sum(r["errors"] for r in rows[path])
        lines.append(f"| {path} | {fmt(med(path, 'rps'), 0)} | {ok} | {err} | {fmt(med(path, 'p50'))} "
                     f"| {fmt(med(path, 'p90'))} | {fmt(med(path, 'p99'))} | {fmt(med(path, 'p999'))} "
                     f"| {fmt(med(path, 'max'))} | {fmt(per_k(path, 'meshway'), 3) if path == 'waypoint' else '-'} "
                     f"| {fmt(per_k(path, 'dest'), 3)} |")
    p99w, p99d = med("waypoint", "p99"), med("direct", "p99")
    p50w, p50d = med("waypoint", "p50"), med("direct", "p50")
    vcpu = per_k("waypoint", "meshway")
    lines += [
        "",
        f"- **p99 added by the waypoint: {fmt(p99w - p99d if p99w is not None and p99d is not None else None)} ms** "
        f"(p50 added {fmt(p50w - p50d if p50w is not None and p50d is not None else None)} ms); medians over rounds.",
        f"- **Waypoint CPU: {fmt(vcpu, 3)} CPU s per 1000 requests = {fmt(vcpu * rate / 1000 if vcpu else None, 3)} "
        f"vCPU at {rate} rps**; Istio's Envoy waypoint: {ISTIO_WAYPOINT_VCPU} vCPU per 1000 rps of 1 KB "
        "(Istio 1.24 docs, perf-anchors.md [I1]; their cluster, not this machine).",
        "- Latency is measured from each request's scheduled send time (open loop), through one mTLS HTTP/2 "
        "connection carrying 16 keep-alive CONNECT tunnels, as a ztunnel would carry 16 app connections.",
        "- One shared 2-core machine runs the load source, the destination stand-in and the waypoint together; "
        "other work on it adds noise to every figure (compare rows of the same run only).",
    ]
    return "\n".join(lines)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--seconds", type=int, default=None)
    ap.add_argument("--out", default=None, help="also write the table to this file")
    args = ap.parse_args()
    text = run(args.root, args.quick, args.rate, args.rounds, args.seconds)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
