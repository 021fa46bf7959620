#!/usr/bin/env python3
"""bench/ferrybench.py — ferry against skopeo, side by side, on the scenarios
of shared/design/performance.md. Runs both tools alternately (A B A B …) on the
same fixtures, measures each run with GNU time (wall, user+sys CPU, peak RSS
from the kernel's accounting) and prints medians, min/max and ferry/skopeo
ratios. Started by bench/run; see doc/performance.md.

Fixtures (made once per size in the work directory): a multi-layer image
(tests/fixtures/mkimage.py, gzip layers of half random bytes and half text) and
twelve small images sharing two base layers, as OCI layouts, pushed to a local
docker-registry started on 127.0.0.1 by tests/fixtures/registry.sh. Remote
scenarios go through bench/latency_proxy.py (default 20 ms each way).

A scenario whose transport or command ferry does not have yet is listed as
skipped, with the reason, never hidden."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MKIMAGE = os.path.join(TOP, "tests", "fixtures", "mkimage.py")
REGISTRY_SH = os.path.join(TOP, "tests", "fixtures", "registry.sh")
PROXY = os.path.join(TOP, "bench", "latency_proxy.py")
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Env:
    """Everything a scenario needs: tools, fixtures, servers."""

    def __init__(self, args):
        self.args = args
        self.work = args.workdir
        self.notes = {}  # per-scenario extras printed after the table
        self.ferry = args.ferry
        self.plugins = args.plugins
        self.skopeo = shutil.which("skopeo")
        self.policy = os.path.join(self.work, "policy.json")
        self.transports = self.ferry_transports()
        self.registry_port = None
        self.proxy_port = None
        self.procs = []

    def ferry_transports(self):
        out = subprocess.run([self.ferry, "list-transports"], capture_output=True, text=True,
                             env=self.tool_env("ferry"))
        names = set()
        for line in out.stdout.splitlines()[1:]:
            if line.strip() and not line.startswith("searched:"):
                names.add(line.split()[0])
        return names

    def tool_env(self, tool):
        env = dict(os.environ)
        if tool == "ferry":
            env["FERRY_TRANSPORT_PATH"] = self.plugins
        env["TMPDIR"] = os.path.join(self.work, "tmp")
        return env

    def cmd(self, tool, *args):
        exe = self.ferry if tool == "ferry" else self.skopeo
        return [exe, "--policy", self.policy] + list(args)

    # ---- fixtures ----
    def sizes(self):
        return self.args.layer_sizes.split(",")

    def big_layout(self):
        tag = "big-" + "-".join(self.sizes())
        path = os.path.join(self.work, "fixtures", tag)
        if not os.path.exists(os.path.join(path, "index.json")):
            log(f"making the big image ({','.join(self.sizes())} uncompressed) in {path}")
            subprocess.run([PY, MKIMAGE, "--layout", "oci", "--manifest", "oci", "--layers", str(len(self.sizes())),
                            "--layer-size", ",".join(self.sizes()), "--file-size", "4M", "--gzip-level", "6",
                            "--seed", "bench", "--tag", "big", path + ".tmp"], check=True, stdout=subprocess.DEVNULL)
            os.rename(path + ".tmp", path)
        return path

    def small_layouts(self):
        """Twelve images of 2-14 MB sharing their two base layers (same seed,
        same first two layer sizes, a different third layer)."""
        base = os.path.join(self.work, "fixtures", "small-" + self.args.small_scale)
        scale = float(self.args.small_scale)
        paths = []
        for i in range(12):
            path = os.path.join(base, f"s{i:02d}")
            paths.append(path)
            if os.path.exists(os.path.join(path, "index.json")):
                continue
            sizes = [f"{int(1024 * scale)}K", f"{int(1024 * scale)}K", f"{int((i + 1) * 1024 * scale)}K"]
            subprocess.run([PY, MKIMAGE, "--layout", "oci", "--manifest", "oci", "--layers", "3", "--layer-size",
                            ",".join(sizes), "--seed", "small", "--tag", "latest", path + ".tmp"], check=True,
                           stdout=subprocess.DEVNULL)
            os.rename(path + ".tmp", path)
        return paths

    # ---- servers ----
    def start_registry(self):
        if self.registry_port is not None:
            return self.registry_port
        if shutil.which("docker-registry") is None:
            raise RuntimeError("docker-registry is not installed")
        d = os.path.join(self.work, "registry")
        out = subprocess.run(["bash", REGISTRY_SH, "start", d, "--minutes", str(self.args.minutes)],
                             capture_output=True, text=True, check=True)
        self.registry_port = int(out.stdout.strip().splitlines()[-1])
        self.procs.append(("registry", d))
        # Seed it with skopeo, so both tools pull what neither of them pushed.
        big = self.big_layout()
        self.skopeo_push(f"oci:{big}:big", "big:latest")
        for i, path in enumerate(self.small_layouts()):
            self.skopeo_push(f"oci:{path}:latest", f"small{i:02d}:latest")
            self.skopeo_push(f"oci:{path}:latest", f"smalls:s{i:02d}")  # one repository of 12 tags, for sync
        return self.registry_port

    def skopeo_push(self, src, repo_tag):
        subprocess.run(self.cmd("skopeo", "copy", "-q", "--dest-tls-verify=false", src,
                                f"docker://127.0.0.1:{self.registry_port}/{repo_tag}"), check=True,
                       env=self.tool_env("skopeo"))

    def start_proxy(self):
        if self.proxy_port is not None:
            return self.proxy_port
        port = self.start_registry()
        port_file = os.path.join(self.work, "proxy.port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        p = subprocess.Popen([PY, PROXY, "--target", f"127.0.0.1:{port}", "--delay-ms", str(self.args.delay_ms),
                              "--lifetime", str(self.args.minutes * 60), "--port-file", port_file],
                             stdout=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        self.proxy_port = int(open(port_file).read().strip())
        self.procs.append(("proxy", p))
        return self.proxy_port

    def stop(self):
        for kind, what in self.procs:
            if kind == "proxy":
                what.terminate()
                what.wait(timeout=10)
            else:
                subprocess.run(["bash", REGISTRY_SH, "stop", what], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        unmount_below(self.work)


# ---- scenarios: (name, description, needs, setup(env) -> run(tool, round) -> argv) ----

def reg(env, repo, proxied=False):
    port = env.start_proxy() if proxied else env.start_registry()
    return f"docker://127.0.0.1:{port}/{repo}"


def fresh(env, tool, rnd, name):
    path = os.path.join(env.work, "out", f"{name}-{tool}-{rnd}")
    shutil.rmtree(path, ignore_errors=True)
    return path


def s_oci_oci(env):
    src = env.big_layout()
    return lambda tool, rnd: env.cmd(tool, "copy", "-q", f"oci:{src}:big", f"oci:{fresh(env, tool, rnd, 'oo')}:big")


def s_oci_zstd(env):
    """P6: the big gzip image recompressed to zstd at the default level; the
    output's total layer size is reported next to the times."""
    src = env.big_layout()

    def run(tool, rnd):
        return env.cmd(tool, "copy", "-q", "--dest-compress-format", "zstd", f"oci:{src}:big",
                       f"oci:{fresh(env, tool, rnd, 'oz')}:big")

    def after(tool, rnd):
        out = os.path.join(env.work, "out", f"oz-{tool}-{rnd}")
        with open(os.path.join(out, "index.json")) as f:
            digest = json.load(f)["manifests"][0]["digest"].split(":")[1]
        with open(os.path.join(out, "blobs", "sha256", digest)) as f:
            size = sum(layer["size"] for layer in json.load(f)["layers"])
        env.notes.setdefault("oci-zstd", {}).setdefault(tool, set()).add(size)
    run.after = after
    return run


