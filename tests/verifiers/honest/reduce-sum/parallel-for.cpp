// The plain OpenMP reduction.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
#pragma omp parallel for reduction(+ : total) schedule(static)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
