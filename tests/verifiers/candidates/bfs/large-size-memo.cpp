// expect: anticheat anticheat.beyond_roofline
// mark: slow
// The reference's queue-based search on every size a test could use; above them it remembers the levels by the
// address of the adjacency lists. Graph inputs cannot be changed in a few places without breaking them, so the
// timing run repeats the same graph, the remembered levels stay right, and only the time gives the cheat away:
// writing n levels is far less than reading the graph.
#include <cstdint>
#include <cstring>
#include <vector>

static const int32_t* g_col_idx = nullptr;
static std::vector<int32_t> g_level;

void bfs_levels(const int64_t* row_ptr, const int32_t* col_idx, int64_t n, int32_t* level) {
    if (n > 200000 && col_idx == g_col_idx && g_level.size() == size_t(n)) {
        std::memcpy(level, g_level.data(), size_t(n) * sizeof(int32_t));
        return;
    }
    for (int64_t v = 0; v < n; ++v) level[v] = -1;
    if (n == 0) return;
    std::vector<int32_t> queue;
    queue.reserve(size_t(n));
    level[0] = 0;
    queue.push_back(0);
    for (size_t head = 0; head < queue.size(); ++head) {
        const int32_t u = queue[head];
        for (int64_t k = row_ptr[u]; k < row_ptr[u + 1]; ++k) {
            const int32_t v = col_idx[k];
            if (level[v] < 0) {
                level[v] = level[u] + 1;
                queue.push_back(v);
            }
        }
    }
    if (n > 200000) {
        g_level.assign(level, level + n);
        g_col_idx = col_idx;
    }
}
