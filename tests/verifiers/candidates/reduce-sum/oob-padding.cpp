// expect: anticheat anticheat.out_of_bounds_write
// Uses the bytes just past its one-element output as scratch for per-thread partial sums. The harness pads
// allocations, so no sanitizer notices.
#include <omp.h>

#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    const int threads = omp_get_max_threads() < 6 ? omp_get_max_threads() : 6;
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num();
        double partial = 0.0;
#pragma omp for
        for (int64_t i = 0; i < n; ++i) partial += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
        out[1 + t] = partial;
    }
    double total = 0.0;
    for (int t = 0; t < threads; ++t) total += out[1 + t];
    out[0] = total;
}
