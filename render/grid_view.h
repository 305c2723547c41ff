// Grid views for tabular environments: a value heatmap with numbers, a colour bar, and policy arrows
// whose length is π(a|s). Hover and click report the cell, so panels can show Q(s,·) or paint the map.
#pragma once
#include <string>
#include <vector>

#include <imgui.h>

#include "envs/env.h"

namespace dl {

// Screen direction (x right, y down) of a FrozenLake action: 0 Left, 1 Down, 2 Right, 3 Up.
ImVec2 action_arrow(int action);

// Sequential colour map for t in [0,1] (dark blue → teal → yellow), and a diverging one for signed values.
ImU32 colormap_sequential(double t);
ImU32 colormap_diverging(double t);  // t in [-1,1]: red … white … blue

struct GridViewOptions {
    float cell = 48;          // pixels per cell
    bool numbers = true;      // print the value in each cell
    bool arrows = true;       // draw π(a|s) arrows
    double vmin = 0, vmax = 1;
    bool diverging = false;   // colour around 0 (for signed rewards)
    int highlight_state = -1; // outline (the agent's cell)
    std::vector<int> marked;  // states outlined in mark_color (where two policies differ)
    ImU32 mark_color = IM_COL32(255, 80, 200, 255);
    bool integers = false;    // numbers without decimals (counts)
};

struct GridViewResult {
    int hovered_state = -1;
    int clicked_row = -1, clicked_col = -1;  // left click
};

// Draws one layer of a grid; `values` has one entry per state (all layers), `pi` nS×nA (may be empty).
GridViewResult value_grid(const char* id, const GridLayout& g, int layer, const std::vector<std::string>& map,
                          const std::vector<double>& values, const std::vector<double>& pi, int nA,
                          const GridViewOptions& opt);

// A vertical colour bar with tick labels, `height` pixels tall.
void colour_bar(const char* id, double vmin, double vmax, bool diverging, float height);

}  // namespace dl
