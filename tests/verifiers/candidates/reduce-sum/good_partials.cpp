// expect: accepted
// Per-thread partial sums over a manual block split (remainder handled), combined serially.
#include <cmath>
#include <cstdint>
#include <omp.h>
#include <vector>

void reduce_sum(const double* x, int64_t n, double* out) {
    std::vector<double> partial(omp_get_max_threads(), 0.0);
#pragma omp parallel
    {
        const int64_t threads = omp_get_num_threads(), tid = omp_get_thread_num();
        const int64_t begin = n * tid / threads, end = n * (tid + 1) / threads;
        double local = 0.0;
        for (int64_t i = begin; i < end; ++i) local += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
        partial[tid] = local;
    }
    double total = 0.0;
    for (double p : partial) total += p;
    out[0] = total;
}
