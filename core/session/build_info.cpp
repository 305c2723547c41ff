#include "core/session/build_info.h"

#include <cstdio>
#include <fstream>
#include <thread>

#include <Eigen/Core>

#ifndef DREAMLAB_BUILD_KIND
#define DREAMLAB_BUILD_KIND "unknown"
#endif
#ifndef DREAMLAB_BUILD_ISA
#define DREAMLAB_BUILD_ISA "unknown"
#endif

namespace dl {

BuildInfo build_info() {
    BuildInfo b;
    b.kind = DREAMLAB_BUILD_KIND;
    b.isa = DREAMLAB_BUILD_ISA;
    // Eigen's own SimdInstructionSetsInUse() does not tell AVX from AVX2 + FMA; its feature macros do.
    const char* sets[] = {
#if defined(EIGEN_VECTORIZE_AVX512)
        "AVX-512",
#endif
#if defined(EIGEN_VECTORIZE_AVX2)
        "AVX2",
#endif
#if defined(EIGEN_VECTORIZE_FMA)
        "FMA",
#endif
#if defined(EIGEN_VECTORIZE_AVX)
        "AVX",
#endif
#if defined(EIGEN_VECTORIZE_SSE4_2)
        "SSE4.2",
#endif
#if defined(EIGEN_VECTORIZE_SSE2)
        "SSE2",
#endif
#if defined(EIGEN_VECTORIZE_NEON)
        "NEON",
#endif
        nullptr};
    for (const char* const* s = sets; *s; ++s) b.simd += std::string(b.simd.empty() ? "" : ", ") + *s;
    if (b.simd.empty()) b.simd = "no SIMD";
#if defined(__clang__)
    b.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
    b.compiler = "g++ " __VERSION__;
#else
    b.compiler = "unknown compiler";
#endif
    b.eigen = std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
              std::to_string(EIGEN_MINOR_VERSION);
    b.l1 = long(Eigen::l1CacheSize()), b.l2 = long(Eigen::l2CacheSize()), b.l3 = long(Eigen::l3CacheSize());
#if defined(EIGEN_NO_CPUID)
    b.fixed_arithmetic = b.isa != "native";
#endif
    return b;
}

MachineInfo machine_info() {
    MachineInfo m;
    m.cpu_model = "unknown";
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);)
        if (line.rfind("model name", 0) == 0) {
            const size_t colon = line.find(':');
            if (colon != std::string::npos && colon + 2 <= line.size()) m.cpu_model = line.substr(colon + 2);
            break;
        }
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    m.isa_level = __builtin_cpu_supports("x86-64-v4")   ? "x86-64-v4"
                  : __builtin_cpu_supports("x86-64-v3") ? "x86-64-v3"
                  : __builtin_cpu_supports("x86-64-v2") ? "x86-64-v2"
                                                        : "x86-64";
#else
    m.isa_level = "other";
#endif
    m.hardware_threads = int(std::thread::hardware_concurrency());
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf %lf %lf", &m.load1, &m.load5, &m.load15) != 3) m.load1 = m.load5 = m.load15 = -1;
        std::fclose(f);
    }
    return m;
}

std::string build_summary(const BuildInfo& b) {
    char caches[96];
    std::snprintf(caches, sizeof caches, "L1 %ld KiB, L2 %ld KiB, L3 %ld KiB", b.l1 / 1024, b.l2 / 1024, b.l3 / 1024);
    return b.kind + " build, -march=" + b.isa + " (" + b.simd + "); Eigen " + b.eigen + " blocks for " + caches +
           (b.fixed_arithmetic ? " (fixed)" : " (read from this CPU)") + "; " + b.compiler;
}

std::string machine_summary(const MachineInfo& m) {
    char load[64];
    std::snprintf(load, sizeof load, "load %.2f %.2f %.2f", m.load1, m.load5, m.load15);
    return m.cpu_model + " (" + m.isa_level + "), " + std::to_string(m.hardware_threads) + " hardware threads, " + load;
}

std::string build_and_machine_lines(const MachineInfo& m) {
    return "build:   " + build_summary(build_info()) + "\nmachine: " + machine_summary(m) + "\n";
}

}  // namespace dl
