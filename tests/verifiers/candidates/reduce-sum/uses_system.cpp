// expect: parse parse.forbidden_process
// Shells out.
#include <cmath>
#include <cstdint>
#include <cstdlib>

void reduce_sum(const double* x, int64_t n, double* out) {
    std::system("nproc > /dev/null");
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
