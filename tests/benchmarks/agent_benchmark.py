"""Benchmark of the gtoken agent: what each pod pays for it.

Prints the static stripped binary's size, its resident memory while idle in refresh mode
(the sidecar's steady state), and the time from exec to a written token file with
--refresh=false (the init container's cost on pod start), against the Google emulator
over loopback. Ratios compare with the same program linked dynamically.

Usage: bazel run //tests/benchmarks:agent_benchmark [-- --runs N]
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.002)
    return False


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def shared_deps(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if "not a dynamic executable" in out.stdout + out.stderr:
        return 0
    return len([l for l in out.stdout.splitlines() if "=>" in l or "ld-linux" in l])


def time_to_file(binary, env, runs, workdir, source_args):
    times = []
    for i in range(runs):
        path = os.path.join(workdir, f"once-{i}")
        start = time.perf_counter()
        proc = subprocess.run(
            [binary, *source_args, "--refresh=false", f"--file={path}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0 or not os.path.getsize(path):
            sys.exit(f"{binary} --refresh=false failed (exit {proc.returncode})")
        times.append(elapsed * 1000)
    return times


def idle_rss(binary, env, workdir, source_args):
    path = os.path.join(workdir, "sidecar")
    if os.path.exists(path):
        os.unlink(path)
    proc = subprocess.Popen([binary, *source_args, f"--file={path}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_for(lambda: os.path.exists(path), 10):
            sys.exit("sidecar wrote no token")
        time.sleep(1.0)  # settled, sleeping until the next refresh
        return rss_kib(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(5)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gtoken", required=True)
    parser.add_argument("--gtoken-dynamic", required=True)
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="gtoken-bench.")
    ready = os.path.join(workdir, "google.json")
    emulator = subprocess.Popen([args.emulator, f"--ready_file={ready}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_for(lambda: os.path.exists(ready) and os.path.getsize(ready), 20):
            sys.exit("emulator did not start")
        info = json.load(open(ready))
        env = dict(os.environ, GCE_METADATA_HOST=info["metadata_host"])

        env["SSL_CERT_FILE"] = info["ca_file"]
        metadata = ["--source=metadata"]
        iam = ["--source=iam", f"--iam-credentials-url={info['iam_credentials_url']}"]

        def pct(xs, p):
            xs = sorted(xs)
            return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

        size = os.path.getsize(args.gtoken)
        size_dyn = os.path.getsize(args.gtoken_dynamic)
        print("gtoken agent benchmark (Google emulator on loopback)")
        print(f"  static stripped binary:    {size / 1e6:6.2f} MB, {shared_deps(args.gtoken)} shared libraries")
        print(f"  dynamic stripped binary:   {size_dyn / 1e6:6.2f} MB + {shared_deps(args.gtoken_dynamic)} shared libraries")
        for name, source in (("metadata", metadata), ("iam", iam)):
            rss = idle_rss(args.gtoken, env, workdir, source)
            rss_dyn = idle_rss(args.gtoken_dynamic, env, workdir, source)
            time_to_file(args.gtoken, env, 3, workdir, source)  # warm caches
            t = time_to_file(args.gtoken, env, args.runs, workdir, source)
            t_dyn = time_to_file(args.gtoken_dynamic, env, args.runs, workdir, source)
            print(f"  --source={name}:")
            print(f"    idle RSS, refresh mode:  {rss / 1024:6.2f} MiB static, {rss_dyn / 1024:6.2f} MiB dynamic"
                  f"  (static/dynamic {rss / rss_dyn:.2f}x)")
            print(f"    --refresh=false to file: median {statistics.median(t):6.2f} ms, p90 {pct(t, 90):6.2f} ms static;"
                  f" median {statistics.median(t_dyn):6.2f} ms dynamic"
                  f"  (static/dynamic {statistics.median(t) / statistics.median(t_dyn):.2f}x, {args.runs} runs)")
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(5)


if __name__ == "__main__":
    main()
