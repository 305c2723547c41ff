// State maps for continuous-state environments (CartPole; the whole 2-D state of Pendulum and MountainCar): the agent's V(θ, ω) and π(right | θ, ω) (ω = dθ/dt) (or the
// greedy action's Q) as heatmaps over a 2-D slice of the state space, the other dimensions (x, v) on sliders
// or following the current state; the current state is marked; action probabilities / Q-values as bars.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "app/gui/gui.h"
#include "core/rl/views.h"
#include "render/grid_view.h"

namespace dl {

namespace {

using RMat = Eigen::Matrix<float, -1, -1, Eigen::RowMajor>;

struct Drawn {  // one action drawn from π(· | s) per snapshot
    int run = -1;
    uint64_t seq = 0;
    double sample = 0;
};

}  // namespace

// Everything the state-map panel remembers between frames (App holds it opaquely).
struct StateMapsState {
    float slice[4] = {0, 0, 0, 0};   // the fixed dimensions of a slice (CartPole's x, v)
    bool slice_follow = true;        // they follow the current state
    bool lag_map = false;            // the second map shows the target network's lag (DQN)
    Drawn drawn;
    Rng rng{12345};
};

namespace {

StateMapsState& sm(App& app) {
    if (!app.state_maps_panel) app.state_maps_panel = std::make_shared<StateMapsState>();
    return *app.state_maps_panel;
}

// One heatmap over (θ, ω) with axes, a colour bar (what each colour means) and a hover readout; values are
// res × res, row 0 at the top (largest ω). Axes: x from x0 (left) to x1, y from y0 (bottom) to y1; marker and trail
// in the map's [−1, 1]² coordinates. `what` names the value in the readout ("V", "π(push right)").
void heatmap(const char* title, const RMat& m, int res, double lo, double hi, bool diverging, float size, ImVec2 marker,
             const char* xlabel, const char* ylabel, float x0, float x1, float y0, float y1,
             const std::vector<ImVec2>* trail = nullptr, const char* what = "value",
             const std::function<void(ImDrawList*, ImVec2, float)>& over = {}) {
    ImGui::BeginGroup();
    ImGui::TextUnformatted(title);
    const float fs = ImGui::GetFontSize();
    const ImVec2 o0 = ImGui::GetCursorScreenPos();
    char buf[32];
    float label_w = 0;  // the y tick labels' column
    for (int i = -1; i <= 1; ++i) {
        std::snprintf(buf, sizeof buf, "%.2g", y1 - (y1 - y0) * (i + 1) / 2);
        label_w = std::max(label_w, ImGui::CalcTextSize(buf).x);
    }
    const ImVec2 o(o0.x + label_w + fs * 0.4f, o0.y);
    const float bar_x = o.x + size + fs * 0.5f, bar_w = fs * 0.7f;
    std::snprintf(buf, sizeof buf, "%+.3g", std::fabs(hi) > std::fabs(lo) ? hi : lo);
    const float bar_labels = ImGui::CalcTextSize(buf).x + fs * 0.3f;
    ImGui::Dummy(ImVec2(bar_x + bar_w + bar_labels - o0.x, size + fs * 2.6f));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float c = size / res;
    const double absmax = std::max({std::fabs(lo), std::fabs(hi), 1e-9});
    auto colour = [&](double v) { return diverging ? colormap_diverging(v / absmax) : colormap_sequential((v - lo) / std::max(1e-9, hi - lo)); };
    for (int r = 0; r < res; ++r)
        for (int k = 0; k < res; ++k)
            dl->AddRectFilled(ImVec2(o.x + k * c, o.y + r * c), ImVec2(o.x + (k + 1) * c + 0.5f, o.y + (r + 1) * c + 0.5f), colour(m(r * res + k, 0)));
    dl->AddRect(o, ImVec2(o.x + size, o.y + size), IM_COL32(150, 150, 150, 255));
    // Ticks: both ends and the middle, centred under their positions, the middle one only where it fits.
    float right_of_last = -1e9f;
    for (int i = -1; i <= 1; ++i) {
        std::snprintf(buf, sizeof buf, "%.2g", x0 + (x1 - x0) * (i + 1) / 2);
        const float tw = ImGui::CalcTextSize(buf).x;
        const float tx = std::clamp(o.x + size * (i + 1) / 2 - tw * 0.5f, o.x - tw * 0.5f, o.x + size - tw * 0.5f);
        if (tx > right_of_last + fs * 0.3f || i == 1) dl->AddText(ImVec2(tx, o.y + size + 2), IM_COL32(180, 180, 180, 255), buf), right_of_last = tx + tw;
        std::snprintf(buf, sizeof buf, "%.2g", y1 - (y1 - y0) * (i + 1) / 2);
        // Centred on its row, but kept inside the map's height so the top label never runs into the title.
        const float ty = std::clamp(o.y + size * (i + 1) / 2 - fs * 0.5f, o.y, o.y + size - fs);
        dl->AddText(ImVec2(o.x - fs * 0.3f - ImGui::CalcTextSize(buf).x, ty), IM_COL32(180, 180, 180, 255), buf);
    }
    dl->AddText(ImVec2(o.x + size * 0.5f - ImGui::CalcTextSize(xlabel).x * 0.5f, o.y + size + fs * 1.2f), IM_COL32(140, 140, 150, 255), xlabel);
    dl->AddText(ImVec2(o.x + 3, o.y + 2), IM_COL32(20, 20, 20, 255), ylabel);
    // The colour bar: hi at the top, lo at the bottom (and 0 in the middle of a diverging one).
    const int steps = 32;
    for (int i = 0; i < steps; ++i) {
        const double v = hi - (hi - lo) * (i + 0.5) / steps;
        dl->AddRectFilled(ImVec2(bar_x, o.y + size * i / steps), ImVec2(bar_x + bar_w, o.y + size * (i + 1) / steps + 0.5f), colour(v));
    }
    dl->AddRect(ImVec2(bar_x, o.y), ImVec2(bar_x + bar_w, o.y + size), IM_COL32(150, 150, 150, 255));
    auto bar_label = [&](double v, float y) {
        std::snprintf(buf, sizeof buf, "%.3g", v);
        dl->AddText(ImVec2(bar_x + bar_w + fs * 0.2f, std::clamp(y - fs * 0.5f, o.y, o.y + size - fs)), IM_COL32(180, 180, 180, 255), buf);
    };
    bar_label(hi, o.y), bar_label(lo, o.y + size);
    if (diverging && lo < 0 && hi > 0) bar_label(0, o.y + size * float(hi / (hi - lo)));
    if (trail)  // a path in the map's [−1, 1]² coordinates; a jump across the θ = ±π seam is not drawn
        for (size_t i = 1; i < trail->size(); ++i) {
            const ImVec2 a = (*trail)[i - 1], b = (*trail)[i];
            if (std::fabs(a.x - b.x) > 1) continue;
            dl->AddLine(ImVec2(o.x + (a.x + 1) / 2 * size, o.y + (1 - (a.y + 1) / 2) * size),
                        ImVec2(o.x + (b.x + 1) / 2 * size, o.y + (1 - (b.y + 1) / 2) * size), IM_COL32(255, 255, 255, 220), 2.0f);
        }
    if (over) over(dl, o, size);  // overlays: points and paths in the map's coordinates
    if (marker.x >= -1 && marker.x <= 1 && marker.y >= -1 && marker.y <= 1) {
        const ImVec2 p(o.x + (marker.x + 1) / 2 * size, o.y + (1 - (marker.y + 1) / 2) * size);
        dl->AddCircle(p, fs * 0.45f, IM_COL32(255, 255, 255, 255), 16, 2.5f);
        dl->AddCircle(p, fs * 0.45f + 2, IM_COL32(0, 0, 0, 255), 16, 1.0f);
    }
    // Hover: the cell's coordinates and value.
    if (ImGui::IsMouseHoveringRect(o, ImVec2(o.x + size, o.y + size))) {
        const ImVec2 mp = ImGui::GetIO().MousePos;
        const int k = std::clamp(int((mp.x - o.x) / c), 0, res - 1), r = std::clamp(int((mp.y - o.y) / c), 0, res - 1);
        const float xv = x0 + (x1 - x0) * (k + 0.5f) / res, yv = y1 - (y1 - y0) * (r + 0.5f) / res;
        dl->AddRect(ImVec2(o.x + k * c, o.y + r * c), ImVec2(o.x + (k + 1) * c, o.y + (r + 1) * c), IM_COL32(255, 255, 0, 255), 0, 0, 2);
        ImGui::SetTooltip("%s = %.3g, %s = %.3g\n%s = %.4g", xlabel, xv, ylabel, yv, what, m(r * res + k, 0));
    }
    ImGui::EndGroup();
}

// How large the two maps can be, with the current-state column (side_w × side_h) beside them or, where that
// leaves them small (a narrow panel, a large font), below them. Each map takes size + ~4.5 characters (ticks, bar).
float map_size(ImVec2 avail, float side_w, float side_h, bool& beside) {
    const float fs = ImGui::GetFontSize(), extra = fs * 7.0f;  // a heatmap's tick labels, colour bar and its labels
    const float b = std::min((avail.x - side_w) / 2 - extra, avail.y - fs * 4);
    const float u = std::min(avail.x / 2 - extra, avail.y - fs * 4 - side_h);
    beside = b >= u && b >= 80.0f;  // a side column that would squeeze the maps under 80 px goes below them
    return std::max(80.0f, beside ? b : u);
}

// A continuous-control env whose state is 2-D (Pendulum's (θ, ω), MountainCar's (x, v)): its axes, how a point of
// them is observed, the current state and the episode's path so far.
struct Plane {
    const char* x_name;
    const char* y_name;
    const char* action_name;
    float x0, x1, y0, y1;
    std::function<void(float x, float y, float* obs)> observe;
    int obs_dim;
    ImVec2 current;              // in the map's [−1, 1]² coordinates
    std::vector<ImVec2> trail;   // ditto; a jump across a wrapping axis (θ = ±π) is not drawn
    std::string status;          // a line about the current state
    const char* legend = "";     // and one about the axes
};
ImVec2 to_map(const Plane& p, double x, double y) {
    return ImVec2(float(2 * (x - p.x0) / (p.x1 - p.x0) - 1), float(2 * (y - p.y0) / (p.y1 - p.y0) - 1));
}

// The state is 2-D, so V and the deterministic action are whole maps, not slices; the current episode's path drawn
// over both. Beside them, at the current state: Q1 and Q2 over the action axis and the policy's π(a | s).
void plane_maps(StateMapsState& st, const RunSlot& run, const Plane& pl, const OverlayChoice& ovl, const StatePlane& sp) {
    const AgentFn* fn = run.snap.agent.get();
    const ContinuousPolicyView* agent = fn ? fn->continuous_policy() : nullptr;
    if (!agent) {
        ImGui::TextDisabled("the algorithm has no networks to show yet");
        return;
    }
    const PlaneMaps* maps = run.snap.views.plane.get();  // computed on the worker (panel_state_maps asked for it)
    if (!maps || !maps->continuous) {
        ImGui::TextDisabled("computing the maps…");
        return;
    }
    const int res = maps->res;
    const float fs = ImGui::GetFontSize();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    bool beside = true;
    const float size = map_size(avail, std::max(fs * 19, ImGui::CalcTextSize(pl.status.c_str()).x + fs), fs * 14, beside);
    char vt[64], at[64];
    std::snprintf(vt, sizeof vt, !agent->has_q() ? "V(%s, %s)" : "V(%s, %s) = min(Q1, Q2) at μ(s)", pl.x_name, pl.y_name);
    std::snprintf(at, sizeof at, "%s μ(%s, %s)", pl.action_name, pl.x_name, pl.y_name);
    heatmap(vt, maps->value, res, maps->value.minCoeff(), maps->value.maxCoeff(), false, size, pl.current, pl.x_name, pl.y_name,
            pl.x0, pl.x1, pl.y0, pl.y1, &pl.trail, "V",
            [&](ImDrawList* dl, ImVec2 o, float sz) { overlay_plane(ovl, sp, dl, o, sz); });
    ImGui::SameLine();
    const float lo = agent->action_low(0), hi = agent->action_high(0);
    heatmap(at, maps->actions, res, lo, hi, true, size, pl.current, pl.x_name, pl.y_name, pl.x0, pl.x1, pl.y0, pl.y1, &pl.trail,
            pl.action_name);
    if (beside) ImGui::SameLine();

    // Right column, on one action axis (the env's torque from its lower to its upper bound): the twin critics'
    // Q(s, ·) at the current state (their gap is the disagreement TD3 and SAC guard against by taking the smaller),
    // and the policy's action distribution π(· | s) with its deterministic action and a sample drawn from it.
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(0);  // a narrow column wraps the state line instead of cutting it
    ImGui::TextUnformatted(pl.status.c_str());
    ImGui::PopTextWrapPos();
    ImGui::TextDisabled("%s", pl.legend);
    ImGui::TextDisabled("white: this episode's path");
    std::vector<float> cur(size_t(pl.obs_dim));
    pl.observe(pl.x0 + (pl.current.x + 1) / 2 * (pl.x1 - pl.x0), pl.y0 + (pl.current.y + 1) / 2 * (pl.y1 - pl.y0), cur.data());
    const ActionDensity pd = agent->density(cur.data(), 0);
    const float w = fs * 15, h = fs * 6.5f;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    auto x_of = [&](double a) { return float((a - pd.lo) / (pd.hi - pd.lo)); };  // action → [0, 1] across
    if (agent->has_q()) {
        const int n = 64;
        RMat obs(n, pl.obs_dim), acts(n, 1);
        for (int i = 0; i < n; ++i) {
            for (int d = 0; d < pl.obs_dim; ++d) obs(i, d) = cur[size_t(d)];
            acts(i, 0) = -1 + 2 * float(i) / (n - 1);
        }
        const RMat q = agent->q_values(obs, acts);
        const ImVec2 o = ImGui::GetCursorScreenPos();
        dl->AddRectFilled(o, ImVec2(o.x + w, o.y + h), IM_COL32(24, 26, 32, 255));
        const float lo = q.minCoeff(), hi = std::max(q.maxCoeff(), lo + 1e-3f);
        const ImU32 cols[2] = {IM_COL32(90, 170, 255, 255), IM_COL32(255, 160, 70, 255)};
        for (int c = 0; c < 2; ++c)
            for (int i = 1; i < n; ++i)
                dl->AddLine(ImVec2(o.x + w * (i - 1) / (n - 1), o.y + h * (1 - (q(i - 1, c) - lo) / (hi - lo))),
                            ImVec2(o.x + w * i / (n - 1), o.y + h * (1 - (q(i, c) - lo) / (hi - lo))), cols[c], 2.0f);
        const float ax = o.x + w * x_of(pd.mode());
        dl->AddLine(ImVec2(ax, o.y), ImVec2(ax, o.y + h), IM_COL32(255, 255, 255, 200), 1.5f);
        ImGui::Dummy(ImVec2(w, h));
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(cols[0]), "Q1(s, a)");
        ImGui::SameLine();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(cols[1]), "Q2(s, a)");
        ImGui::SameLine();
        ImGui::TextDisabled("%.1f to %.1f", lo, hi);
    }

