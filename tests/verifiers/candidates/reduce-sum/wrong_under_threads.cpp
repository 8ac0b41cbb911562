// expect: correctness correctness.wrong_output
// Block split n / threads loses the remainder: right with one thread, wrong with more.
#include <cmath>
#include <cstdint>
#include <omp.h>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
#pragma omp parallel reduction(+ : total)
    {
        const int64_t threads = omp_get_num_threads(), tid = omp_get_thread_num();
        const int64_t chunk = n / threads;
        for (int64_t i = tid * chunk; i < (tid + 1) * chunk; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    }
    out[0] = total;
}
