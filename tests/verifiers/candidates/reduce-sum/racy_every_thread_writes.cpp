// expect: race race.data_race
// Right answer, but every thread stores it into out[0]: a write-write race correctness cannot see.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
#pragma omp parallel
    {
        double local = 0.0;
#pragma omp for
        for (int64_t i = 0; i < n; ++i) local += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
#pragma omp atomic
        total += local;
#pragma omp barrier
        out[0] = total;
    }
}
