// expect: parse parse.signature_mismatch
// The input lost its const.
#include <cmath>
#include <cstdint>

void reduce_sum(double* x, int64_t n, double* out) {
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
