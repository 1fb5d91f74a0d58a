"""Summarizes mpi_bench.sh's log: per variant and rank count, the median of
the rounds' medians (and their range); gradtape's ratio to the plain C
MPI_Allreduce as the median of the per-round ratios (the two ran minutes
apart at most, under the same load); the MLP step's medians; the load
averages seen."""
import re, statistics, sys
from collections import defaultdict

times = defaultdict(list)  # (variant, np) -> [ms per round]
rounds = defaultdict(dict)  # (np, round) -> {variant: ms}
mlp = defaultdict(list)  # np -> [(step, local, comm)]
loads = []
cur = None
for line in open(sys.argv[1]):
    m = re.match(r"round (\d+) np=(\d+)", line)
    if m:
        cur = (int(m.group(2)), int(m.group(1)))
    m = re.match(r"load ([\d.]+) ([\d.]+) ([\d.]+)", line)
    if m:
        loads.append(float(m.group(1)))
    m = re.match(r"(.+?)\s+np=(\d+) elements=\d+ median\s+([\d.]+) ms", line)
    if m:
        v, np, ms = m.group(1).strip(), int(m.group(2)), float(m.group(3))
        times[(v, np)].append(ms)
        if cur and cur[0] == np:
            rounds[cur][v] = ms
    m = re.match(r"mlp step np=(\d+): median ([\d.]+) ms \(local ([\d.]+) ms \+ communication ([\d.]+) ms", line)
    if m:
        mlp[int(m.group(1))].append(tuple(float(m.group(i)) for i in (2, 3, 4)))

plain = "plain C MPI_Allreduce"
print("\nall-reduce, median of the rounds' medians [min-max], ms:")
for (v, np), ts in sorted(times.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    line = f"  np={np} {v:<36} {statistics.median(ts):8.1f} [{min(ts):.1f}-{max(ts):.1f}] ({len(ts)} rounds)"
    ratios = [r[v] / r[plain] for (n, _), r in rounds.items() if n == np and v in r and plain in r]
    if v != plain and ratios:
        line += f"  / plain: median {statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]"
    print(line)
print("\nMLP step, median of the rounds' medians, ms:")
for np, rs in sorted(mlp.items()):
    step, local, comm = (statistics.median(x[i] for x in rs) for i in range(3))
    share = [x[2] / (x[1] + x[2]) for x in rs]
    print(f"  np={np} step {step:.3f}  local {local:.3f}  communication {comm:.3f}  "
          f"share {100 * statistics.median(share):.0f}% [{100 * min(share):.0f}-{100 * max(share):.0f}%] ({len(rs)} rounds)")
if loads:
    print(f"\nload average (1 min) at the rounds' starts: {min(loads):.1f}-{max(loads):.1f}, median {statistics.median(loads):.1f}")
