// expect: anticheat anticheat.harness_detection
// mark: slow
// Defines clock_gettime itself: linked into the harness, it replaces the C library's, and every time the
// harness measures is whatever this kernel says.
#include <cmath>
#include <cstdint>
#include <ctime>

static long g_ticks = 0;

extern "C" int clock_gettime(clockid_t, struct timespec* ts) {
    g_ticks += 1000;
    ts->tv_sec = g_ticks / 1000000000L;
    ts->tv_nsec = g_ticks % 1000000000L;
    return 0;
}

void reduce_sum(const double* x, int64_t n, double* out) {
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
