// expect: parse parse.forbidden_file_io
// Reads a precomputed answer from a file.
#include <cmath>
#include <cstdint>
#include <cstdio>

void reduce_sum(const double* x, int64_t n, double* out) {
    if (FILE* cached = std::fopen("/tmp/answer.bin", "rb")) {
        std::fread(out, sizeof(double), 1, cached);
        std::fclose(cached);
        return;
    }
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
