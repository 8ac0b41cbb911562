// expect: anticheat anticheat.out_of_bounds_write
// Transforms its input in place to save a temporary array, then restores nothing: the input is not its own.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double* scratch = const_cast<double*>(x);
#pragma omp parallel for
    for (int64_t i = 0; i < n; ++i) scratch[i] = std::sqrt(std::fabs(scratch[i])) * std::sin(scratch[i]);
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += scratch[i];
    out[0] = total;
}
