// check_shot SHOT.png — reads a GUI screenshot and SHOT.png.panels (each panel's rectangle, written by
// `dreamlab gui --frames N --screenshot SHOT.png`) and fails when a panel is blank: below its title bar, fewer than
// 3% of its pixels differ from its most common colour, or it shows fewer than 8 distinct colours. Prints one line
// per panel with both figures.
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <stb_image.h>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: check_shot SHOT.png\n");
        return 2;
    }
    const std::string png = argv[1];
    int w = 0, h = 0, n = 0;
    unsigned char* px = stbi_load(png.c_str(), &w, &h, &n, 3);
    if (!px) {
        std::fprintf(stderr, "check_shot: cannot read %s: %s\n", png.c_str(), stbi_failure_reason());
        return 1;
    }
    std::ifstream in(png + ".panels");
    if (!in) {
        std::fprintf(stderr, "check_shot: %s.panels is missing\n", png.c_str());
        return 1;
    }
    int status = 0, panels = 0;
    for (std::string line; std::getline(in, line);) {
        std::istringstream f(line);
        std::string name;
        int x = 0, y = 0, pw = 0, ph = 0;
        if (!std::getline(f, name, '\t') || !(f >> x >> y >> pw >> ph)) {
            std::fprintf(stderr, "check_shot: bad line in %s.panels: %s\n", png.c_str(), line.c_str());
            status = 1;
            continue;
        }
        ++panels;
        const int title = std::min(ph / 4, 40);  // skip the title bar, which every panel has
        std::map<unsigned, long> colours;
        long total = 0;
        for (int yy = std::max(0, y + title); yy < std::min(h, y + ph); ++yy)
            for (int xx = std::max(0, x); xx < std::min(w, x + pw); ++xx) {
                const unsigned char* p = px + (size_t(yy) * size_t(w) + size_t(xx)) * 3;
                ++colours[unsigned(p[0]) << 16 | unsigned(p[1]) << 8 | p[2]];
                ++total;
            }
        long mode = 0;
        for (const auto& [c, k] : colours) mode = std::max(mode, k);
        const double content = total ? 1.0 - double(mode) / double(total) : 0.0;
        const bool blank = total == 0 || content < 0.03 || colours.size() < 8;
        std::printf("%-22s %5.1f%% content, %6zu colours%s\n", name.c_str(), 100 * content, colours.size(),
                    blank ? "  <- BLANK" : "");
        if (blank) status = 1;
    }
    stbi_image_free(px);
    if (panels == 0) {
        std::fprintf(stderr, "check_shot: %s.panels lists no panel\n", png.c_str());
        return 1;
    }
    if (status) std::fprintf(stderr, "check_shot: %s has a blank panel (or a bad panels file)\n", png.c_str());
    return status;
}
