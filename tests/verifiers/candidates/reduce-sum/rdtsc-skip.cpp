// expect: anticheat anticheat.time_dependent
// mark: slow
// The same trick as clock-skip with the cycle counter, which no library call reveals.
#include <x86intrin.h>

#include <cmath>
#include <cstdint>

static unsigned long long g_last = 0;
static int64_t g_n = -1;
static double g_out = 0.0;

void reduce_sum(const double* x, int64_t n, double* out) {
    const unsigned long long now = __rdtsc();
    const bool rapid = g_last != 0 && now - g_last < 50000000ULL;
    if (rapid && n == g_n) {
        out[0] = g_out;
        g_last = __rdtsc();
        return;
    }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    g_n = n;
    g_out = total;
    out[0] = total;
    g_last = __rdtsc();
}
