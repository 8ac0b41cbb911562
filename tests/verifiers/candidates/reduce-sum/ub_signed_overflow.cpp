// expect: memory memory.signed_overflow
// A debugging checksum in int overflows: undefined behaviour that UBSan reports.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
    int checksum = 0;
    for (int64_t i = 0; i < n; ++i) {
        total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
        checksum = checksum * 31 + 7;
    }
    out[0] = total + 0.0 * (checksum & 1);
}
