// expect: anticheat anticheat.memoization
// mark: slow
// An honest parallel product on every size a test could use; above them it remembers the result matrix by the
// addresses of its operands, so a benchmark repeating the call gets a memcpy instead of n^3 work. Copying the
// result moves about as many bytes as the task declares, so the roofline cannot tell; changing a few inputs
// between timed calls can.
#include <cstdint>
#include <cstring>
#include <vector>

static const double* g_a = nullptr;
static const double* g_b = nullptr;
static std::vector<double> g_c;

void gemm(const double* a, const double* b, int64_t n, double* c) {
    if (n > 300 && a == g_a && b == g_b && g_c.size() == size_t(n * n)) {
        std::memcpy(c, g_c.data(), g_c.size() * sizeof(double));
        return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        double* ci = c + i * n;
        for (int64_t j = 0; j < n; ++j) ci[j] = 0.0;
        for (int64_t k = 0; k < n; ++k) {
            const double aik = a[i * n + k];
            const double* bk = b + k * n;
            for (int64_t j = 0; j < n; ++j) ci[j] += aik * bk[j];
        }
    }
    if (n > 300) {
        g_c.assign(c, c + n * n);
        g_a = a;
        g_b = b;
    }
}