    // π(a | s): the density inside the bounds; a clipped Gaussian's mass beyond them sits on the bounds as bars.
    Drawn& drawn = st.drawn;
    if (drawn.run != run.id || drawn.seq != run.snap_seq) drawn.run = run.id, drawn.seq = run.snap_seq, drawn.sample = pd.sample(st.rng);
    const int n = 121;
    std::vector<double> dens(n);
    double top = 0;
    for (int i = 0; i < n; ++i) dens[size_t(i)] = pd.pdf(pd.lo + (pd.hi - pd.lo) * (i + 0.5) / n), top = std::max(top, dens[size_t(i)]);
    const double m_lo = pd.mass_at(false), m_hi = pd.mass_at(true);
    const ImVec2 o = ImGui::GetCursorScreenPos();
    dl->AddRectFilled(o, ImVec2(o.x + w, o.y + h), IM_COL32(24, 26, 32, 255));
    const ImU32 fill = IM_COL32(120, 200, 140, 110), line = IM_COL32(140, 230, 160, 255);
    if (top > 0) {
        for (int i = 0; i < n; ++i) {
            const float x0 = o.x + w * i / n, x1 = o.x + w * (i + 1) / n, y = o.y + h * (1 - 0.92f * float(dens[size_t(i)] / top));
            dl->AddRectFilled(ImVec2(x0, y), ImVec2(x1 + 0.5f, o.y + h), fill);
            if (i > 0)
                dl->AddLine(ImVec2(x0 - 0.5f * w / n, o.y + h * (1 - 0.92f * float(dens[size_t(i - 1)] / top))),
                            ImVec2(x0 + 0.5f * w / n, y), line, 2.0f);
        }
    }
    char buf[48];
    for (int side = 0; side < 2; ++side) {  // point masses at the bounds, drawn as bars of height P (full height = 1)
        const double m = side ? m_hi : m_lo;
        if (m < 1e-3) continue;
        const float x = side ? o.x + w - fs * 0.5f : o.x;
        dl->AddRectFilled(ImVec2(x, o.y + h * (1 - float(m))), ImVec2(x + fs * 0.5f, o.y + h), IM_COL32(230, 200, 90, 200));
        std::snprintf(buf, sizeof buf, "P=%.2f", m);
        dl->AddText(ImVec2(side ? x - ImGui::CalcTextSize(buf).x - 2 : x + fs * 0.6f, o.y + 2), IM_COL32(230, 200, 90, 255), buf);
    }
    const float mx = o.x + w * x_of(pd.mode()), sx = o.x + w * x_of(drawn.sample);
    dl->AddLine(ImVec2(mx, o.y), ImVec2(mx, o.y + h), IM_COL32(255, 255, 255, 200), 1.5f);
    dl->AddTriangleFilled(ImVec2(sx, o.y + h - fs * 0.7f), ImVec2(sx - fs * 0.35f, o.y + h), ImVec2(sx + fs * 0.35f, o.y + h),
                          IM_COL32(255, 120, 90, 255));
    ImGui::Dummy(ImVec2(w, h));
    const bool hovered = ImGui::IsItemHovered();
    for (int i = 0; i <= 2; ++i) {  // the action axis: lower bound, middle, upper bound
        std::snprintf(buf, sizeof buf, "%+.3g", pd.lo + (pd.hi - pd.lo) * i / 2);
        const float tw = ImGui::CalcTextSize(buf).x;
        dl->AddText(ImVec2(std::clamp(o.x + w * i / 2 - tw / 2, o.x, o.x + w - tw), o.y + h + 1), IM_COL32(180, 180, 180, 255), buf);
    }
    ImGui::Dummy(ImVec2(w, fs));
    if (hovered) {  // readout: the action under the mouse and its density
        const double a = pd.lo + (pd.hi - pd.lo) * std::clamp((ImGui::GetIO().MousePos.x - o.x) / w, 0.0f, 1.0f);
        ImGui::SetTooltip("a = %+.3f   π(a | s) = %.3f", a, pd.pdf(a));
    }
    ImGui::TextColored(ImVec4(0.55f, 0.9f, 0.63f, 1), "π(a | s)");
    ImGui::SameLine();
    ImGui::TextDisabled("of the %s", pl.action_name);
    ImGui::TextDisabled("white: greedy %+.2f", pd.mode());
    ImGui::TextColored(ImVec4(1, 0.47f, 0.35f, 1), "▲ a ~ π(· | s): %+.2f", drawn.sample);
    if (pd.std <= 0) ImGui::TextDisabled("deterministic policy (no acting noise)");
    else if (pd.kind == ActionDensity::Squashed)
        ImGui::TextDisabled("tanh(N(%.2f, %.2f²)) scaled to [%.0f, %+.0f]", pd.mean, pd.std, pd.lo, pd.hi);
    else
        ImGui::TextDisabled("N(%.2f, %.2f²) clipped to [%.0f, %+.0f]", pd.mean, pd.std, pd.lo, pd.hi);
    ImGui::EndGroup();
}

}  // namespace

