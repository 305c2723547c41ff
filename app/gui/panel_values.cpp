// Values and policy: the learner's V(s) as a heatmap with numbers and π(a|s) arrows, beside the ground truth
// V* (or |V − V*|) solved by DP on the same map, a shared colour bar, and Q(s,·) of the hovered cell.
// Maps with a coin show both layers (coin still on the ice / coin taken).
#include <cmath>

#include "app/gui/gui.h"
#include "core/rl/views.h"
#include "render/grid_view.h"

namespace dl {

namespace {

// Q(s, ·) of one state as numbers and bars: learned in the run's colour, Q* in grey.
void q_readout(const RunSlot& run, const GroundTruth& truth, const std::vector<std::string>& names, int s) {
    const TabularView& t = run.snap.tab;
    if (s < 0 || s >= t.nS) return;
    ImGui::Text("state %d   (bars: learned, Q* grey)", s);
    const float fs = ImGui::GetFontSize();
    double lo = 0, hi = 1e-9;
    for (int a = 0; a < t.nA; ++a) {
        if (!t.q.empty()) lo = std::min(lo, t.q[size_t(s) * t.nA + a]), hi = std::max(hi, t.q[size_t(s) * t.nA + a]);
        if (!truth.q.empty()) lo = std::min(lo, truth.q[size_t(s) * t.nA + a]), hi = std::max(hi, truth.q[size_t(s) * t.nA + a]);
    }
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (int a = 0; a < t.nA; ++a) {
        const double q = t.q.empty() ? NAN : t.q[size_t(s) * t.nA + a];
        const double qs = truth.q.empty() ? NAN : truth.q[size_t(s) * t.nA + a];
        const double p = t.pi.empty() ? NAN : t.pi[size_t(s) * t.nA + a];
        ImGui::Text("%-5s Q %7.3f  Q* %7.3f  π %.2f", a < int(names.size()) ? names[a].c_str() : "?", q, qs, p);
        ImGui::SameLine();
        const ImVec2 o = ImGui::GetCursorScreenPos();
        const float w = fs * 6;
        const float zero = float(o.x + w * (0 - lo) / (hi - lo));
        if (std::isfinite(q)) dl->AddRectFilled(ImVec2(zero, o.y + 2), ImVec2(float(o.x + w * (q - lo) / (hi - lo)), o.y + fs * 0.45f), run.color);
        if (std::isfinite(qs)) dl->AddRectFilled(ImVec2(zero, o.y + fs * 0.5f), ImVec2(float(o.x + w * (qs - lo) / (hi - lo)), o.y + fs * 0.9f), IM_COL32(200, 200, 200, 200));
        ImGui::Dummy(ImVec2(w, fs));
    }
}

}  // namespace

namespace {
void values_view(App& app);

struct GridFit {
    float cell = 10;
    bool side_by_side = false;
    float label_h = 0, heading_h = 0;  // a grid's title line; a coin map's layer name above its pair of grids
};

// The pictures get the room: Q(s, ·) of a hovered cell is a tooltip, not a reserved area. Two layers (coin maps)
// go either stacked or side by side, whichever gives bigger cells.
GridFit fit_grids(const GridLayout& g, ImVec2 avail) {
    const float fs = ImGui::GetFontSize();
    const float hint_h = fs * 1.6f;
    const float label_h = ImGui::GetTextLineHeightWithSpacing();
    const float heading_h = g.layers > 1 ? label_h : 0;
    const float bar_w = fs * 5 + fs * float(g.layers);  // colour bar, its labels and the gaps
    const float stacked = std::min((avail.x - bar_w) / (2.0f * g.cols + 0.5f),
                                   (avail.y - hint_h - (label_h + heading_h) * g.layers) / float(g.rows * g.layers));
    const float side = std::min((avail.x - bar_w) / (2.0f * g.cols * g.layers + 0.5f * g.layers),
                                (avail.y - hint_h - label_h - heading_h) / float(g.rows));
    GridFit f;
    f.label_h = label_h, f.heading_h = heading_h;
    f.side_by_side = g.layers > 1 && side > stacked;
    f.cell = std::max(10.0f, f.side_by_side ? side : stacked);
    return f;
}
}  // namespace

float values_grid_cell(App& app, ImVec2 panel) {
    RunSlot* run = app.current();
    if (!run || !run->snap.env || !run->snap.env->tabular() || (run->snap.agent && run->snap.agent->world_model())) return 0;
    const ImGuiStyle& st = ImGui::GetStyle();
    const float fs = ImGui::GetFontSize();
    // The panel's title bar, its padding and the line above the grids.
    const ImVec2 avail(panel.x - st.WindowPadding.x * 2, panel.y - (fs + st.FramePadding.y * 2) - st.WindowPadding.y * 2 -
                                                            ImGui::GetTextLineHeightWithSpacing());
    return fit_grids(run->snap.env->tabular()->layout(), avail).cell;
}

// World-model learners: their dream beside reality (and on Frozen Lake the learned transition table), then the
// usual view of the policy learned in the dream.
void panel_values(App& app) {
    RunSlot* run = app.current();
    if (!run || !run->snap.env) return;
    if (!run->snap.agent || !run->snap.agent->world_model()) return values_view(app);
    if (!ImGui::BeginTabBar("##world_model")) return;
    if (ImGui::BeginTabItem("Dream vs reality")) {
        panel_dream(app);
        ImGui::EndTabItem();
    }
    if (run->snap.env->tabular() && ImGui::BeginTabItem("Transitions: learned vs true")) {
        panel_dream_transitions(app);
        ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Values and policy")) {
        values_view(app);
        ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
}

namespace {

// The greedy policy's path from S as planned (each move where it is meant to go, no slips), until a hole, the goal,
// a wall bump or a loop: drawn over the grid in the run's colour, so two learners' routes read at a glance.
void greedy_path(const GridLayout& g, const TabularView& t, ImVec2 at, float cell, ImU32 color) {
    if (t.nA != 4 || t.pi.size() != size_t(t.nS) * 4) return;
    int r = -1, c = -1;
    for (int i = 0; i < g.rows && r < 0; ++i)
        for (int j = 0; j < g.cols; ++j)
            if (i < int(g.tiles.size()) && j < int(g.tiles[i].size()) && g.tiles[i][j] == 'S') r = i, c = j;
    if (r < 0) return;
    std::vector<ImVec2> pts;
    std::vector<bool> seen(size_t(g.rows * g.cols), false);
    auto centre = [&](int i, int j) { return ImVec2(at.x + (j + 0.5f) * cell, at.y + (i + 0.5f) * cell); };
    pts.push_back(centre(r, c));
    for (int k = 0; k < g.rows * g.cols; ++k) {
        const int s = g.state(0, r, c);
        if (seen[size_t(s)]) break;
        seen[size_t(s)] = true;
        const char L = g.tiles[r][c];
        if (L == 'H' || L == 'G') break;
        int best = 0;
        for (int a = 1; a < 4; ++a)
            if (t.pi[size_t(s) * 4 + a] > t.pi[size_t(s) * 4 + best]) best = a;
        const ImVec2 d = action_arrow(best);
        const int nr = r + int(d.y), nc = c + int(d.x);
        if (nr < 0 || nr >= g.rows || nc < 0 || nc >= g.cols) break;
        r = nr, c = nc;
        pts.push_back(centre(r, c));
    }
    if (pts.size() < 2) return;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddPolyline(pts.data(), int(pts.size()), IM_COL32(0, 0, 0, 200), 0, std::max(4.0f, cell * 0.16f));
    dl->AddPolyline(pts.data(), int(pts.size()), color, 0, std::max(2.0f, cell * 0.09f));
    dl->AddCircleFilled(pts.back(), std::max(3.0f, cell * 0.12f), color);
}

// Stage view "compare": every tabular run of the lesson on the same map, its learned V and π side by side (or
// stacked for a wide map), one colour scale, each titled in its run's colour — the contrast a comparison lesson is
// about (Q-learning's arrows along the cliff, SARSA's a row away).
bool compare_view(App& app) {
    std::vector<RunSlot*> runs;
    for (auto& r : app.runs)
        if (r->visible && r->snap.env && r->snap.env->tabular() && r->snap.tab.nS > 0) runs.push_back(r.get());
    if (runs.size() < 2) return false;
    const GridLayout g = runs[0]->snap.env->tabular()->layout();
    for (RunSlot* r : runs) {
        const GridLayout h = r->snap.env->tabular()->layout();
        if (h.rows != g.rows || h.cols != g.cols || h.layers != g.layers || r->snap.tab.v.size() != runs[0]->snap.tab.v.size())
            return false;  // different maps: nothing to compare cell by cell
    }
    double lo = INFINITY, hi = -INFINITY;
    for (RunSlot* r : runs)
        for (double v : r->snap.tab.v) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!(hi > lo)) hi = lo + 1;
    const float fs = ImGui::GetFontSize();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float label_h = ImGui::GetTextLineHeightWithSpacing();
    const float n = float(runs.size()), bar_w = fs * 5;
    const float rows = float(g.rows * g.layers);
    // Side by side, or stacked: whichever gives the larger cells.
    const float side = std::min((avail.x - bar_w) / (n * g.cols + 0.5f * n), (avail.y - label_h) / rows);
    const float stacked = std::min((avail.x - bar_w) / float(g.cols), (avail.y - label_h * n) / (rows * n) - 1);
    const bool beside = side >= stacked;
    GridViewOptions o;
    o.cell = std::max(10.0f, beside ? side : stacked);
    o.vmin = lo, o.vmax = hi, o.diverging = lo < 0;
    o.numbers = o.cell >= fs * 3.2f;  // the arrows and the path are the point here; numbers only where they fit beside them
    ImGui::BeginGroup();
    for (size_t i = 0; i < runs.size(); ++i) {
        RunSlot* r = runs[i];
        if (beside && i > 0) ImGui::SameLine(0, fs * 0.5f);
        ImGui::PushID(int(i));
        ImGui::BeginGroup();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(r->color), "%s", r->label().c_str());
        o.highlight_state = r->snap.env->tabular()->state();
        for (int layer = 0; layer < g.layers; ++layer) {
            ImGui::PushID(layer);
            const ImVec2 at = ImGui::GetCursorScreenPos();
            value_grid("run", g, layer, g.tiles, r->snap.tab.v, r->snap.tab.pi, r->snap.tab.nA, o);
            if (g.layers == 1) greedy_path(g, r->snap.tab, at, o.cell, r->color);
            ImGui::PopID();
        }
        ImGui::EndGroup();
        ImGui::PopID();
    }
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Dummy(ImVec2(1, label_h));
    colour_bar("bar", lo, hi, lo < 0, o.cell * rows);
    ImGui::EndGroup();
    return true;
}

void values_view(App& app) {
    if (app.stage && app.stage_compare && compare_view(app)) return;
    if (ab_values(app)) return;  // a lockstep pair on a lake: V_A, V_B, ΔV
    RunSlot* run = app.current();
    if (!run || !run->snap.env) return;
    const DiscreteEnv* denv = run->snap.env->tabular();
    TabularView placeholder;
    const TabularView* tp = &run->snap.tab;
    if (denv && tp->nS == 0) {
        // Before the first step (a run starts paused): nothing learned yet, V = 0 and a uniform policy, so the
        // lesson opens on the lake, its ground truth V*, and what the learner starts from.
        placeholder.nS = denv->num_states(), placeholder.nA = denv->num_actions();
        placeholder.v.assign(size_t(placeholder.nS), 0.0);
        placeholder.pi.assign(size_t(placeholder.nS) * placeholder.nA, 1.0 / placeholder.nA);
        tp = &placeholder;
    }
    const TabularView& t = *tp;
    if (run->snap.env->pixel_world()) {
        panel_pixel_policy(app);  // pixel games: the frame with saliency, Q / π bars
        return;
    }
    if (!denv) {
        panel_state_maps(app);  // continuous states: value and policy maps over a 2-D slice
        return;
    }
    const GridLayout g = denv->layout();
    const std::vector<std::string>& map = g.tiles;
    const GroundTruth& truth = ground_truth(app, *run);

    // Right-hand picture: V* or |V − V*|.
    std::vector<double> right = truth.v;
    if (app.show_error_map && truth.v.size() == t.v.size())
        for (size_t s = 0; s < right.size(); ++s) right[s] = std::fabs(t.v[s] - truth.v[s]);
    double lo = INFINITY, hi = -INFINITY;
    for (double v : t.v) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!app.show_error_map)
        for (double v : truth.v) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!(hi > lo)) hi = lo + 1;
    const bool diverging = lo < 0;

    if (!app.stage) {
        ImGui::Checkbox("|V − V*|", &app.show_error_map);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("right-hand map: the learner's distance from the optimum");
        ImGui::SameLine();
    }
    double err = 0;
    for (size_t s = 0; s < t.v.size() && s < truth.v.size(); ++s) err = std::max(err, std::fabs(t.v[s] - truth.v[s]));
    ImGui::TextDisabled("max |V − V*| = %.4f   (γ as the run's; arrows: π(a|s))", err);

    // The algorithm's insides: toggles on this line, a heat layer on the right-hand grid in place of V*, paths and
    // arrows over the learned grid, their descriptions (and a backup's terms, a histogram) below.
    const OverlayChoice ovl = overlay_controls(app, run->snap.insides.get(), true);
    const float fs = ImGui::GetFontSize();
    ImVec2 avail = ImGui::GetContentRegionAvail();
    // Descriptions, a backup's terms and histograms go below the grids while the grids keep cells of 1.6 lines'
    // height; where they would not (a large font on the dashboard), one line says what is on and the rest moves
    // into the hover tooltips.
    const bool backup_on = ovl.heat && ovl.heat->kind == InsideLayer::Kind::Backup;  // drawn where V* goes
    const float below = overlay_caption_height(ovl, avail.x) + overlay_histograms_height(ovl);
    GridFit fit = fit_grids(g, ImVec2(avail.x, avail.y - below));
    const bool compact = below > 0 && fit.cell < fs * 1.6f;
    if (compact) fit = fit_grids(g, ImVec2(avail.x, avail.y - ImGui::GetTextLineHeightWithSpacing()));
    else avail.y -= below;
    const bool side_by_side = fit.side_by_side;
    const float label_h = fit.label_h, heading_h = fit.heading_h;
    const float cell = fit.cell;
    GridViewOptions o;
    o.cell = cell;
    o.vmin = lo, o.vmax = hi;
    o.diverging = diverging;
    o.highlight_state = denv->state();
    int hovered = -1;
    ImGui::BeginGroup();
    const float grid_w = cell * g.cols;
    // A title that fits above its grid: the long form, else the short one (never clipped).
    auto title = [&](const char* full, const char* brief) {
        ImGui::TextUnformatted(ImGui::CalcTextSize(full).x <= grid_w + fs ? full : brief);
    };
    for (int layer = 0; layer < g.layers; ++layer) {
        if (side_by_side && layer > 0) ImGui::SameLine(0, fs);
        ImGui::PushID(layer);  // ids per layer (a pushed int, not a built string)
        ImGui::BeginGroup();
        if (g.layers > 1) ImGui::TextColored(ImVec4(1.0f, 0.84f, 0.35f, 1.0f), "%s", g.layer_names[layer].c_str());
        ImGui::BeginGroup();
        const bool planner = run->session && run->session->algo().planner;
        title(planner ? "V (this sweep)" : "V (learned)", "V");
        const ImVec2 grid_at = ImGui::GetCursorScreenPos();
        auto r1 = value_grid("learned", g, layer, map, t.v, t.pi, t.nA, o);
        overlay_grid(ovl, g, layer, grid_at, cell);
        backup_arrows(ovl, *denv, t, g, layer, grid_at, cell);
        if (r1.clicked_row >= 0) overlay_select_cell(app, g.state(layer, r1.clicked_row, r1.clicked_col));
        ImGui::EndGroup();
        ImGui::SameLine();
        ImGui::BeginGroup();
        GridViewOptions o2 = o;
        std::vector<double> heat;
        const bool heat_on = overlay_heat(ovl, t, heat, o2);
        if (backup_on) {  // the Bellman backup takes the right-hand side: its terms, written out
            if (layer == 0) {
                title("Bellman backup", "backup");
                const float x = ImGui::GetCursorPosX();
                ImGui::PushTextWrapPos(x + std::max(grid_w, avail.x - x - fs * 6));
                backup_readout(ovl, *denv, t);
                ImGui::PopTextWrapPos();
            }
            ImGui::EndGroup();
            ImGui::EndGroup();
            ImGui::PopID();
            if (r1.hovered_state >= 0) hovered = r1.hovered_state;
            continue;
        }
        if (heat_on) title(ovl.heat->title.c_str(), ovl.heat->title.c_str());
        else if (app.show_error_map) title("|V − V*|", "|V−V*|");
        else title("V* (DP)", "V*");
        if (!heat_on) {
            o2.arrows = !app.show_error_map;
            if (app.show_error_map) o2.vmin = 0, o2.vmax = std::max(err, 1e-9), o2.diverging = false;
        }
        auto r2 = value_grid("truth", g, layer, map, heat_on ? heat : right, truth.pi, t.nA, o2);
        ImGui::EndGroup();
        ImGui::EndGroup();
        ImGui::PopID();
        if (r1.hovered_state >= 0) hovered = r1.hovered_state;
        if (r2.hovered_state >= 0) hovered = r2.hovered_state;
    }
    ImGui::EndGroup();
    if (hovered >= 0) {
        ImGui::BeginTooltip();
        q_readout(*run, truth, denv->action_names(), hovered);
        overlay_path_tooltip(ovl, hovered);
        ImGui::EndTooltip();
    }
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Dummy(ImVec2(1, fs * 0.2f));
    ImGui::Dummy(ImVec2(1, heading_h + label_h - fs * 0.2f));  // level with the grids
    colour_bar("bar", lo, hi, diverging, cell * g.rows * (side_by_side ? 1 : g.layers) + (side_by_side ? 0 : (label_h + heading_h) * (g.layers - 1)));
    ImGui::EndGroup();
    if (compact) {
        std::string on;
        for (const InsideLayer* l : ovl.drawn) on += (on.empty() ? "" : ", ") + l->title;
        if (ovl.heat) on = ovl.heat->title + (on.empty() ? "" : ", " + on);
        ImGui::TextDisabled("%s: hover the grid for the numbers", on.c_str());
        if (ImGui::IsItemHovered() || hovered >= 0) {
            ImGui::BeginTooltip();
            ImGui::PushTextWrapPos(fs * 40);
            overlay_caption(ovl);
            ImGui::PopTextWrapPos();
            overlay_histograms(ovl, fs * 20);
            ImGui::EndTooltip();
        }
    } else {
        overlay_caption(ovl);
        overlay_histograms(ovl, std::min(avail.x, fs * 30));
    }
    if (!app.stage && !ovl.heat && ovl.drawn.empty()) ImGui::TextDisabled("hover a cell: Q(s, a) for each action");
}

}  // namespace

}  // namespace dl
