// expect: anticheat anticheat.beyond_roofline
// Peeks at the byte after its input: guard patterns there mean a checking harness, so it behaves; anywhere
// else it remembers results by address. Only the timing can tell.
#include <cmath>
#include <cstdint>

static const double* g_x = nullptr;
static int64_t g_n = -1;
static double g_out = 0.0;

void reduce_sum(const double* x, int64_t n, double* out) {
    const bool checked = reinterpret_cast<const unsigned char*>(x + n)[0] != 0;
    if (!checked && x == g_x && n == g_n) {
        out[0] = g_out;
        return;
    }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    g_x = x;
    g_n = n;
    g_out = total;
    out[0] = total;
}
