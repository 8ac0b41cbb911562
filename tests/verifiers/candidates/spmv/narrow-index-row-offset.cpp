// expect: parse parse.narrow_index
// Row offsets kept in int: row_ptr is int64_t because nnz may pass 2^31, and then begin/end wrap.
#include <cstdint>

void spmv(const int64_t* row_ptr, const int32_t* col_idx, const double* vals, const double* x, int64_t rows,
          int64_t cols, double* y) {
    (void)cols;
#pragma omp parallel for schedule(dynamic, 64)
    for (int64_t i = 0; i < rows; ++i) {
        const int begin = row_ptr[i], end = row_ptr[i + 1];
        double sum = 0.0;
        for (int k = begin; k < end; ++k) sum += vals[k] * x[col_idx[k]];
        y[i] = sum;
    }
}