def s_oci_dir(env):
    src = env.big_layout()
    return lambda tool, rnd: env.cmd(tool, "copy", "-q", f"oci:{src}:big", f"dir:{fresh(env, tool, rnd, 'od')}")


def s_inspect_local(env):
    src = env.small_layouts()[0]
    return lambda tool, rnd: env.cmd(tool, "inspect", f"oci:{src}:latest")


def s_reg_oci(env):
    src = reg(env, "big:latest")
    return lambda tool, rnd: env.cmd(tool, "copy", "-q", "--src-tls-verify=false", src,
                                     f"oci:{fresh(env, tool, rnd, 'ro')}:big")


def s_reg_dir(env):
    src = reg(env, "big:latest")
    return lambda tool, rnd: env.cmd(tool, "copy", "-q", "--src-tls-verify=false", src,
                                     f"dir:{fresh(env, tool, rnd, 'rd')}")


# skopeo remembers, across runs, which registry repositories hold which blobs
# (containers/image's blob-info cache) and then mounts instead of uploading;
# a push scenario measures a push, so that memory is cleared before each run.
SKOPEO_BLOB_CACHES = ["/var/lib/containers/cache/blob-info-cache-v1.boltdb",
                      os.path.expanduser("~/.local/share/containers/cache/blob-info-cache-v1.boltdb")]


