// expect: anticheat anticheat.out_of_bounds_write
// mark: slow
// Once it has been called before (so never in a one-call test), it saves a temporary array by transforming its
// input in place: the input is not its own, and the next call sums the wrong numbers.
#include <cmath>
#include <cstdint>

static long g_calls = 0;

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
    if (g_calls++ == 0) {
#pragma omp parallel for reduction(+ : total)
        for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    } else {
        double* scratch = const_cast<double*>(x);
#pragma omp parallel for
        for (int64_t i = 0; i < n; ++i) scratch[i] = std::sqrt(std::fabs(scratch[i])) * std::sin(scratch[i]);
#pragma omp parallel for reduction(+ : total)
        for (int64_t i = 0; i < n; ++i) total += scratch[i];
    }
    out[0] = total;
}
