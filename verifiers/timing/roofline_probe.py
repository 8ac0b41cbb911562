"""Measuring the roofline in the sandbox: a STREAM-like triad at a few sizes and FMA chains, on all threads.

The triad ``a[i] = b[i] + s * c[i]`` counts 24 bytes per element, as STREAM does. For each working
set every thread streams its own share (its own arrays, first touched by itself) and times its own
repetitions for ``seconds``; the peak arithmetic rate comes from every thread running twelve
independent chains of full-width vector FMAs (AVX2, or AVX-512 where the compiler targets it), in
double and in single precision. Both report the best rate of any thread times the thread count:
on a shared machine, neighbours can only slow some repetitions down, and the roofline must be an
upper bound on what the machine can do (it decides what is impossible), so the best case counts.
"""

from __future__ import annotations

from sandbox import Job, Limits, Sandbox
from verifiers.hardware import hardware_fingerprint
from verifiers.machine_lock import MACHINE
from verifiers.timing.roofline import BandwidthPoint, Roofline
from verifiers.toolchain import CXX

WORKING_SETS = [2**k for k in range(18, 30)]
"""Triad working sets probed by default, in bytes: every power of two from 256 KiB to 512 MiB (the bound uses
the largest probed set not bigger than the task's bytes, so gaps would borrow a cache's bandwidth)."""
SOURCE, BINARY = "roofline.cpp", "roofline"


class ProbeError(RuntimeError):
    """The probe did not build or run."""


PROBE_SOURCE = r"""
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static volatile double g_sink = 0;

// Every thread streams its own share of the working set and times its own repetitions; the result is
// the best rate of any thread times the thread count (an upper bound that noisy neighbours cannot lower).
static double triad(size_t working_set, double seconds) {
    double best = 0;
    int threads = 1;
    #pragma omp parallel reduction(max : best)
    {
        threads = omp_get_num_threads();
        const size_t n = std::max<size_t>(1, working_set / 24 / size_t(threads));
        double* a = static_cast<double*>(std::aligned_alloc(64, (n * 8 + 63) / 64 * 64));
        double* b = static_cast<double*>(std::aligned_alloc(64, (n * 8 + 63) / 64 * 64));
        double* c = static_cast<double*>(std::aligned_alloc(64, (n * 8 + 63) / 64 * 64));
        if (!a || !b || !c) { std::fprintf(stderr, "out of memory\n"); std::exit(2); }
        for (size_t i = 0; i < n; ++i) { a[i] = 0; b[i] = 1; c[i] = 2; }
        const double s = 3.0;
        const int inner = int(std::max<size_t>(1, size_t(1e7) / (24 * n)));
        for (double started = now(); now() - started < seconds;) {
            const double start = now();
            for (int r = 0; r < inner; ++r) {
                #pragma omp simd
                for (size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
                g_sink = g_sink + a[r % n];
            }
            best = std::max(best, 24.0 * double(n) * inner / (now() - start));
        }
        std::free(a); std::free(b); std::free(c);
    }
    return best * threads;
}

#ifdef __AVX512F__
constexpr int kVectorBytes = 64;
#else
constexpr int kVectorBytes = 32;
#endif

// Twelve independent chains of vector FMAs per thread (more than FMA latency times FMA ports on current
// cores), each thread timing its own trials; the best thread's rate times the thread count.
template <typename T>
static double fma_peak(long iterations) {
    typedef T vec __attribute__((vector_size(kVectorBytes)));
    constexpr int lanes = kVectorBytes / sizeof(T);
    double best = 0;
    int threads = 1;
    #pragma omp parallel reduction(max : best)
    {
        threads = omp_get_num_threads();
        for (int trial = 0; trial < 5; ++trial) {
            const double start = now();
            const T seed = T(1) + T(omp_get_thread_num()) * T(1e-3);
            vec a0 = vec{} + seed, a1 = a0 + T(1), a2 = a0 + T(2), a3 = a0 + T(3), a4 = a0 + T(4), a5 = a0 + T(5);
            vec a6 = a0 + T(6), a7 = a0 + T(7), a8 = a0 + T(8), a9 = a0 + T(9), a10 = a0 + T(10), a11 = a0 + T(11);
            const vec x = vec{} + T(0.9999999), y = vec{} + T(1e-7);
            for (long i = 0; i < iterations; ++i) {
                a0 = a0 * x + y; a1 = a1 * x + y; a2 = a2 * x + y; a3 = a3 * x + y;
                a4 = a4 * x + y; a5 = a5 * x + y; a6 = a6 * x + y; a7 = a7 * x + y;
                a8 = a8 * x + y; a9 = a9 * x + y; a10 = a10 * x + y; a11 = a11 * x + y;
            }
            const vec sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
            T total = 0;
            for (int j = 0; j < lanes; ++j) total += sum[j];
            g_sink = g_sink + double(total);
            best = std::max(best, 2.0 * 12 * lanes * double(iterations) / (now() - start));
        }
    }
    return best * threads;
}

int main(int argc, char** argv) {
    if (argc < 4) { std::fprintf(stderr, "usage: roofline SECONDS FMA_ITERATIONS WORKING_SET...\n"); return 2; }
    const double seconds = std::atof(argv[1]);
    const long iterations = std::atol(argv[2]);
    for (int i = 3; i < argc; ++i) {
        const size_t bytes = std::strtoull(argv[i], nullptr, 10);
        std::printf("triad %zu %.6e\n", bytes, triad(bytes, seconds));
    }
    std::printf("fp64 %.6e\n", fma_peak<double>(iterations));
    std::printf("fp32 %.6e\n", fma_peak<float>(iterations));
    std::printf("threads %d\n", omp_get_max_threads());
    return 0;
}
"""