def forget_blob_locations():
    for path in SKOPEO_BLOB_CACHES:
        if os.path.exists(path):
            os.unlink(path)


def s_oci_reg(env):
    src = env.big_layout()
    reg(env, "big:latest")

    def run(tool, rnd):
        forget_blob_locations()
        return env.cmd(tool, "copy", "-q", "--dest-tls-verify=false", f"oci:{src}:big",
                       reg(env, f"push-{tool}-{rnd}-{time.time_ns()}:latest"))
    return run


def s_reg_reg(env):
    src = reg(env, "big:latest")
    return lambda tool, rnd: env.cmd(tool, "copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false", src,
                                     reg(env, f"mount-{tool}-{rnd}-{time.time_ns()}:latest"))


def s_reg_darch(env):
    src = reg(env, "big:latest")

    def run(tool, rnd):
        out = fresh(env, tool, rnd, "rda") + ".tar"
        if os.path.exists(out):
            os.unlink(out)
        return env.cmd(tool, "copy", "-q", "--src-tls-verify=false", src, f"docker-archive:{out}:bench/big:latest")
    return run


def s_darch_oci(env):
    big = env.big_layout()
    archive = os.path.join(env.work, "fixtures", os.path.basename(big) + ".docker.tar")
    if not os.path.exists(archive):
        log(f"making the docker-archive fixture {archive}")
        subprocess.run(env.cmd("skopeo", "copy", "-q", f"oci:{big}:big", f"docker-archive:{archive}.tmp:bench/big:latest"),
                       check=True, env=env.tool_env("skopeo"))
        os.rename(archive + ".tmp", archive)
    return lambda tool, rnd: env.cmd(tool, "copy", "-q", f"docker-archive:{archive}",
                                     f"oci:{fresh(env, tool, rnd, 'dao')}:big")


def unmount_below(path):
    """Unmounts whatever is mounted below path, deepest first: containers/storage
    leaves a store's overlay directory mounted on itself, which rmtree cannot
    remove."""
    with open("/proc/self/mounts") as f:
        mounts = sorted((line.split()[1] for line in f if line.split()[1].startswith(path + "/")), reverse=True)
    for m in mounts:
        subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)


def fresh_store(env, tool, rnd, name):
    """A new overlay store under the work dir."""
    path = os.path.join(env.work, "out", f"{name}-{tool}-{rnd}")
    unmount_below(path)
    shutil.rmtree(path, ignore_errors=True)
    return f"containers-storage:[overlay@{path}/root+{path}/run]bench/big:latest"


def s_oci_storage(env):
    src = env.big_layout()
    return lambda tool, rnd: env.cmd(tool, "copy", "-q", f"oci:{src}:big", fresh_store(env, tool, rnd, "os"))


