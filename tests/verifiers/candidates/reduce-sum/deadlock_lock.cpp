// expect: correctness correctness.timeout
// Every thread takes the lock, none releases it: the second thread waits forever.
#include <cmath>
#include <cstdint>
#include <omp.h>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
    omp_lock_t lock;
    omp_init_lock(&lock);
#pragma omp parallel
    {
        double local = 0.0;
#pragma omp for
        for (int64_t i = 0; i < n; ++i) local += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
        omp_set_lock(&lock);
        total += local;
    }
    omp_destroy_lock(&lock);
    out[0] = total;
}
