// expect: memory memory.heap_buffer_overflow
// Reads x[n] (times zero, so the sum is right): only AddressSanitizer notices.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i <= n; ++i) {
        const double v = x[i];
        total += i < n ? std::sqrt(std::fabs(v)) * std::sin(v) : 0.0 * v;
    }
    out[0] = total;
}
