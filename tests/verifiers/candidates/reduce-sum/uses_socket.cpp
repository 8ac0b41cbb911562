// expect: parse parse.forbidden_include
// Phones home (the POSIX socket header is refused before the call is).
#include <cmath>
#include <cstdint>
#include <sys/socket.h>

void reduce_sum(const double* x, int64_t n, double* out) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    (void)fd;
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) total += std::sqrt(std::fabs(x[i])) * std::sin(x[i]);
    out[0] = total;
}
