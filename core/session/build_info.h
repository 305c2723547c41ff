// Which build this is and which machine runs it. The same seed and config give the same bytes only for the same
// build kind (README, "Reproducibility"), so `dreamlab bench` and `dreamlab version` print both sides.
#pragma once
#include <string>

namespace dl {

struct BuildInfo {
    std::string kind;      // "portable" (fixed ISA, fixed cache sizes: the pinned hashes hold), "native", "sanitize"
    std::string isa;       // the -march the build targets: "x86-64-v3", "native", ...
    std::string simd;      // the SIMD instruction sets Eigen's kernels use (e.g. "SSE, SSE2, ..., AVX2, FMA")
    std::string compiler;  // compiler and version
    std::string eigen;     // Eigen's version
    long l1 = 0, l2 = 0, l3 = 0;  // the cache sizes (bytes) Eigen blocks its matrix products for
    bool fixed_arithmetic = false;  // ISA and blocking fixed at build time: same numbers on every CPU of that ISA
};
BuildInfo build_info();

struct MachineInfo {
    std::string cpu_model;  // /proc/cpuinfo's model name (or "unknown")
    std::string isa_level;  // the highest x86-64 level the CPU runs: "x86-64-v4", "x86-64-v3", ... ("other" off x86)
    int hardware_threads = 0;
    double load1 = -1, load5 = -1, load15 = -1;  // /proc/loadavg (-1 where unreadable)
};
MachineInfo machine_info();

// "portable x86-64-v3 (AVX2, FMA; Eigen blocks for L1 32 KiB ...), g++ 12.2.0" — one line for tables and logs.
std::string build_summary(const BuildInfo& b);
std::string machine_summary(const MachineInfo& m);
// The two lines `version`, `repro` and `bench` start with: "build:   …\nmachine: …\n".
std::string build_and_machine_lines(const MachineInfo& m);

}  // namespace dl
