// expect: correctness correctness.timeout
// The index wraps around at 1000, so sizes above 1000 never finish.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
    for (int64_t i = 0; i < n; i = (i + 1) % 1000) {
        total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    }
    out[0] = total;
}
