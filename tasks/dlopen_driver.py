"""Kernels loaded as shared libraries: the C++ shared by the multi-kernel drivers, and the naming scheme.

The timing driver (:mod:`tasks.timing_harness`) and the anti-cheat probe driver
(:mod:`tasks.probe_harness`) call kernels that were each built into their own shared library
``libpf_kernel_<i>.so`` exporting one function, ``pf_kernel_<i>`` (the task's function renamed at
compile time; see :mod:`verifiers.timing.bundle`). The drivers ``dlopen`` each library with
``RTLD_LOCAL``, so no kernel can reach another's symbols, and call the kernel through a pointer of
the exact signature type.
"""

from __future__ import annotations

from tasks.model import Signature

KERNEL_SYMBOL = "pf_kernel_{index}"
"""The exported name of kernel ``index`` in a multi-kernel program."""
KERNEL_SHARED_OBJECT = "libpf_kernel_{index}.so"
"""The shared library holding kernel ``index``."""


def kernel_symbol(index: int) -> str:
    """The exported name of kernel ``index``."""
    return KERNEL_SYMBOL.format(index=index)


def kernel_shared_object(index: int) -> str:
    """The file name of the shared library of kernel ``index``."""
    return KERNEL_SHARED_OBJECT.format(index=index)


def pointer_type(signature: Signature) -> str:
    """A C++ alias declaration for a pointer to the kernel's function type."""
    params = ", ".join(p.c_declaration() for p in signature.params)
    return f"using pf_kernel_t = void (*)({params});"


SUPPORT_SOURCE = r"""
#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& message) {
    std::fprintf(stderr, "driver: %s\n", message.c_str());
    std::exit(2);
}

[[noreturn]] void die_errno(const std::string& message) { die(message + ": " + std::strerror(errno)); }

constexpr size_t kPage = 4096;

size_t round_up(size_t bytes, size_t to) { return (bytes + to - 1) / to * to; }

// Zeroed, page-aligned memory of at least `bytes` bytes plus one page (never null).
char* alloc_pages(size_t bytes) {
    const size_t total = round_up(bytes, kPage) + kPage;
    void* memory = nullptr;
    if (posix_memalign(&memory, kPage, total) != 0) die("out of memory");
    std::memset(memory, 0, total);
    return static_cast<char*>(memory);
}

// A file's bytes in page-aligned memory.
struct Blob {
    char* data = nullptr;
    size_t bytes = 0;
};

Blob read_blob(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) die("cannot open " + path);
    std::fseek(f, 0, SEEK_END);
    const long size = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    if (size < 0) die("cannot size " + path);
    Blob blob{alloc_pages(size_t(size)), size_t(size)};
    if (size && std::fread(blob.data, 1, blob.bytes, f) != blob.bytes) die("short read of " + path);
    std::fclose(f);
    return blob;
}

Blob copy_blob(const Blob& from) {
    Blob blob{alloc_pages(from.bytes), from.bytes};
    std::memcpy(blob.data, from.data, from.bytes);
    return blob;
}

template <typename T>
T scalar(const Blob& blob, const char* name) {
    if (blob.bytes != sizeof(T)) die(std::string(name) + " must hold exactly one element");
    T value;
    std::memcpy(&value, blob.data, sizeof(T));
    return value;
}

void write_bytes(const std::string& path, const void* data, size_t bytes) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) die_errno("cannot write " + path);
    if (bytes && std::fwrite(data, 1, bytes, f) != bytes) die_errno("short write of " + path);
    if (std::fclose(f) != 0) die_errno("cannot write " + path);
}

void make_dir(const std::string& path) {
    if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) die("cannot create " + path);
}

// A 64-bit digest of a blob's bytes (word-wise multiply-rotate; for change detection, not security).
unsigned long long digest(const Blob& blob) {
    unsigned long long hash = 0x9E3779B97F4A7C15ULL ^ blob.bytes;
    size_t i = 0;
    for (; i + 8 <= blob.bytes; i += 8) {
        unsigned long long word;
        std::memcpy(&word, blob.data + i, 8);
        hash = ((hash ^ word) * 0xFF51AFD7ED558CCDULL);
        hash ^= hash >> 29;
    }
    for (; i < blob.bytes; ++i) hash = (hash ^ (unsigned char)blob.data[i]) * 0x100000001B3ULL;
    return hash;
}

void* open_kernel(const std::string& library, const std::string& symbol) {
    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) die(std::string("cannot load ") + library + ": " + dlerror());
    void* function = dlsym(handle, symbol.c_str());
    if (!function) die("no symbol " + symbol + " in " + library);
    return function;
}

bool file_exists(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f) std::fclose(f);
    return f != nullptr;
}

// A second version of an input array, as the elements that differ: PREFIX.alt_index.bin (int64 positions)
// and PREFIX.alt_value.bin (the second version's elements there).
struct Patch {
    Blob index, alternative;
    std::vector<char> original;
    size_t width = 0;

    void load(const std::string& prefix, const Blob& from, size_t element) {
        index = read_blob(prefix + ".alt_index.bin");
        alternative = read_blob(prefix + ".alt_value.bin");
        width = element;
        const size_t count = index.bytes / 8;
        if (alternative.bytes != count * width) die("the patch of " + prefix + " does not match its index");
        original.resize(count * width);
        for (size_t j = 0; j < count; ++j) {
            long long at;
            std::memcpy(&at, index.data + 8 * j, 8);
            if (at < 0 || (size_t(at) + 1) * width > from.bytes) die("a patch position of " + prefix + " is outside");
            std::memcpy(original.data() + j * width, from.data + size_t(at) * width, width);
        }
    }
    // Brings `target`, holding version `*current`, to version `wanted` (0: original, 1: alternative).
    void apply(const Blob& target, int* current, int wanted) const {
        if (*current == wanted || width == 0) return;
        const char* values = wanted ? alternative.data : original.data();
        for (size_t j = 0; j < index.bytes / 8; ++j) {
            long long at;
            std::memcpy(&at, index.data + 8 * j, 8);
            std::memcpy(target.data + size_t(at) * width, values + j * width, width);
        }
        *current = wanted;
    }
};

using Clock = std::chrono::steady_clock;

long long nanoseconds(Clock::time_point start, Clock::time_point stop) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count();
}

}  // namespace
"""
"""C++ helpers shared by the multi-kernel drivers: page-aligned file loading, digests, loading a kernel from
its library, and a clock."""
