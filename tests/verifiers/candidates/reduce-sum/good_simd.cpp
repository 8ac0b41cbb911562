// expect: accepted
// Threads and SIMD lanes in one construct.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* __restrict x, int64_t n, double* __restrict out) {
    double total = 0.0;
#pragma omp parallel for simd reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) {
        total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    }
    out[0] = total;
}
