/* The baseline for bench_allreduce: MPI_Allreduce of N floats from a bare
 * buffer, timed the same way (barrier, then the call; median of ITERS after
 * two untimed calls). `mpicc -O2 plain_allreduce.c -o plain_allreduce`.
 * With FRESH=1 in the environment each call receives into a newly
 * allocated buffer, as gradtape's allreduce must (its result is a new
 * tensor): that isolates the page-fault cost of a fresh 64 MB output. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  long n = argc > 1 ? atol(argv[1]) : 16L << 20;
  int iters = argc > 2 ? atoi(argv[2]) : 20;
  float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
  double *t = malloc(iters * sizeof *t);
  for (long i = 0; i < n; i++) x[i] = rank + 1.0f;
  int fresh = getenv("FRESH") && atoi(getenv("FRESH"));
  for (int i = 0; i < iters + 2; i++) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    if (fresh) { free(y); y = malloc(n * sizeof *y); }
    MPI_Allreduce(x, y, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    double dt = MPI_Wtime() - t0;
    if (i >= 2) t[i - 2] = dt;
  }
  if (y[n - 1] != size * (size + 1) / 2.0f) { fprintf(stderr, "wrong sum\n"); MPI_Abort(MPI_COMM_WORLD, 1); }
  qsort(t, iters, sizeof *t, cmp);
  double s = t[iters / 2], bytes = n * 4.0;
  if (rank == 0)
    printf("%-34s np=%d elements=%ld median %8.2f ms  algbw %6.2f GB/s  busbw %6.2f GB/s\n", fresh ? "plain C MPI_Allreduce, fresh output" : "plain C MPI_Allreduce", size, n,
           s * 1e3, bytes / s / 1e9, bytes * 2.0 * (size - 1) / size / s / 1e9);
  free(x); free(y); free(t);
  MPI_Finalize();
  return 0;
}
