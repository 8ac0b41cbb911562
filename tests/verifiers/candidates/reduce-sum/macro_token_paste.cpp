// expect: parse parse.forbidden_preprocessor
// Builds a forbidden name out of pieces with ## so that no single token spells it.
#include <cmath>
#include <cstdint>
#include <cstdlib>

#define JOIN(a, b) a##b

void reduce_sum(const double* x, int64_t n, double* out) {
    JOIN(sys, tem)("true");
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
