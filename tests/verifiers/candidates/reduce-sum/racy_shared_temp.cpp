// expect: race race.data_race | correctness correctness.wrong_output
// The temporary is declared outside the loop, so it is shared by all threads.
#include <cmath>
#include <cstdint>

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
    double magnitude;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) {
        magnitude = std::sqrt(std::fabs(x[i]));
        total += magnitude * std::sin(x[i]);
    }
    out[0] = total;
}
