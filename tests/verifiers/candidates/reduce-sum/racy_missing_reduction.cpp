// expect: race race.data_race | correctness correctness.wrong_output
// Every thread adds into the shared total: lost updates when they collide (TSan sees it even when they do not).
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
#pragma omp parallel for
    for (int64_t i = 0; i < n; ++i) {
        total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    }
    out[0] = total;
}
