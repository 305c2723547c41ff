#include "render/grid_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "render/plot.h"

namespace dl {

ImVec2 action_arrow(int action) {
    switch (action) {
        case 0: return {-1, 0};  // Left
        case 1: return {0, 1};   // Down: rows grow downwards on screen
        case 2: return {1, 0};   // Right
        case 3: return {0, -1};  // Up
    }
    return {0, 0};
}

namespace {

ImU32 lerp_stops(const float (*stops)[3], int n, double t) {
    t = std::clamp(t, 0.0, 1.0) * (n - 1);
    const int i = std::min(int(t), n - 2);
    const double f = t - i;
    auto mix = [&](int c) { return int(stops[i][c] + f * (stops[i + 1][c] - stops[i][c]) + 0.5); };
    return IM_COL32(mix(0), mix(1), mix(2), 255);
}

bool is_dark(ImU32 c) {
    const int r = c & 255, g = (c >> 8) & 255, b = (c >> 16) & 255;
    return 0.299 * r + 0.587 * g + 0.114 * b < 140;
}

}  // namespace

ImU32 colormap_sequential(double t) {
    static const float stops[][3] = {{22, 28, 70}, {38, 84, 152}, {32, 150, 150}, {130, 200, 90}, {250, 228, 70}};
    return lerp_stops(stops, 5, t);
}

ImU32 colormap_diverging(double t) {
    static const float stops[][3] = {{180, 30, 40}, {235, 140, 120}, {245, 245, 245}, {120, 170, 230}, {30, 80, 170}};
    return lerp_stops(stops, 5, (std::clamp(t, -1.0, 1.0) + 1) * 0.5);
}

GridViewResult value_grid(const char* id, const GridLayout& g, int layer, const std::vector<std::string>& map,
                          const std::vector<double>& values, const std::vector<double>& pi, int nA,
                          const GridViewOptions& opt) {
    GridViewResult res;
    ImGui::PushID(id);
    const float c = std::max(1.0f, opt.cell);  // a window squeezed to nothing still draws (and ImGui wants a size)
    const ImVec2 o = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton("##grid", ImVec2(c * std::max(1, g.cols), c * std::max(1, g.rows)));
    const bool hovered = ImGui::IsItemHovered();
    const bool clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const double span = std::max(1e-12, opt.vmax - opt.vmin);
    const double absmax = std::max({std::fabs(opt.vmin), std::fabs(opt.vmax), 1e-12});
    char buf[32];
    const float font = ImGui::GetFontSize();

    for (int r = 0; r < g.rows; ++r)
        for (int col = 0; col < g.cols; ++col) {
            const int s = g.state(layer, r, col);
            const ImVec2 a(o.x + col * c, o.y + r * c), b(a.x + c, a.y + c);
            const char L = r < int(map.size()) && col < int(map[r].size()) ? map[r][col] : 'F';
            const double v = s < int(values.size()) ? values[s] : NAN;
            ImU32 fill = IM_COL32(60, 60, 60, 255);
            if (std::isfinite(v)) fill = opt.diverging ? colormap_diverging(v / absmax) : colormap_sequential((v - opt.vmin) / span);
            dl->AddRectFilled(a, b, fill);
            dl->AddRect(a, b, IM_COL32(20, 20, 20, 255));
            const ImU32 ink = is_dark(fill) ? IM_COL32(240, 240, 240, 255) : IM_COL32(15, 15, 15, 255);
            if (L == 'H' || L == 'G' || L == 'S' || L == 'C') {
                const char tag[2] = {L, 0};
                dl->AddText(ImVec2(a.x + 3, a.y + 1), ink, tag);
            }
            if (L == 'H') {  // holes are terminal: hatch them so they read as "nothing here"
                for (float k = 0; k < c; k += c / 6) dl->AddLine(ImVec2(a.x + k, b.y), ImVec2(a.x, b.y - k), IM_COL32(0, 0, 0, 90));
            }
            const bool terminal = L == 'H' || L == 'G';
            // The number sits in a strip along the cell's bottom; the arrows keep to the square above it, so
            // neither covers the other (the 8x8 and coin grids at a large font).
            // A cell too small for the panel's font gets its number in a smaller one (not below 70% of it).
            const float num_size = std::min(font, c / 2.2f);
            const bool number = opt.numbers && std::isfinite(v) && num_size >= std::max(11.0f, font * 0.7f);
            const float strip = number ? num_size + 1 : 0;
            if (opt.arrows && !terminal && !pi.empty()) {
                const ImVec2 m((a.x + b.x) * 0.5f, a.y + (c - strip) * 0.5f);
                for (int act = 0; act < nA && act < 4; ++act) {
                    const double p = pi[size_t(s) * nA + act];
                    if (p < 0.02) continue;
                    const ImVec2 d = action_arrow(act);
                    const float room = d.x != 0 ? c : c - strip;  // the rectangle above the number
                    const float len = float(p) * room * 0.45f, w = std::max(1.5f, float(p) * (c - strip) * 0.09f);
                    const ImVec2 tip(m.x + d.x * len, m.y + d.y * len);
                    const ImVec2 base(m.x + d.x * (len - w * 2.2f), m.y + d.y * (len - w * 2.2f));
                    const ImU32 col = is_dark(fill) ? IM_COL32(255, 255, 255, 230) : IM_COL32(10, 10, 10, 230);
                    dl->AddLine(m, base, col, w);
                    dl->AddTriangleFilled(tip, ImVec2(base.x - d.y * w * 1.8f, base.y + d.x * w * 1.8f),
                                          ImVec2(base.x + d.y * w * 1.8f, base.y - d.x * w * 1.8f), col);
                }
            }
            if (number) {
                const bool small = c < num_size * 2.8f;
                std::snprintf(buf, sizeof buf, opt.integers ? "%.0f" : std::fabs(v) >= 10 || small ? "%.1f" : "%.2f", v);
                ImFont* f = ImGui::GetFont();
                const ImVec2 ts = f->CalcTextSizeA(num_size, 1e9f, 0, buf);
                dl->AddText(f, num_size, ImVec2(b.x - ts.x - 3, b.y - ts.y - 1), ink, buf);
            }
            if (s == opt.highlight_state) dl->AddRect(ImVec2(a.x + 1, a.y + 1), ImVec2(b.x - 1, b.y - 1), IM_COL32(255, 120, 40, 255), 0, 0, 3.0f);
            if (std::find(opt.marked.begin(), opt.marked.end(), s) != opt.marked.end())
                dl->AddRect(ImVec2(a.x + 4, a.y + 4), ImVec2(b.x - 4, b.y - 4), opt.mark_color, 0, 0, 3.0f);
        }
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    if (hovered) {
        const int col = std::clamp(int((mouse.x - o.x) / c), 0, g.cols - 1), r = std::clamp(int((mouse.y - o.y) / c), 0, g.rows - 1);
        res.hovered_state = g.state(layer, r, col);
        dl->AddRect(ImVec2(o.x + col * c, o.y + r * c), ImVec2(o.x + (col + 1) * c, o.y + (r + 1) * c), IM_COL32(255, 255, 255, 255), 0, 0, 2.0f);
        if (clicked) res.clicked_row = r, res.clicked_col = col;
    }
    ImGui::PopID();
    return res;
}

void colour_bar(const char* id, double vmin, double vmax, bool diverging, float height) {
    ImGui::PushID(id);
    const float fs = ImGui::GetFontSize();
    const float w = fs * 0.9f;
    const ImVec2 o = ImGui::GetCursorScreenPos();
    ImGui::Dummy(ImVec2(w + fs * 3.5f, height));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const int steps = 64;
    const double absmax = std::max({std::fabs(vmin), std::fabs(vmax), 1e-12});
    for (int i = 0; i < steps; ++i) {
        const double t0 = double(i) / steps;
        const double v = vmax - (vmax - vmin) * (t0 + 0.5 / steps);
        const ImU32 c = diverging ? colormap_diverging(v / absmax) : colormap_sequential((v - vmin) / std::max(1e-12, vmax - vmin));
        dl->AddRectFilled(ImVec2(o.x, o.y + height * i / steps), ImVec2(o.x + w, o.y + height * (i + 1) / steps + 1), c);
    }
    dl->AddRect(o, ImVec2(o.x + w, o.y + height), IM_COL32(150, 150, 150, 255));
    char buf[32];
    for (double t : nice_ticks(vmin, vmax, std::max(2, int(height / (fs * 2))))) {
        const float y = o.y + float((vmax - t) / std::max(1e-12, vmax - vmin)) * height;
        dl->AddLine(ImVec2(o.x + w, y), ImVec2(o.x + w + 4, y), IM_COL32(200, 200, 200, 255));
        std::snprintf(buf, sizeof buf, "%g", t);
        dl->AddText(ImVec2(o.x + w + 6, y - fs * 0.5f), IM_COL32(200, 200, 200, 255), buf);
    }
    ImGui::PopID();
}

}  // namespace dl