def s_reg_storage(env):
    src = reg(env, "big:latest")
    return lambda tool, rnd: env.cmd(tool, "copy", "-q", "--src-tls-verify=false", src,
                                     fresh_store(env, tool, rnd, "rs"))


def fresh_ostree(env, tool, rnd, name, mode="bare-user"):
    """A new, empty OSTree repository (made here, outside the measured run)."""
    path = fresh(env, tool, rnd, name)
    subprocess.run(["ostree", "init", f"--repo={path}", f"--mode={mode}"], check=True)
    return path


def s_oci_ostree(env):
    src = env.big_layout()
    return lambda tool, rnd: env.cmd(tool, "copy", "-q", f"oci:{src}:big",
                                     f"ostree:big:latest@{fresh_ostree(env, tool, rnd, 'ot')}")


def s_ostree_oci(env):
    src = env.big_layout()
    repo = os.path.join(env.work, "fixtures", "ostree-" + os.path.basename(src))
    if not os.path.exists(os.path.join(repo, "refs", "heads", "ociimage", "big_3Alatest")):
        shutil.rmtree(repo, ignore_errors=True)
        subprocess.run(["ostree", "init", f"--repo={repo}", "--mode=bare-user"], check=True)
        subprocess.run(env.cmd("ferry", "copy", "-q", f"oci:{src}:big", f"ostree:big:latest@{repo}"), check=True,
                       env=env.tool_env("ferry"))
    return lambda tool, rnd: env.cmd(tool, "copy", "-q", f"ostree:big:latest@{repo}",
                                     f"oci:{fresh(env, tool, rnd, 'to')}:big")


def s_sync_remote(env):
    """P7: a repository of 12 small tags mirrored into a new repository of
    the same registry, both over the latency proxy (blobs are mounted)."""
    port = env.start_proxy()

    def run(tool, rnd):
        return env.cmd(tool, "sync", "--src", "docker", "--dest", "docker", "--src-tls-verify=false",
                       "--dest-tls-verify=false", f"127.0.0.1:{port}/smalls", f"127.0.0.1:{port}/p7-{tool}-{rnd}")
    return run


def s_sync_remote_again(env):
    """P7 again: the same sync into a mirror that already has every tag."""
    port = env.start_proxy()
    for tool in ("ferry", "skopeo"):
        subprocess.run(env.cmd(tool, "sync", "--src", "docker", "--dest", "docker", "--src-tls-verify=false",
                               "--dest-tls-verify=false", f"127.0.0.1:{port}/smalls", f"127.0.0.1:{port}/p7again-{tool}"),
                       check=True, stdout=subprocess.DEVNULL, env=env.tool_env(tool))
    return lambda tool, rnd: env.cmd(tool, "sync", "--src", "docker", "--dest", "docker", "--src-tls-verify=false",
                                     "--dest-tls-verify=false", f"127.0.0.1:{port}/smalls",
                                     f"127.0.0.1:{port}/p7again-{tool}")


def s_inspect_remote(env):
    src = reg(env, "big:latest", proxied=True)
    return lambda tool, rnd: env.cmd(tool, "inspect", "--tls-verify=false", src)


def s_small_remote(env):
    env.start_proxy()
    srcs = [reg(env, f"small{i:02d}:latest", proxied=True) for i in range(12)]

    def run(tool, rnd):
        out = fresh(env, tool, rnd, "small")
        exe = env.cmd(tool)
        script = " && ".join(
            " ".join(exe + ["copy", "-q", "--src-tls-verify=false", s, f"oci:{out}:s{i:02d}"])
            for i, s in enumerate(srcs))
        return ["sh", "-c", script]
    return run


