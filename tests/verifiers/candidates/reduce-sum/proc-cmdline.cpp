// expect: anticheat anticheat.harness_detection
// Reads its own command line: with more than one repeat requested it is being timed, and caches by address.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

static const double* g_x = nullptr;
static double g_out = 0.0;

static bool timed() {
    char args[4096] = {0};
    FILE* f = std::fopen("/proc/self/cmdline", "rb");
    if (!f) return false;
    const size_t got = std::fread(args, 1, sizeof args - 1, f);
    std::fclose(f);
    int field = 0;
    for (size_t i = 0; i < got; i += std::strlen(args + i) + 1, ++field)
        if (field == 4 && std::strcmp(args + i, "1") != 0) return true;
    return false;
}

void reduce_sum(const double* x, int64_t n, double* out) {
    if (x == g_x && timed()) {
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