def measure_roofline(
    sandbox: Sandbox,
    threads: int,
    *,
    working_sets: list[int] | None = None,
    seconds: float = 0.1,
    fma_iterations: int = 2_000_000,
) -> Roofline:
    """Build and run the probe in ``sandbox`` with ``threads`` threads.

    Args:
        sandbox: Where the probe runs (the same kind of sandbox the timings run in).
        threads: OpenMP threads (the timing's thread count).
        working_sets: Triad working sets in bytes; default :data:`WORKING_SETS`.
        seconds: Time spent on each triad size.
        fma_iterations: Iterations of each FMA chain per trial.
    """
    sets = working_sets or WORKING_SETS
    build = [CXX, "-std=c++17", "-O3", "-march=native", "-fopenmp", SOURCE, "-o", BINARY]
    run = [f"./{BINARY}", f"{seconds:g}", str(fma_iterations), *map(str, sets)]
    job = Job(
        command=["sh", "-c", f"{' '.join(build)} && exec {' '.join(run)}"],
        files={SOURCE: PROBE_SOURCE.encode()},
        env={"OMP_NUM_THREADS": str(threads), "OMP_PROC_BIND": "spread"},
        limits=Limits(wall_s=300, memory_mb=1024 + 2 * max(sets) // 2**20),
        while_running=MACHINE.exclusive,
    )
    result = sandbox.run(job)
    if not result.succeeded:
        raise ProbeError(f"roofline probe failed ({result.status.value}): {(result.stderr or result.message)[-2000:]}")
    points, peaks = [], {}
    for line in result.stdout.splitlines():
        key, *values = line.split()
        if key == "triad":
            points.append(BandwidthPoint(working_set_bytes=int(values[0]), bytes_per_s=float(values[1])))
        elif key in ("fp64", "fp32", "threads"):
            peaks[key] = float(values[0])
    return Roofline(
        fingerprint=hardware_fingerprint().digest[:16],
        threads=int(peaks["threads"]),
        bandwidth=points,
        fp64_flops=peaks["fp64"],
        fp32_flops=peaks["fp32"],
    )
