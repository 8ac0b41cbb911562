// expect: correctness correctness.output_limit
// Debug printing left in: about 100 MB per call.
#include <cmath>
#include <cstdint>
#include <cstdio>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    for (int line = 0; line < 100 * 1000 * 1000 / 64; ++line) {
        std::puts("debug: partial sums are being combined, this line is 64 bytes..");
    }
    out[0] = total;
}
