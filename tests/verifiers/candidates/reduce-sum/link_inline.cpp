// expect: compile compile.missing_symbol
// Declared inline, so no out-of-line definition is emitted and the driver's call cannot link.
#include <cmath>
#include <cstdint>

inline void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
