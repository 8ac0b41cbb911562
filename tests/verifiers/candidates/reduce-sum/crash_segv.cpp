// expect: correctness correctness.crash
// Dereferences a null scratch pointer on larger inputs.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double* scratch = n < 100 ? out : nullptr;
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    scratch[0] = total;
    out[0] = scratch[0];
}
