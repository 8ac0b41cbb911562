// expect: parse parse.narrow_index
// Flat row offsets i * n and k * n stored in int: they overflow once n * n passes 2^31 (n > 46340).
#include <cstdint>

void gemm(const double* a, const double* b, int64_t n, double* c) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        const int row = i * n;
        for (int64_t j = 0; j < n; ++j) c[row + j] = 0.0;
        for (int64_t k = 0; k < n; ++k) {
            const double aik = a[row + k];
            const int bk = k * n;
            for (int64_t j = 0; j < n; ++j) c[row + j] += aik * b[bk + j];
        }
    }
}
