// Runs before anything else in the program (a priority-101 constructor) and is compiled for the baseline x86-64
// ISA (CMakeLists.txt), so that a CPU below the build's target ISA gets a sentence instead of "Illegal instruction".
#if defined(__x86_64__) && defined(__GNUC__) && defined(DREAMLAB_REQUIRE_ISA)
#include <cstdio>
#include <cstdlib>

namespace {
__attribute__((constructor(101))) void dreamlab_check_cpu() {
    __builtin_cpu_init();
    if (__builtin_cpu_supports(DREAMLAB_REQUIRE_ISA)) return;
    std::fprintf(stderr,
                 "dreamlab: this build targets " DREAMLAB_REQUIRE_ISA
                 " (AVX2, FMA, BMI2) and this CPU does not support it.\n"
                 "Rebuild for it with: cmake -S . -B build -DDREAMLAB_NATIVE=ON (its numbers differ from the "
                 "portable build's; README, \"Reproducibility\").\n");
    std::_Exit(4);
}
}  // namespace
#endif
