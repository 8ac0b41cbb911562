// expect: correctness correctness.wrong_output | race race.data_race
// Splits the nonzeros between threads and accumulates into y without synchronisation.
#include <cstdint>

void spmv(const int64_t* row_ptr, const int32_t* col_idx, const double* vals, const double* x, int64_t rows,
          int64_t cols, double* y) {
    (void)cols;
    for (int64_t i = 0; i < rows; ++i) y[i] = 0.0;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rows; ++i) {
        for (int64_t k = row_ptr[i]; k < row_ptr[i + 1]; ++k) {
#pragma omp task
            y[i] += vals[k] * x[col_idx[k]];
        }
    }
}
