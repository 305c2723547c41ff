// dreamlab — one binary: no subcommand (or `gui`) opens the window; list/train/eval/bench run headless.
#include <malloc.h>

#include <iostream>
#include <string>
#include <vector>

#include "app/cli.h"

#ifdef DREAMLAB_WITH_GUI
namespace dl {
int run_gui(const std::vector<std::string>& args);
int run_render(const std::vector<std::string>& args);
}
#endif

int main(int argc, char** argv) {
    // Training reuses buffers of a few hundred KB every update (Eigen's GEMM workspace, batch activations).
    // Above glibc's default 128 KB threshold each one would be a fresh mmap with page faults; keep them in
    // the heap instead.
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    std::vector<std::string> args(argv + 1, argv + argc);
    const bool gui = args.empty() || args[0] == "gui" || (args[0].rfind("--", 0) == 0 && args[0] != "--help");
    if (gui) {
        if (!args.empty() && args[0] == "gui") args.erase(args.begin());
#ifdef DREAMLAB_WITH_GUI
        return dl::run_gui(args);
#else
        std::cerr << "dreamlab: this build has no GUI (configured with -DDREAMLAB_GUI=OFF); use list/train/eval/bench\n";
        return 2;
#endif
    }
    if (!args.empty() && args[0] == "render") {
#ifdef DREAMLAB_WITH_GUI
        return dl::run_render({args.begin() + 1, args.end()});
#else
        std::cerr << "dreamlab: this build has no GUI (configured with -DDREAMLAB_GUI=OFF), so it cannot render lessons\n";
        return 2;
#endif
    }
    return dl::run_cli(args, std::cout, std::cerr);
}
