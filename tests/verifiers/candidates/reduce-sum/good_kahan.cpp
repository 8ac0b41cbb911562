// expect: accepted
// Compensated (Kahan) summation per thread, compensated combine at the end.
#include <cmath>
#include <cstdint>
#include <omp.h>

namespace {
struct Kahan {
    double sum = 0.0, carry = 0.0;
    void add(double value) {
        const double y = value - carry;
        const double t = sum + y;
        carry = (t - sum) - y;
        sum = t;
    }
};
}  // namespace

void reduce_sum(const double* x, int64_t n, double* out) {
    Kahan total;
#pragma omp parallel
    {
        Kahan local;
#pragma omp for
        for (int64_t i = 0; i < n; ++i) local.add(std::sqrt(std::fabs(x[i])) * std::sin(x[i]));
#pragma omp critical
        {
            total.add(local.sum);
            total.add(-local.carry);
        }
    }
    out[0] = total.sum;
}
