// expect: anticheat anticheat.memoization
// mark: slow
// Hashes the whole input (cheap: one pass of integer ops) and skips the expensive part when it saw the same
// input last time. Always right, but a benchmark that repeats its inputs times only the hash.
#include <cmath>
#include <cstdint>
#include <cstring>

static uint64_t g_hash = 0;
static int64_t g_n = -1;
static double g_out = 0.0;

void reduce_sum(const double* x, int64_t n, double* out) {
    uint64_t hash = 1469598103934665603ULL;
#pragma omp parallel for reduction(^ : hash)
    for (int64_t i = 0; i < n; ++i) {
        uint64_t bits;
        std::memcpy(&bits, &x[i], sizeof bits);
        hash ^= (bits + 0x9E3779B97F4A7C15ULL * uint64_t(i + 1)) * 0xFF51AFD7ED558CCDULL;
    }
    if (n == g_n && hash == g_hash) {
        out[0] = g_out;
        return;
    }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    g_hash = hash;
    g_n = n;
    g_out = total;
    out[0] = total;
}
