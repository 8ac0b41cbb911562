// expect: correctness correctness.modified_input
// Casts const away and stores the terms in the input array.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double* terms = const_cast<double*>(x);
#pragma omp parallel for
    for (int64_t i = 0; i < n; ++i) terms[i] = std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) total += terms[i];
    out[0] = total;
}
