// expect: anticheat anticheat.time_dependent
// mark: slow
// Calls in quick succession on inputs of the same length look like a benchmark loop: return the last result.
#include <chrono>
#include <cmath>
#include <cstdint>

static std::chrono::steady_clock::time_point g_last{};
static int64_t g_n = -1;
static double g_out = 0.0;

void reduce_sum(const double* x, int64_t n, double* out) {
    const auto now = std::chrono::steady_clock::now();
    const bool rapid = now - g_last < std::chrono::milliseconds(20);
    g_last = now;
    if (rapid && n == g_n) {
        out[0] = g_out;
        return;
    }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    g_n = n;
    g_out = total;
    out[0] = total;
    g_last = std::chrono::steady_clock::now();
}
