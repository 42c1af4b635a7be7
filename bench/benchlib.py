"""What every benchmark section shares: processes we start (and stop by their own process group, never by
name), their CPU seconds and RSS from /proc, waiting for a port, and reading an h2load run."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Proc:
    """A server we started in its own session, so stop() ends its children too and nothing else. Its output
    goes to a log file (`log_path`); `stdout=subprocess.PIPE` keeps stdout readable instead (for peers that
    print their port), `stdin=subprocess.PIPE` keeps stdin open (for peers that exit when it closes)."""

    def __init__(self, name, args, cwd=None, env=None, stdin=None, stdout=None, log_dir=None):
        self.name = name
        if log_dir:
            self.log_path = os.path.join(log_dir, name + ".log")
            logf = open(self.log_path, "w")
        else:
            logf = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)
            self.log_path = logf.name
        self.p = subprocess.Popen(args, cwd=cwd, env=env, stdin=stdin,
                                  stdout=stdout if stdout is not None else logf,
                                  stderr=logf if stdout is not None else subprocess.STDOUT,
                                  text=stdout is not None, start_new_session=True)

    def log_text(self):
        try:
            return open(self.log_path).read()
        except OSError:
            return ""

    def pids(self):
        out = [self.p.pid]
        try:
            kids = subprocess.run(["pgrep", "-P", str(self.p.pid)], capture_output=True, text=True).stdout.split()
            out += [int(k) for k in kids]
        except OSError:
            pass
        return out

    def cpu_seconds(self):
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
            except OSError:
                pass
        return total

    def rss_mb(self, key="VmHWM"):
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith(key + ":"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024.0

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
                self.p.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.p.wait()


def wait_port(port, timeout=60.0, host="127.0.0.1"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout}s")


def h2load(args, timeout=None):
    """Runs h2load with `args` (everything but the log file) and returns requests/s, latencies (ms, sorted),
    and errors: non-200 answers plus requests h2load counted as failed or errored."""
    logf = tempfile.NamedTemporaryFile(prefix="h2load-", suffix=".tsv", delete=False).name
    out = subprocess.run(["h2load", f"--log-file={logf}"] + args, capture_output=True, text=True, timeout=timeout).stdout
    lat, bad = [], 0
    try:
        with open(logf) as f:
            for line in f:
                parts = line.split("\t")
                if len(parts) >= 3:
                    if parts[1] != "200":
                        bad += 1
                    lat.append(int(parts[2]) / 1000.0)
    finally:
        os.remove(logf)
    lat.sort()
    m = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out)
    failed = re.search(r"requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed, (\d+) errored", out)
    if failed:
        bad = max(bad, int(failed.group(1)) + int(failed.group(2)))
    return {"rps": float(m.group(1)) if m else 0.0, "latencies": lat, "errors": bad, "output": out}


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))] if sorted_values else None
