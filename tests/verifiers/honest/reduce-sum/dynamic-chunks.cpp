// Dynamic scheduling in large chunks, with a helper function and a constant table of small literals.
#include <cmath>
#include <cstdint>

static inline double term(double v) { return std::sqrt(std::fabs(v)) * std::sin(v); }

void reduce_sum(const double* x, int64_t n, double* out) {
    static const int64_t kChunks[] = {4096, 16384};
    const int64_t chunk = n > 1000000 ? kChunks[1] : kChunks[0];
    double total = 0.0;
#pragma omp parallel for reduction(+ : total) schedule(dynamic, chunk)
    for (int64_t i = 0; i < n; ++i) total += term(x[i]);
    out[0] = total;
}
