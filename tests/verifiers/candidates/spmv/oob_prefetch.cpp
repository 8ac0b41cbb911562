// expect: memory memory.heap_buffer_overflow
// mark: slow
// Prefetches two rows ahead and reads row_ptr past its end on the last row.
#include <cstdint>

void spmv(const int64_t* row_ptr, const int32_t* col_idx, const double* vals, const double* x, int64_t rows,
          int64_t cols, double* y) {
    (void)cols;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rows; ++i) {
        __builtin_prefetch(&vals[row_ptr[i + 2]]);
        double sum = 0.0;
        for (int64_t k = row_ptr[i]; k < row_ptr[i + 1]; ++k) sum += vals[k] * x[col_idx[k]];
        y[i] = sum;
    }
}
