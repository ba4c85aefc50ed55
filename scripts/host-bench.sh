#!/usr/bin/env bash
# Host benchmarks of the rebalance (issue 7, "On the host"), printed as
# Markdown tables:
#   1. `bench-report` (Benchmarks/Sources/BenchReport): route writes and
#      descriptors examined per offline and online, with the lower bound, for
#      both policies; then the same-run time ratios seed / balanced.
#   2. The package-benchmark suite (Benchmarks/Benchmarks/RebalanceBenchmarks),
#      each benchmark at most BENCH_MAX_MS milliseconds (default 100), its
#      wall-clock medians turned into seed / balanced ratios. PACKAGE_BENCHMARK=0
#      skips it.
# Host-timed figures are ratios between the policies measured in the same
# run, never absolute times. About 2 minutes on 2 cores from a clean
# Benchmarks/.build, most of it the first build.
set -euo pipefail

cd "$(dirname "$0")/../Benchmarks"
model=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//' || true)
echo "# Host rebalance benchmarks"
echo
echo "$(date -u +%Y-%m-%d), $(uname -sm), ${model:-unknown CPU}, $(nproc) cores, $(swift --version 2>/dev/null | head -1)"
echo

swift build -c release --product bench-report >&2
swift run -c release --skip-build bench-report

if [ "${PACKAGE_BENCHMARK:-1}" != 0 ]; then
    results=.build/host-bench
    rm -rf "$results"
    mkdir -p "$results"
    BENCH_MAX_MS="${BENCH_MAX_MS:-100}" swift package --allow-writing-to-package-directory benchmark \
        --format jmh --path "$results" --no-progress >&2
    python3 - "$results"/*.jmh.json "${BENCH_MAX_MS:-100}" <<'PYTHON'
import json, re, sys

path, budget = sys.argv[1], sys.argv[2]
median = {}
samples = {}
for element in json.load(open(path)):
    name = element["benchmark"].rsplit(".", 1)[-1]
    match = re.fullmatch(r"(offline|online)_(seed|balanced)_(\d+)x(\d+)", name)
    if not match:
        continue
    event, policy, descriptors, cpus = match.groups()
    wall = element["secondaryMetrics"]["Time (wall clock)"]
    median[(event, policy, int(descriptors), int(cpus))] = wall["scorePercentiles"]["50.0"]
    samples[(event, policy, int(descriptors), int(cpus))] = element["measurementIterations"]

def ratio(event, descriptors, cpus):
    seed = median.get((event, "seed", descriptors, cpus))
    balanced = median.get((event, "balanced", descriptors, cpus))
    if seed is None or balanced is None:
        return "–"
    return "%.2f" % (seed / balanced) if balanced > 0 else "∞"

print("### package-benchmark: wall-clock median, seed / balanced")
print()
print("One sample is one event (the other event of the pair restores the state outside the measurement); "
      "each benchmark ran at most %s ms. A ratio above 1 means the seed policy is slower." % budget)
print()
print("| descriptors | CPUs | samples (seed, balanced) | offline seed/balanced | online seed/balanced |")
print("|---:|---:|---:|---:|---:|")
for descriptors, cpus in sorted({(key[2], key[3]) for key in median}):
    counts = "%d, %d" % (samples.get(("offline", "seed", descriptors, cpus), 0),
                         samples.get(("offline", "balanced", descriptors, cpus), 0))
    print("| %d | %d | %s | %s | %s |" % (descriptors, cpus, counts,
                                          ratio("offline", descriptors, cpus), ratio("online", descriptors, cpus)))
print()
PYTHON
fi
