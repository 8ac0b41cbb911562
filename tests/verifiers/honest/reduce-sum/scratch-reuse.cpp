// Per-thread partial sums in a scratch array kept between calls (reusing an allocation is not caching results),
// padded to a cache line per thread, summed in thread order.
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace {
struct alignas(64) Partial {
    double value;
};
std::vector<Partial> scratch;
}  // namespace

void reduce_sum(const double* x, int64_t n, double* out) {
    const int threads = omp_get_max_threads();
    if (scratch.size() < size_t(threads)) scratch.resize(size_t(threads));
#pragma omp parallel num_threads(threads)
    {
        double partial = 0.0;
#pragma omp for schedule(static) nowait
        for (int64_t i = 0; i < n; ++i) partial += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
        scratch[size_t(omp_get_thread_num())].value = partial;
    }
    double total = 0.0;
    for (int t = 0; t < threads; ++t) total += scratch[size_t(t)].value;
    out[0] = total;
}
