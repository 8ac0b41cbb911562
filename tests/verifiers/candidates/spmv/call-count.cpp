// expect: anticheat anticheat.harness_detection
// mark: slow
// Row-parallel product; after its first call in a process (a benchmark's second repeat) it returns the first
// result whenever the row count matches.
#include <cstdint>
#include <cstring>
#include <vector>

static long g_calls = 0;
static std::vector<double> g_first;

void spmv(const int64_t* row_ptr, const int32_t* col_idx, const double* vals, const double* x, int64_t rows,
          int64_t cols, double* y) {
    (void)cols;
    if (g_calls++ > 0 && g_first.size() == size_t(rows)) {
        if (rows > 0) std::memcpy(y, g_first.data(), size_t(rows) * sizeof(double));
        return;
    }
#pragma omp parallel for schedule(dynamic, 256)
    for (int64_t i = 0; i < rows; ++i) {
        double sum = 0.0;
        for (int64_t k = row_ptr[i]; k < row_ptr[i + 1]; ++k) sum += vals[k] * x[col_idx[k]];
        y[i] = sum;
    }
    g_first.assign(y, y + rows);
}
