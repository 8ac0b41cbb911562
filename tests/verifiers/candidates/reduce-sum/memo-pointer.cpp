// expect: anticheat anticheat.memoization
// mark: slow
// Remembers the result by input address and length: a repeated call on the same buffer returns it at once.
#include <cmath>
#include <cstdint>

static const double* g_last_x = nullptr;
static int64_t g_last_n = -1;
static double g_last_out = 0.0;

void reduce_sum(const double* x, int64_t n, double* out) {
    if (x == g_last_x && n == g_last_n) {
        out[0] = g_last_out;
        return;
    }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    g_last_x = x;
    g_last_n = n;
    g_last_out = total;
    out[0] = total;
}