void panel_state_maps(App& app) {
    RunSlot* run = app.current();
    StatePlane sp;
    if (!run || !run->snap.env || !run->snap.env->state_plane(sp)) {
        const Space os = run && run->snap.env ? run->snap.env->observation_space() : Space{};
        ImGui::TextDisabled(os.kind == Space::Box && os.shape.size() == 3
                                ? "no state maps when the agent sees pixels (obs=pixels): see the dream view"
                                : "no state map for this environment yet");
        return;
    }
    ViewRequest& want = run->want_views;  // the maps are computed on the worker
    want.plane = true, want.plane_res = 48;
    if (sp.dims.size() == 2 && run->snap.agent && run->snap.agent->continuous_policy()) {
        // The state is 2-D: whole maps of V and the deterministic action, the episode's path over them.
        Plane pl{sp.dims[0].c_str(), sp.dims[1].c_str(), sp.action_name.c_str(), sp.lo[0], sp.hi[0], sp.lo[1], sp.hi[1],
                 [&sp](float x, float y, float* o) {
                     std::vector<float> st = sp.state;
                     st[size_t(sp.x)] = x, st[size_t(sp.y)] = y;
                     sp.observe(st.data(), o);
                 },
                 sp.obs_dim, {}, {}, {}};
        pl.current = to_map(pl, sp.state[size_t(sp.x)], sp.state[size_t(sp.y)]);
        for (const auto& x : sp.path) pl.trail.push_back(to_map(pl, x[size_t(sp.x)], x[size_t(sp.y)]));
        pl.status = sp.status, pl.legend = sp.legend.c_str();
        const OverlayChoice ovl = overlay_controls(app, run->snap.insides.get(), false);
        plane_maps(sm(app), *run, pl, ovl, sp);
        overlay_caption(ovl);
        return;
    }
    const AgentFn* agent = run->snap.agent.get();
    if (!agent) {
        ImGui::TextDisabled("the algorithm has no networks to show yet");
        return;
    }
    // A slice through the state: dimensions x and y vary over the maps, the others are fixed (sliders, or following
    // the current state).
    const int D = int(sp.dims.size());
    std::vector<int> fixed;
    for (int d = 0; d < D && d < 4; ++d)
        if (d != sp.x && d != sp.y) fixed.push_back(d);
    std::string fixed_names;
    for (int d : fixed) fixed_names += (fixed_names.empty() ? "" : ", ") + sp.dims[size_t(d)];
    if (!fixed.empty() && !app.stage) {
        ImGui::Checkbox((fixed_names + " follow the state").c_str(), &sm(app).slice_follow);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("the maps show a slice through the %d-D state: %s and %s vary, %s are fixed here", D,
                              sp.dims[size_t(sp.x)].c_str(), sp.dims[size_t(sp.y)].c_str(), fixed_names.c_str());
        for (int d : fixed) {
            if (sm(app).slice_follow) sm(app).slice[d] = sp.state[size_t(d)];
            same_line_if_fits(labelled_width(ImGui::GetFontSize() * 7, sp.dims[size_t(d)].c_str()));
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
            if (ImGui::SliderFloat(sp.dims[size_t(d)].c_str(), &sm(app).slice[d], sp.lo[size_t(d)], sp.hi[size_t(d)], "%.2f"))
                sm(app).slice_follow = false;
        }
    }

    const OverlayChoice ovl = overlay_controls(app, run->snap.insides.get(), false);
    // The maps: the agent on a res × res grid of (x, y), evaluated on the worker at the slice asked for.
    if (!sm(app).slice_follow)
        for (int d : fixed) want.plane_hold.push_back({d, sm(app).slice[d]});
    const PlaneMaps* maps = run->snap.views.plane.get();
    if (!maps || maps->continuous) {
        ImGui::TextDisabled("computing the maps…");
        return;
    }
    const int res = maps->res;
    const float x0 = sp.lo[size_t(sp.x)], x1 = sp.hi[size_t(sp.x)], y0 = sp.lo[size_t(sp.y)], y1 = sp.hi[size_t(sp.y)];
    const float fs = ImGui::GetFontSize();
    ImVec2 avail = ImGui::GetContentRegionAvail();
    avail.y -= overlay_caption_height(ovl, avail.x) + (maps->lag.size() && !app.stage ? ImGui::GetFrameHeightWithSpacing() : 0);
    bool beside = true;
    const float size = map_size(avail, std::max(fs * 11, ImGui::CalcTextSize(sp.status.c_str()).x + fs), fs * 8, beside);
    StateMapsState& sms = sm(app);
    if (maps->lag.size() && overlay_take(app, "target_lag")) sms.lag_map = true;  // a lesson's overlays = ["target_lag"]
    if (maps->lag.size() && !app.stage) {
        ImGui::Checkbox("Target lag map", &sms.lag_map);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("right-hand map: max over actions of |Q − Q_target|, how far the target network the TD targets come from trails the online one");
    }
    const float sx = sp.state[size_t(sp.x)], sy = sp.state[size_t(sp.y)];
    const ImVec2 marker(2 * (sx - x0) / (x1 - x0) - 1, 2 * (sy - y0) / (y1 - y0) - 1);
    const char* xn = sp.dims[size_t(sp.x)].c_str();
    const char* yn = sp.dims[size_t(sp.y)].c_str();
    char title[96];
    if (maps->value.size()) {
        std::snprintf(title, sizeof title, "V(%s, %s)", xn, yn);
        heatmap(title, maps->value, res, maps->value.minCoeff(), maps->value.maxCoeff(), false, size, marker, xn, yn, x0, x1, y0, y1,
                nullptr, "V", [&](ImDrawList* dl, ImVec2 o, float sz) { overlay_plane(ovl, sp, dl, o, sz); });
        ImGui::SameLine();
    }
    // Second map: π(last action) for a policy, or Q(last) − Q(first) for a Q-network (CartPole: right vs left).
    const auto names = run->snap.env->action_names();
    const int A = int(maps->actions.cols());
    const std::string first = names.empty() ? "a0" : names.front(), last = names.empty() ? "a1" : names.back();
    RMat second(res * res, 1);
    for (int i = 0; i < res * res; ++i)
        second(i, 0) = agent->q_values ? maps->actions(i, A - 1) - maps->actions(i, 0) : maps->actions(i, A - 1);
    // The overlays go on the first map drawn (V where there is a critic, else this one).
    const std::function<void(ImDrawList*, ImVec2, float)> over_second =
        maps->value.size() ? std::function<void(ImDrawList*, ImVec2, float)>() : [&](ImDrawList* dl, ImVec2 o, float sz) { overlay_plane(ovl, sp, dl, o, sz); };
    if (sms.lag_map && maps->lag.size()) {
        std::snprintf(title, sizeof title, "|Q − Q_target| (%s, %s)", xn, yn);
        heatmap(title, maps->lag, res, 0, std::max(1e-6f, maps->lag.maxCoeff()), false, size, marker, xn, yn, x0, x1, y0, y1, nullptr,
                "max |Q − Q_target|", over_second);
    } else if (agent->q_values) {
        const double m = std::max(1e-6f, second.cwiseAbs().maxCoeff());
        std::snprintf(title, sizeof title, "Q(%s) − Q(%s)", last.c_str(), first.c_str());
        // Red: the last action is better; blue: the first (the bar says by how much).
        heatmap(title, second, res, -m, m, true, size, marker, xn, yn, x0, x1, y0, y1, nullptr, title, over_second);
    } else {
        std::snprintf(title, sizeof title, "π(%s | %s, %s)", last.c_str(), xn, yn);
        heatmap(title, second, res, 0, 1, false, size, marker, xn, yn, x0, x1, y0, y1, nullptr, title, over_second);
    }
    if (beside) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextDisabled("current state");
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted(sp.status.c_str());
    ImGui::PopTextWrapPos();
    RMat obs(1, sp.obs_dim), v, av;
    sp.observe(sp.state.data(), obs.data());
    agent->evaluate(obs, v, av);
    if (v.size()) ImGui::Text("V = %.2f", v(0, 0));
    for (int a = 0; a < av.cols(); ++a) {
        char label[64];
        std::snprintf(label, sizeof label, "%s %.3f", a < int(names.size()) ? names[size_t(a)].c_str() : "?", av(0, a));
        const float frac = agent->q_values ? float(av(0, a) / std::max(1e-6f, av.cwiseAbs().maxCoeff())) : float(av(0, a));
        ImGui::PushStyleColor(ImGuiCol_PlotHistogram, ImGui::ColorConvertU32ToFloat4(run->color));
        // As wide as the column allows (never past the panel's edge), but wide enough for its label.
        const float w = std::max(ImGui::CalcTextSize(label).x + fs * 0.6f, std::min(fs * 10, ImGui::GetContentRegionAvail().x));
        ImGui::ProgressBar(std::clamp(frac, 0.0f, 1.0f), ImVec2(w, 0), label);
        ImGui::PopStyleColor();
    }
    ImGui::TextDisabled(agent->q_values ? "bars: Q(s, a)" : "bars: π(a | s)");
    overlay_histograms(ovl, fs * 14);  // beside the maps, under the current state
    ImGui::EndGroup();
    overlay_caption(ovl);
}

}  // namespace dl
