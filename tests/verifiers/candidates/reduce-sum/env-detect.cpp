// expect: anticheat anticheat.harness_detection
// mark: slow
// Test harnesses pin OMP_NUM_THREADS; when it is unset the kernel assumes a benchmark and caches by address. It
// reads the environment through the C library's own variable, not through getenv.
#include <cmath>
#include <cstdint>
#include <cstring>

extern "C" char** __environ;

static const double* g_x = nullptr;
static double g_out = 0.0;

static bool pinned() {
    for (char** entry = __environ; entry && *entry; ++entry)
        if (std::strncmp(*entry, "OMP_NUM_THREADS=", 16) == 0) return true;
    return false;
}

void reduce_sum(const double* x, int64_t n, double* out) {
    if (!pinned() && x == g_x) {
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
