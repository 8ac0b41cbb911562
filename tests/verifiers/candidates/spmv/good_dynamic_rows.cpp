// expect: accepted
// mark: slow
// One row per iteration, dynamically scheduled because row lengths vary.
#include <cstdint>

void spmv(const int64_t* row_ptr, const int32_t* col_idx, const double* vals, const double* x, int64_t rows,
          int64_t cols, double* y) {
    (void)cols;
#pragma omp parallel for schedule(dynamic, 64)
    for (int64_t i = 0; i < rows; ++i) {
        double sum = 0.0;
        for (int64_t k = row_ptr[i]; k < row_ptr[i + 1]; ++k) sum += vals[k] * x[col_idx[k]];
        y[i] = sum;
    }
}
