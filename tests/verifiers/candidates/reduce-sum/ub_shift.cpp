// expect: memory memory.invalid_shift
// A bit mask built with a shift wider than the type.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
    unsigned mask = 0;
    for (int64_t i = 0; i < n; ++i) {
        total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
        mask |= 1u << i;
    }
    out[0] = total + 0.0 * (mask & 1u);
}
