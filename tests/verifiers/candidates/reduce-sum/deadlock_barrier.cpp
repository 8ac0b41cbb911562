// expect: correctness correctness.timeout
// A barrier only thread 0 reaches.
#include <cmath>
#include <cstdint>
#include <omp.h>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
#pragma omp parallel reduction(+ : total)
    {
#pragma omp for
        for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
        if (omp_get_thread_num() == 0) {
#pragma omp barrier
        }
    }
    out[0] = total;
}
