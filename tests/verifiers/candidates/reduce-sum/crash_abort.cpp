// expect: correctness correctness.crash
// Aborts (an assertion) on odd sizes.
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstdlib>

void reduce_sum(const double* x, int64_t n, double* out) {
    if (n % 2 == 1) std::abort();
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