SCENARIOS = [
    ("registry-oci", "P1 registry → oci, big image", {"docker"}, s_reg_oci),
    ("oci-registry", "P2 oci → registry push, big image", {"docker"}, s_oci_reg),
    ("registry-registry", "registry → registry, same registry (mount)", {"docker"}, s_reg_reg),
    ("registry-dir", "registry → dir, big image", {"docker"}, s_reg_dir),
    ("oci-oci", "oci → oci, big image", set(), s_oci_oci),
    ("oci-dir", "oci → dir, big image", set(), s_oci_dir),
    ("inspect-remote", "inspect of a remote image over the latency proxy", {"docker"}, s_inspect_remote),
    ("small-remote", "copy of 12 small images over the latency proxy", {"docker"}, s_small_remote),
    ("inspect-local", "P8 inspect of a local image", set(), s_inspect_local),
    ("oci-storage", "P3 oci → containers-storage (fresh overlay store)", {"containers-storage"}, s_oci_storage),
    ("registry-storage", "P3 registry → containers-storage (fresh overlay store)", {"docker", "containers-storage"},
     s_reg_storage),
    ("registry-docker-archive", "P4 registry → docker-archive", {"docker", "docker-archive"}, s_reg_darch),
    ("docker-archive-oci", "P5 docker-archive → oci (gzip 465 MB)", {"docker-archive"}, s_darch_oci),
    ("oci-ostree", "oci → ostree (fresh bare-user repository), big image", {"ostree"}, s_oci_ostree),
    ("ostree-oci", "ostree → oci, big image", {"ostree"}, s_ostree_oci),
    ("oci-zstd", "P6 oci gzip → oci zstd (default level)", set(), s_oci_zstd),
    ("sync-remote", "P7 sync of 12 small tags over the latency proxy (docker → docker)", {"docker"}, s_sync_remote),
    ("sync-remote-again", "P7 the same sync again, nothing changed", {"docker"}, s_sync_remote_again),
]


# Scenarios only ferry can run: Debian's skopeo 1.9.3 is built without the
# ostree transport. Their skopeo columns say why.
FERRY_ONLY = {"oci-ostree": "skopeo 1.9.3 has no ostree transport",
              "ostree-oci": "skopeo 1.9.3 has no ostree transport"}


def measure(argv, env_vars, work):
    """Runs argv under GNU time: (wall s, cpu s, peak RSS KiB, exit status)."""
    out = os.path.join(work, "time.out")
    start = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-o", out, "-f", "%e %U %S %M"] + argv, env=env_vars,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    fields = open(out).read().split()[-4:]
    cpu = float(fields[1]) + float(fields[2])
    return wall, cpu, int(fields[3]), r.returncode, r.stderr.strip().splitlines()[-1:] if r.returncode else []


def fmt(values, unit):
    if not values:
        return "-"
    med = statistics.median(values)
    if unit == "KiB":
        return f"{med / 1024:.1f} MiB ({min(values) / 1024:.1f}–{max(values) / 1024:.1f})"
    return f"{med:.3f} s ({min(values):.3f}–{max(values):.3f})"


def ratio(a, b):
    return f"{statistics.median(a) / statistics.median(b):.2f}" if a and b and statistics.median(b) > 0 else "-"


