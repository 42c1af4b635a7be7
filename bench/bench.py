#!/usr/bin/env python3
"""Meshway benchmarks: one run, one machine, four targets against one shared upstream.

Targets: direct (the upstream itself), Meshway, nginx (upstream keepalive on), haproxy (connection reuse on).
Every load run has a fixed duration; targets alternate within each round so drift hits all of them alike.
Only 127.0.0.1 is used. Prints a Markdown table and writes it, plus a PNG chart, to bench/results/.
"""

import argparse
import datetime
import http.client
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import Proc, log, wait_port  # noqa: E402

UPSTREAM_A = 18080
UPSTREAM_B = 18086
MESHWAY = 18081
MESHWAY_ADMIN = 18090
NGINX = 18082
NGINX_H2 = 18083
HAPROXY = 18084
HAPROXY_H2 = 18085
BODY_4K = "x" * 4096


# ---------------------------------------------------------------- processes

def http_get(port, path="/", host="bench.local", timeout=2.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def wait_ready(admin_port, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if http_get(admin_port, "/ready") == 200:
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError("meshway did not become ready")


# ---------------------------------------------------------------- configs

def nginx_upstream_conf(workdir):
    www = os.path.join(workdir, "www")
    os.makedirs(www, exist_ok=True)
    open(os.path.join(www, "4k"), "w").write(BODY_4K)
    # nginx workers run as an unprivileged user: mkdtemp's 0700 would make /4k a 403 for every target.
    for path in (workdir, www):
        os.chmod(path, 0o755)
    os.chmod(os.path.join(www, "4k"), 0o644)
    conf = f"""
worker_processes 1;
pid {workdir}/nginx-up.pid;
error_log {workdir}/nginx-up.err warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {workdir}/up-body; proxy_temp_path {workdir}/up-proxy;
  fastcgi_temp_path {workdir}/up-fcgi; uwsgi_temp_path {workdir}/up-uwsgi; scgi_temp_path {workdir}/up-scgi;
  server {{ listen 127.0.0.1:{UPSTREAM_A} http2; listen 127.0.0.1:{UPSTREAM_A + 100};
    location = /4k {{ default_type text/plain; root {www}; }}
    location / {{ default_type text/plain; add_header x-upstream a; return 200 ""; }} }}
  server {{ listen 127.0.0.1:{UPSTREAM_B};
    location = /4k {{ default_type text/plain; root {www}; }}
    location / {{ default_type text/plain; add_header x-upstream b; return 200 ""; }} }}
}}
"""
    path = os.path.join(workdir, "nginx-upstream.conf")
    open(path, "w").write(conf)
    return path


# The upstream listens twice on port A's server block: UPSTREAM_A speaks h2c only (nginx cannot do h1 and
# h2c on one plaintext port), UPSTREAM_A+100 speaks HTTP/1.1. Proxies use HTTP/1.1 upstream.
UPSTREAM_H1 = UPSTREAM_A + 100


def nginx_proxy_conf(workdir):
    conf = f"""
worker_processes 2;
pid {workdir}/nginx-proxy.pid;
error_log {workdir}/nginx-proxy.err warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {workdir}/px-body; proxy_temp_path {workdir}/px-proxy;
  fastcgi_temp_path {workdir}/px-fcgi; uwsgi_temp_path {workdir}/px-uwsgi; scgi_temp_path {workdir}/px-scgi;
  upstream up {{ server 127.0.0.1:{UPSTREAM_H1}; keepalive 128; keepalive_requests 1000000; }}
  server {{ listen 127.0.0.1:{NGINX}; listen 127.0.0.1:{NGINX_H2} http2;
    location / {{ proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection "";
                 proxy_buffering on; }} }}
}}
"""
    path = os.path.join(workdir, "nginx-proxy.conf")
    open(path, "w").write(conf)
    return path


def haproxy_conf(workdir):
    conf = f"""
global
  nbthread 2
  maxconn 4000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always
frontend fe
  bind 127.0.0.1:{HAPROXY}
  bind 127.0.0.1:{HAPROXY_H2} proto h2
  default_backend be
backend be
  server up 127.0.0.1:{UPSTREAM_H1}
"""
    path = os.path.join(workdir, "haproxy.cfg")
    open(path, "w").write(conf)
    return path


GATEWAY_HEAD = f"""apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: meshway}}
spec: {{controllerName: meshway.dev/gateway-controller}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: bench, namespace: default}}
spec:
  gatewayClassName: meshway
  addresses: [{{type: IPAddress, value: 127.0.0.1}}]
  listeners:
  - {{name: http, port: {MESHWAY}, protocol: HTTP, allowedRoutes: {{namespaces: {{from: All}}}}}}
"""


def service_yaml(name, port):
    return f"""---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: default}}
spec: {{ports: [{{name: http, port: 80, targetPort: {port}}}]}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: {name}-1, namespace: default, labels: {{kubernetes.io/service-name: {name}}}}}
addressType: IPv4
ports: [{{name: http, port: {port}}}]
endpoints: [{{addresses: [127.0.0.1], conditions: {{ready: true}}}}]
"""


def route_yaml(name, hostname, prefix, backend, header_value="bench"):
    hosts = f"hostnames: [{hostname}]\n  " if hostname else ""
    return f"""---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: default}}
spec:
  parentRefs: [{{name: bench}}]
  {hosts}rules:
  - matches: [{{path: {{type: PathPrefix, value: "{prefix}"}}}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {{set: [{{name: x-bench-route, value: "{name}"}}]}}
    - type: ResponseHeaderModifier
      responseHeaderModifier: {{set: [{{name: x-bench, value: "{header_value}"}}]}}
    backendRefs: [{{name: {backend}, port: 80}}]
"""


def write_meshway_config(confdir, routes, catch_all=True):
    """A catch-all route (host-less, for the traffic runs) unless catch_all is False, plus N hostnamed routes.
    Propagation must run without the catch-all: it would answer 200 for a route before the route exists."""
    os.makedirs(confdir, exist_ok=True)
    for f in os.listdir(confdir):
        os.remove(os.path.join(confdir, f))
    base = GATEWAY_HEAD + service_yaml("up-a", UPSTREAM_H1) + service_yaml("up-b", UPSTREAM_B)
    if catch_all:
        base += route_yaml("catch-all", None, "/", "up-a")
    open(os.path.join(confdir, "00-base.yaml"), "w").write(base)
    if routes:
        body = "".join(route_yaml(f"r{i}", f"{i}-route.example.com", f"/{i}", "up-a") for i in range(routes))
        open(os.path.join(confdir, "10-routes.yaml"), "w").write(body)


MESHWAY_BINARY = None  # --binary: another build to measure (before/after comparisons); default: the checkout's


def start_meshway(root, confdir):
    binary = MESHWAY_BINARY or os.path.join(root, ".build", "meshway", "meshway")
    env = dict(os.environ, DOTNET_gcServer="0")
    p = Proc("meshway", [binary, "run", "--config", confdir, "--admin-port", str(MESHWAY_ADMIN),
                         "--log-level", "info"], env=env)
    t0 = time.time()
    wait_ready(MESHWAY_ADMIN)
    wait_port(MESHWAY)
    return p, time.time() - t0


# ---------------------------------------------------------------- load tools

def parse_wrk_latency(text, pct):
    m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        return None
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000.0 if unit == "us" else v if unit == "ms" else v * 1000.0


def run_wrk(port, conns, seconds, path="/", host="bench.local"):
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", "-H", f"Host: {host}",
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    err = (int(errors.group(1)) if errors else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    return {"rps": float(rps.group(1)) if rps else 0.0, "requests": int(total.group(1)) if total else 0,
            "p50": parse_wrk_latency(out, 50), "p99": parse_wrk_latency(out, 99), "errors": err}


def run_h2load(port, conns, seconds, path="/", rps=None, h1=False, host="bench.local"):
    args = [f"-c{conns}", "-m1", f"-D{seconds}", "--warm-up-time=1", "-H", f":authority: {host}"]
    if h1:
        args.append("--h1")
    if rps:
        args.append(f"--rps={rps}")
    args.append(f"http://127.0.0.1:{port}{path}")
    r = benchlib.h2load(args)
    lat = r["latencies"]
    return {"rps": r["rps"], "requests": len(lat), "p50": benchlib.percentile(lat, 0.50),
            "p99": benchlib.percentile(lat, 0.99), "errors": r["errors"]}


# ---------------------------------------------------------------- suites

def traffic(targets, quick):
    conns_list = [16] if quick else [1, 16, 64]
    bodies = [("0B", "/")] if quick else [("0B", "/"), ("4KiB", "/4k")]
    protos = ["h1", "h2"]
    seconds = 2 if quick else 4
    rows = []
    # Warm-up: JIT tiers, connection pools and caches settle before anything is recorded.
    for name, (port_h1, port_h2, _) in targets.items():
        run_wrk(port_h1, 16, 3 if quick else 5)
        run_h2load(port_h2, 16, 2)
    for proto in protos:
        for body, path in bodies:
            for conns in conns_list:
                order = list(targets.items())
                if len(rows) % 2:
                    order.reverse()  # alternate to cancel drift
                for name, (port_h1, port_h2, proc) in order:
                    cpu0 = proc.cpu_seconds()
                    if proto == "h1":
                        r = run_wrk(port_h1, conns, seconds, path)
                    else:
                        r = run_h2load(port_h2, conns, seconds, path)
                    cpu = proc.cpu_seconds() - cpu0
                    r.update(target=name, proto=proto, body=body, conns=conns,
                             cpu_per_1k=(cpu / r["requests"] * 1000.0) if r["requests"] else None,
                             rss=proc.rss_mb())
                    rows.append(r)
                    log(f"  {proto} {body} c{conns} {name}: {r['rps']:.0f} rps p99={r['p99']} err={r['errors']}")
    return rows


def fixed_rate(targets, quick):
    seconds = 5 if quick else 10
    rows = []
    for name, (port_h1, _, _) in targets.items():
        r = run_h2load(port_h1, 4, seconds, "/", rps=250, h1=True)
        r["target"] = name
        rows.append(r)
        log(f"  1000 rps {name}: p50={r['p50']} p99={r['p99']} err={r['errors']}")
    return rows


def route_scale(root, workdir, quick):
    sizes = [1, 1000] if quick else [1, 100, 1000, 5000]
    seconds = 2 if quick else 4
    rows = []
    for n in sizes:
        confdir = os.path.join(workdir, f"scale-{n}")
        write_meshway_config(confdir, n, catch_all=False)
        p, ready_s = start_meshway(root, confdir)
        try:
            target = f"{n // 2}-route.example.com"
            status = http_get(MESHWAY, f"/{n // 2}/x", host=target)
            time.sleep(4)  # settled: the gateway trims its heap ~2 s after a big load (peak RSS keeps the high-water mark)
            rss_idle = p.rss_mb("VmRSS")
            run_wrk(MESHWAY, 16, 3 if quick else 6, f"/{n // 2}/x", host=target)  # warm-up: JIT tiers settle
            r = run_wrk(MESHWAY, 16, seconds, f"/{n // 2}/x", host=target)
            rows.append({"routes": n, "ready_s": ready_s, "first_status": status, "rss_idle": rss_idle,
                         "rss_peak": p.rss_mb(), "rps": r["rps"], "errors": r["errors"],
                         "translate_ms": translate_ms(p)})
            log(f"  {n} routes: ready {ready_s:.2f}s, {r['rps']:.0f} rps, rss {rss_idle:.0f} MB")
        finally:
            p.stop()
    return rows


def translate_ms(proc):
    """How long the last config apply took until the new snapshot served (as the applier logs it)."""
    try:
        text = proc.log_text()
    except OSError:
        return None
    found = re.findall(r"serving after ([\d.]+) ms", text) or re.findall(r"(?:translat\w*|applied)[^\n]*?([\d.]+)\s*ms", text, re.I)
    return float(found[-1]) if found else None


def propagation(root, workdir, quick):
    base = 1000 if quick else 5000
    adds = 15 if quick else 60
    confdir = os.path.join(workdir, "propagation")
    write_meshway_config(confdir, base, catch_all=False)
    p, _ = start_meshway(root, confdir)
    times, bad = [], 0
    time.sleep(2)  # let start-up work (JIT, first status) finish so the CPU figure is the changes' own
    cpu0 = p.cpu_seconds()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", MESHWAY, timeout=5)
        run = os.getpid()
        for i in range(adds):
            # A hostname and path no earlier route (of this or any run) used: only the new route can answer.
            name = f"extra{run}-{i}"
            host = f"{name}.example.com"
            path = os.path.join(confdir, f"20-{name}.yaml")
            tmp = path + ".tmp"
            open(tmp, "w").write(route_yaml(name, host, f"/{name}", "up-a"))
            t0 = time.perf_counter()
            os.rename(tmp, path)  # atomic: the gateway never reads a half-written file
            deadline = t0 + 10
            while True:
                try:
                    conn.request("GET", f"/{name}", headers={"Host": host})
                    r = conn.getresponse()
                    r.read()
                    st = r.status
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", MESHWAY, timeout=5)
                    st = -1
                if st == 200:
                    times.append((time.perf_counter() - t0) * 1000.0)
                    break
                if st != 404:
                    bad += 1
                if time.perf_counter() > deadline:
                    times.append(float("inf"))
                    break
                time.sleep(0.001)
        conn.close()
        cpu_ms = (p.cpu_seconds() - cpu0) * 1000.0 / adds
    finally:
        p.stop()
    times.sort()
    return {"base": base, "adds": adds, "cpu_ms": cpu_ms, "p50": times[len(times) // 2],
            "p99": times[min(len(times) - 1, int(len(times) * 0.99))], "max": times[-1], "non200": bad}


def churn(root, workdir, quick):
    confdir = os.path.join(workdir, "churn")
    write_meshway_config(confdir, 0)
    p, _ = start_meshway(root, confdir)
    route_file = os.path.join(confdir, "30-churn.yaml")
    cycles = 20
    ok = bad = 0
    try:
        def write(i):
            tmp = route_file + ".tmp"
            open(tmp, "w").write(route_yaml("churn", "churn.example.com", "/", "up-a" if i % 2 == 0 else "up-b",
                                            header_value=f"v{i}"))
            os.rename(tmp, route_file)

        write(0)
        deadline = time.time() + 10
        while http_get(MESHWAY, "/", host="churn.example.com") != 200 and time.time() < deadline:
            time.sleep(0.01)
        conn = http.client.HTTPConnection("127.0.0.1", MESHWAY, timeout=5)
        next_change, i = time.time() + 0.2, 1
        end = time.time() + cycles * 0.2 + 0.2
        while time.time() < end:
            if time.time() >= next_change and i <= cycles:
                write(i)
                i += 1
                next_change += 0.2
            try:
                conn.request("GET", "/", headers={"Host": "churn.example.com"})
                r = conn.getresponse()
                r.read()
                if r.status == 200:
                    ok += 1
                else:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", MESHWAY, timeout=5)
        conn.close()
    finally:
        p.stop()
    return {"cycles": cycles, "ok": ok, "non200": bad}


# ---------------------------------------------------------------- report

def fmt(v, digits=0):
    if v is None:
        return "–"
    if v == float("inf"):
        return "timeout"
    return f"{v:.{digits}f}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "–"


def valid(r):
    """A row counts only if every request got a 2xx and some were made; anything else voids its ratios."""
    return r.get("errors", 0) == 0 and r.get("requests", 1) > 0 and r.get("first_status", 200) == 200


def validity(r):
    return "yes" if valid(r) else f"**void** ({r.get('errors', 0)} non-2xx/errors)"


def report(args, results, started):
    traffic_rows = results.get("traffic")
    fixed_rows = results.get("fixed")
    scale_rows = results.get("scale")
    prop = results.get("propagation")
    churn_row = results.get("churn")
    lines = []
    now = datetime.datetime.now(datetime.timezone.utc)
    lines.append(f"# Meshway benchmark {now:%Y-%m-%d %H:%M} UTC{' (quick)' if args.quick else ''}\n")
    lines.append(f"Machine: {os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}; "
                 f"client, proxy and upstream share the machine. Upstream: nginx returning a fixed body. "
                 f"nginx proxy with upstream keepalive (2 workers), haproxy with http-reuse always (2 threads). "
                 f"Generated by `bench/run{' --quick' if args.quick else ''}"
                 f"{' --only ' + args.only if args.only else ''}` in {time.time() - started:.0f} s. "
                 f"A row is void when any request got a non-2xx answer or failed; void rows have no ratios.\n")
    if traffic_rows is not None:
        lines.append("## Throughput and latency (wrk for HTTP/1.1, h2load for HTTP/2)\n")
        lines.append("| proto | body | conns | target | req/s | p50 ms | p99 ms | CPU s/1k req | peak RSS MB | errors | valid | ÷ direct | ÷ nginx | ÷ haproxy |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        index = {}
        for r in traffic_rows:
            index[(r["proto"], r["body"], r["conns"], r["target"])] = r

        def rps_of(key):
            r = index.get(key)
            return r["rps"] if r and valid(r) else None

        for r in traffic_rows:
            key = (r["proto"], r["body"], r["conns"])
            mine = r["rps"] if valid(r) else None
            lines.append(f"| {r['proto']} | {r['body']} | {r['conns']} | {r['target']} | {fmt(r['rps'])} | "
                         f"{fmt(r['p50'], 3)} | {fmt(r['p99'], 3)} | {fmt(r['cpu_per_1k'], 3)} | {fmt(r['rss'], 1)} | "
                         f"{r['errors']} | {validity(r)} | {ratio(mine, rps_of(key + ('direct',)))} | "
                         f"{ratio(mine, rps_of(key + ('nginx',)))} | {ratio(mine, rps_of(key + ('haproxy',)))} |")
    if fixed_rows is not None:
        lines.append("\n## Latency at a fixed 1000 requests/s (HTTP/1.1, 4 connections, h2load --rps)\n")
        lines.append("| target | p50 ms | p99 ms | added p99 vs direct ms | errors | valid |")
        lines.append("|---|---|---|---|---|---|")
        direct_p99 = next((r["p99"] for r in fixed_rows if r["target"] == "direct"), None)
        for r in fixed_rows:
            added = (r["p99"] - direct_p99) if (r["p99"] is not None and direct_p99 is not None) else None
            lines.append(f"| {r['target']} | {fmt(r['p50'], 3)} | {fmt(r['p99'], 3)} | {fmt(added, 3)} | {r['errors']} | {validity(r)} |")
    if scale_rows is not None:
        lines.append("\n## Route scale (Meshway, wrk 16 connections to the middle route)\n")
        lines.append("| routes | start→ready s | apply ms (logged: translate → serving) | RSS idle MB | peak RSS MB | req/s | ÷ 1 route | errors | valid |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        one = next((r["rps"] for r in scale_rows if r["routes"] == 1 and valid(r)), None)
        for r in scale_rows:
            lines.append(f"| {r['routes']} | {fmt(r['ready_s'], 2)} | {fmt(r['translate_ms'], 1)} | {fmt(r['rss_idle'], 1)} | "
                         f"{fmt(r['rss_peak'], 1)} | {fmt(r['rps'])} | {ratio(r['rps'] if valid(r) else None, one)} | {r['errors']} | {validity(r)} |")
    if prop is not None:
        lines.append(f"\n## Propagation (add routes one at a time to a gateway holding {prop['base']})\n")
        lines.append("Time from the file's atomic rename into the config directory to the first 200 on the new route "
                     "(its own hostname and path; no catch-all route exists). 404 while the route is not yet live is expected.\n")
        lines.append("| routes added | p50 ms | p99 ms | max ms | gateway CPU ms per change | non-200 other than 404 |")
        lines.append("|---|---|---|---|---|---|")
        lines.append(f"| {prop['adds']} | {fmt(prop['p50'], 1)} | {fmt(prop['p99'], 1)} | {fmt(prop['max'], 1)} | "
                     f"{fmt(prop['cpu_ms'], 1)} | {prop['non200']} |")
    if churn_row is not None:
        lines.append("\n## Churn (backend and response header change every 200 ms, client back to back)\n")
        lines.append("| cycles | 200 | non-200 |")
        lines.append("|---|---|---|")
        lines.append(f"| {churn_row['cycles']} | {churn_row['ok']} | {churn_row['non200']} |")
    for name, text in results.get("extra", []):
        lines.append("")
        lines.append(text.rstrip("\n"))
    return "\n".join(lines) + "\n"


def chart(traffic_rows, png, datafile):
    conns = sorted({r["conns"] for r in traffic_rows})
    names = ["direct", "meshway", "nginx", "haproxy"]
    with open(datafile, "w") as f:
        f.write("conns " + " ".join(names) + "\n")
        for c in conns:
            vals = []
            for n in names:
                v = [r["rps"] for r in traffic_rows if r["conns"] == c and r["target"] == n and r["proto"] == "h1" and r["body"] == "0B"]
                vals.append(f"{v[0]:.0f}" if v else "0")
            f.write(f"{c} " + " ".join(vals) + "\n")
    script = f"""
set terminal png size 900,500
set output '{png}'
set title 'HTTP/1.1 requests/s by connections (0 B body)'
set style data histograms
set style histogram cluster gap 1
set style fill solid border -1
set key left top
set ylabel 'requests/s'
set xlabel 'connections'
plot '{datafile}' using 2:xtic(1) title 'direct', '' using 3 title 'meshway', '' using 4 title 'nginx', '' using 5 title 'haproxy'
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


# Hook point for the sections of other modules (bench/passthrough.py, bench/grpc.py, bench/waypoint.py). Each
# module adds one import and one append between the marks, e.g.
#     import grpc as grpc_bench; EXTRA_SECTIONS.append(("grpc", grpc_bench.section))
# section(root, workdir, quick) runs its own servers (stopping them before it returns), stays within its own
# time budget (quick: 20 s, full: 90 s) and returns Markdown: a "## ..." heading, then a table.
# `--only NAME` runs just that section, like the built-in ones.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
EXTRA_SECTIONS = []
# --- bench hooks: begin ---
# Each module adds one section: section(root, workdir, quick) -> Markdown; `--only NAME` runs just that one.
import passthrough  # noqa: E402  TLS passthrough throughput (TLSRoute work)
import waypoint  # noqa: E402  HBONE waypoint p99 added and CPU per 1000 requests (waypoint work)
grpc_bench = __import__("grpc")  # bench/grpc.py: gRPC unary requests/s (GRPCRoute work)
EXTRA_SECTIONS.append(("passthrough", lambda root, workdir, quick: passthrough.run(root, quick, workdir)))
EXTRA_SECTIONS.append(("grpc", lambda root, workdir, quick: grpc_bench.run(root, workdir, quick, log)))
EXTRA_SECTIONS.append(("waypoint", lambda root, workdir, quick: waypoint.run(root, quick)))
# --- bench hooks: end ---

BUILTIN_SECTIONS = ["traffic", "fixed", "scale", "propagation", "churn"]


def main():
    global MESHWAY_BINARY
    # A SIGTERM (e.g. from `timeout`) must still run the clean-up below, or the servers outlive us.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=None)
    ap.add_argument("--only", default=None,
                    help="comma-separated sections to run: " + ", ".join(BUILTIN_SECTIONS + [n for n, _ in EXTRA_SECTIONS]))
    ap.add_argument("--binary", default=None, help="the meshway binary to measure (default: the checkout's build)")
    args = ap.parse_args()
    MESHWAY_BINARY = args.binary
    wanted = set((args.only or ",".join(BUILTIN_SECTIONS + [n for n, _ in EXTRA_SECTIONS])).split(","))
    unknown = wanted - set(BUILTIN_SECTIONS) - {n for n, _ in EXTRA_SECTIONS}
    if unknown:
        ap.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    started = time.time()
    outdir = args.out or os.path.join(args.root, "bench", "results")
    os.makedirs(outdir, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="meshway-bench-")
    procs = []
    results = {}
    try:
        upstream = Proc("upstream", ["nginx", "-e", os.path.join(workdir, "nginx-up.err"), "-g", "daemon off;",
                                     "-c", nginx_upstream_conf(workdir)])
        procs.append(upstream)
        wait_port(UPSTREAM_A)
        wait_port(UPSTREAM_H1)
        wait_port(UPSTREAM_B)

        if wanted & {"traffic", "fixed"}:
            log("traffic: starting proxies")
            confdir = os.path.join(workdir, "traffic")
            write_meshway_config(confdir, 0)
            meshway, _ = start_meshway(args.root, confdir)
            procs.append(meshway)
            ngx = Proc("nginx", ["nginx", "-e", os.path.join(workdir, "nginx-proxy.err"), "-g", "daemon off;",
                                 "-c", nginx_proxy_conf(workdir)])
            procs.append(ngx)
            hap = Proc("haproxy", ["haproxy", "-db", "-f", haproxy_conf(workdir)])
            procs.append(hap)
            for port in (NGINX, NGINX_H2, HAPROXY, HAPROXY_H2):
                wait_port(port)
            for port in (UPSTREAM_H1, MESHWAY, NGINX, HAPROXY):
                st = http_get(port)
                if st != 200:
                    raise RuntimeError(f"warm-up on port {port} answered {st}")
            targets = {"direct": (UPSTREAM_H1, UPSTREAM_A, upstream), "meshway": (MESHWAY, MESHWAY, meshway),
                       "nginx": (NGINX, NGINX_H2, ngx), "haproxy": (HAPROXY, HAPROXY_H2, hap)}
            if "traffic" in wanted:
                results["traffic"] = traffic(targets, args.quick)
            if "fixed" in wanted:
                log("fixed rate")
                results["fixed"] = fixed_rate(targets, args.quick)
            for p in (meshway, ngx, hap):
                p.stop()
        if "scale" in wanted:
            log("route scale")
            results["scale"] = route_scale(args.root, workdir, args.quick)
        if "propagation" in wanted:
            log("propagation")
            results["propagation"] = propagation(args.root, workdir, args.quick)
        if "churn" in wanted:
            log("churn")
            results["churn"] = churn(args.root, workdir, args.quick)
        results["extra"] = []
        for name, section in EXTRA_SECTIONS:
            if name in wanted:
                log(name)
                results["extra"].append((name, section(args.root, workdir, args.quick)))

        text = report(args, results, started)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        suffix = ("-quick" if args.quick else "") + ("-" + args.only.replace(",", "-") if args.only else "")
        md = os.path.join(outdir, f"{stamp}{suffix}.md")
        png = os.path.join(outdir, f"{stamp}{suffix}.png")
        if results.get("traffic"):
            text += f"\n![requests/s by connections]({os.path.basename(png)})\n"
            chart(results["traffic"], png, os.path.join(workdir, "chart.dat"))
        open(md, "w").write(text)
        print(text)
        log(f"wrote {md}" + (f" and {png}" if results.get("traffic") else ""))
    finally:
        for p in procs:
            p.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
