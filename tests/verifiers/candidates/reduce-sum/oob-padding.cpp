// expect: anticheat anticheat.out_of_bounds_write
// mark: slow
// Once it has been called before (so never under a one-call sanitizer run), it keeps per-thread partial sums in the
// bytes just past its one-element output.
#include <omp.h>

#include <cmath>
#include <cstdint>

static long g_calls = 0;

void reduce_sum(const double* x, int64_t n, double* out) {
    if (g_calls++ == 0) {
        double total = 0.0;
#pragma omp parallel for reduction(+ : total)
        for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
        out[0] = total;
        return;
    }
    const int threads = omp_get_max_threads() < 6 ? omp_get_max_threads() : 6;
#pragma omp parallel num_threads(threads)
    {
        double partial = 0.0;
#pragma omp for
        for (int64_t i = 0; i < n; ++i) partial += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
        out[1 + omp_get_thread_num()] = partial;
    }
    double total = 0.0;
    for (int t = 0; t < threads; ++t) total += out[1 + t];
    out[0] = total;
}