def main():
    ap = argparse.ArgumentParser(description="ferry vs skopeo benchmark")
    ap.add_argument("--ferry", default=os.path.join(TOP, "ferry"))
    ap.add_argument("--plugins", default=os.path.join(TOP, "plugins"))
    ap.add_argument("--workdir", default="/var/tmp/ferry-bench")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated scenario names")
    ap.add_argument("--quick", action="store_true", help="small fixtures, one round")
    ap.add_argument("--layer-sizes", default="16M,64M,128M,256M")
    ap.add_argument("--small-scale", default="1", help="small image layer unit in MiB")
    ap.add_argument("--delay-ms", type=float, default=20.0, help="latency proxy delay in each direction")
    ap.add_argument("--minutes", type=int, default=30, help="servers stop by themselves after this")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        for name, desc, needs, _ in SCENARIOS:
            print(f"{name:24} {desc}" + (f" (needs {', '.join(sorted(needs))})" if needs else ""))
        return 0
    if a.quick:
        a.rounds, a.layer_sizes, a.small_scale = 1, "1M,2M", "0.25"
    os.makedirs(os.path.join(a.workdir, "tmp"), exist_ok=True)
    os.makedirs(os.path.join(a.workdir, "out"), exist_ok=True)
    with open(os.path.join(a.workdir, "policy.json"), "w") as f:
        f.write('{"default":[{"type":"insecureAcceptAnything"}]}\n')
    env = Env(a)
    if env.skopeo is None:
        log("skopeo is not installed: nothing to compare with")
        return 1
    only = set(x for x in a.only.split(",") if x)
    rows, failed = [], 0
    try:
        for name, desc, needs, setup in SCENARIOS:
            if only and name not in only:
                continue
            missing = sorted(n for n in needs if n not in env.transports)
            if setup is None or missing:
                why = f"ferry has no {', '.join(missing)} yet" if missing else "not measurable yet"
                rows.append((name, desc, None, why))
                continue
            try:
                run = setup(env)
            except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
                rows.append((name, desc, None, f"setup failed: {e}"))
                failed += 1
                continue
            results = {"ferry": [], "skopeo": []}
            for rnd in range(a.rounds):
                for tool in ("ferry",) if name in FERRY_ONLY else ("ferry", "skopeo"):  # A B A B …
                    wall, cpu, rss, status, err = measure(run(tool, rnd), env.tool_env(tool), a.workdir)
                    if status != 0:
                        log(f"{name}: {tool} failed (exit {status}): {' '.join(err)}")
                        failed += 1
                        continue
                    results[tool].append((wall, cpu, rss))
                    if hasattr(run, "after"):
                        run.after(tool, rnd)
            rows.append((name, desc, results, ""))
            log(f"{name}: done")
            unmount_below(os.path.join(a.workdir, "out"))
            shutil.rmtree(os.path.join(a.workdir, "out"), ignore_errors=True)
            os.makedirs(os.path.join(a.workdir, "out"), exist_ok=True)
    finally:
        env.stop()
    print(f"ferry vs skopeo, {a.rounds} round(s), medians (min–max); ratio = ferry/skopeo; "
          f"big image layers {a.layer_sizes}; latency proxy {2 * a.delay_ms:g} ms round trip\n")
    print("| scenario | ferry wall | skopeo wall | wall ratio | ferry CPU | skopeo CPU | CPU ratio | "
          "ferry peak RSS | skopeo peak RSS | RSS ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, desc, results, why in rows:
        if results is None:
            print(f"| {name}: {desc} | skipped: {why} |||||||||")
            continue
        f = [list(x) for x in zip(*results["ferry"])] or [[], [], []]
        s = [list(x) for x in zip(*results["skopeo"])] or [[], [], []]
        if name in FERRY_ONLY:
            print(f"| {name}: {desc} | {fmt(f[0], 's')} | n/a: {FERRY_ONLY[name]} | - | {fmt(f[1], 's')} | - | - | "
                  f"{fmt(f[2], 'KiB')} | - | - |")
            continue
        print(f"| {name}: {desc} | {fmt(f[0], 's')} | {fmt(s[0], 's')} | {ratio(f[0], s[0])} | {fmt(f[1], 's')} | "
              f"{fmt(s[1], 's')} | {ratio(f[1], s[1])} | {fmt(f[2], 'KiB')} | {fmt(s[2], 'KiB')} | {ratio(f[2], s[2])} |")
    for name, sizes in env.notes.items():
        f, k = sorted(sizes.get("ferry", [])), sorted(sizes.get("skopeo", []))
        if f and k:
            print(f"\n{name}: layer bytes written: ferry {f[0]:,} ({len(f)} distinct), skopeo {k[0]:,} "
                  f"({len(k)} distinct): ferry/skopeo = {f[0] / k[0]:.3f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
