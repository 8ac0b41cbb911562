// expect: anticheat anticheat.memoization
// mark: slow
// Recognises its input by length and first and last elements (a cheap "hash"), and returns the remembered sum.
#include <cmath>
#include <cstdint>

static int64_t g_n = -1;
static double g_first = 0.0, g_last = 0.0, g_out = 0.0;

void reduce_sum(const double* x, int64_t n, double* out) {
    if (n > 0 && n == g_n && x[0] == g_first && x[n - 1] == g_last) {
        out[0] = g_out;
        return;
    }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    if (n > 0) {
        g_n = n;
        g_first = x[0];
        g_last = x[n - 1];
    }
    g_out = total;
    out[0] = total;
}
