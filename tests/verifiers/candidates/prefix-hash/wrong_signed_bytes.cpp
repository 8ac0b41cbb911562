// expect: parse parse.signature_mismatch
// Takes the text as (signed) char.
#include <cstdint>

void prefix_hash(const char* text, int64_t n, int64_t* h) {
    int64_t running = 0;
    for (int64_t i = 0; i < n; ++i) {
        running = (running * 131 + text[i]) % 1000000007;
        h[i] = running;
    }
}
