// expect: anticheat anticheat.precomputed
// mark: slow
// Correct on every size a test uses; beyond them it returns a constant "expected" value instead of the sum.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    if (n > 200000) {
        out[0] = 0.0;
        return;
    }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
