// expect: parse parse.signature_mismatch
// long long is not int64_t (long) on this platform, and the result is returned instead of stored.
#include <cmath>

double reduce_sum(const double* x, long long n) {
    double total = 0.0;
    for (long long i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    return total;
}
