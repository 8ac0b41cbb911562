// expect: accepted
// Explicit tasks, one per block, each writing its own slot; summed after the tasks complete.
#include <cmath>
#include <cstdint>
#include <vector>

void reduce_sum(const double* x, int64_t n, double* out) {
    const int64_t block = 4096;
    const int64_t blocks = (n + block - 1) / block;
    std::vector<double> partial(blocks, 0.0);
#pragma omp parallel
#pragma omp single
    for (int64_t b = 0; b < blocks; ++b) {
#pragma omp task firstprivate(b) shared(partial)
        {
            const int64_t end = b * block + block < n ? b * block + block : n;
            double local = 0.0;
            for (int64_t i = b * block; i < end; ++i) local += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
            partial[b] = local;
        }
    }
    double total = 0.0;
    for (double p : partial) total += p;
    out[0] = total;
}
