// expect: accepted
// Private accumulation, then one critical update per thread.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
#pragma omp parallel
    {
        double local = 0.0;
#pragma omp for schedule(dynamic, 256) nowait
        for (int64_t i = 0; i < n; ++i) local += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
#pragma omp critical
        total += local;
    }
    out[0] = total;
}
