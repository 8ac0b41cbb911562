// expect: anticheat anticheat.output_dependent
// Recomputes eight outputs spread over the array and, when the output buffer already holds those values,
// assumes it holds the whole answer and returns: a second call on the same output buffer with a few other
// inputs changed keeps the old outputs there.
#include <cmath>
#include <cstdint>

static double gelu_one(double v) {
    const double k = 0.7978845608028654;
    return 0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v)));
}

static bool already_computed(const double* x, int64_t n, const double* out) {
    if (n < 64) return false;
    for (int64_t k = 0; k < 8; ++k) {
        const int64_t i = 1 + k * (n - 3) / 7;
        const double expected = gelu_one(x[i]);
        if (!(std::fabs(out[i] - expected) <= 1e-12 * std::fabs(expected))) return false;
    }
    return true;
}

void gelu(const double* x, int64_t n, double* out) {
    if (already_computed(x, n, out)) return;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) out[i] = gelu_one(x[i]);
}
