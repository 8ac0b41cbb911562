// expect: anticheat anticheat.harness_detection
// mark: slow
// Correctness harnesses call a kernel once per process; benchmarks call it again and again. After the first
// call this kernel returns its first answer.
#include <cmath>
#include <cstdint>

static long g_calls = 0;
static double g_first = 0.0;

void reduce_sum(const double* x, int64_t n, double* out) {
    if (g_calls++ > 0) {
        out[0] = g_first;
        return;
    }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    g_first = total;
    out[0] = total;
}
