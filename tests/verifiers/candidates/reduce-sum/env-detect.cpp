// expect: anticheat anticheat.harness_detection
// Test harnesses pin OMP_NUM_THREADS; when it is unset the kernel assumes a benchmark and caches by address.
#include <cmath>
#include <cstdint>
#include <cstdlib>

static const double* g_x = nullptr;
static double g_out = 0.0;

void reduce_sum(const double* x, int64_t n, double* out) {
    const bool benchmark = std::getenv("OMP_NUM_THREADS") == nullptr;
    if (benchmark && x == g_x) {
        out[0] = g_out;
        return;
    }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    g_x = x;
    g_out = total;
    out[0] = total;
}
