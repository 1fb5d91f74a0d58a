"""PyTorch's torch.distributed all-reduce (gloo backend) of N floats, timed as
bench_allreduce and plain_allreduce.c are: barrier, then the call; median of
ITERS after two untimed calls. Started by mpirun, so the rank and size come
from Open MPI's environment; rank 0 hosts the rendezvous on localhost."""
import os, sys, time
import torch
import torch.distributed as dist

rank = int(os.environ["OMPI_COMM_WORLD_RANK"])
size = int(os.environ["OMPI_COMM_WORLD_SIZE"])
n = int(sys.argv[1]) if len(sys.argv) > 1 else 16 << 20
iters = int(sys.argv[2]) if len(sys.argv) > 2 else 20
dist.init_process_group("gloo", init_method="tcp://127.0.0.1:29517", rank=rank, world_size=size)
x = torch.full((n,), float(rank + 1))
times = []
for i in range(iters + 2):
    y = x.clone()
    dist.barrier()
    t = time.perf_counter()
    dist.all_reduce(y, op=dist.ReduceOp.SUM)
    dt = time.perf_counter() - t
    if i >= 2:
        times.append(dt)
assert y[-1].item() == size * (size + 1) / 2
times.sort()
s = times[len(times) // 2]
if rank == 0:
    b = n * 4.0
    print(f"{'torch.distributed gloo all_reduce':<34} np={size} elements={n} median {s*1e3:8.2f} ms  "
          f"algbw {b/s/1e9:6.2f} GB/s  busbw {b*2*(size-1)/size/s/1e9:6.2f} GB/s")
dist.destroy_process_group()
