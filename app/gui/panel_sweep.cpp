// The sweep explorer: a sweep directory (running or done) as pictures with honest error bars.
//
//   heatmap       the statistic (IQM, mean or median over seeds) of the chosen score over two hyperparameters, each
//                 cell with its value and seed count; click a cell to select its configuration
//   sensitivity   the score against one hyperparameter (log axis where the axis is log): every seed a dot, a line
//                 per value of the second hyperparameter with its 95% bootstrap band
//   curves        learning curves per configuration: the statistic over seeds of the smoothed return, with a band
//   trials / parallel coordinates   the selected configuration's seeds (open one as a normal run: its greedy agent
//                 replays, its value maps show), or every configuration as a line across all the axes
//
// The directory is re-read twice a second (only trials that finished since, via SweepData); a sweep started here
// (a sweep lesson, or "Sweep this run") runs on worker threads (SweepRunner) while the window stays responsive.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <imgui.h>

#include "app/gui/gui.h"
#include "base/files.h"
#include "base/params.h"
#include "base/stats.h"
#include "core/algos/registry.h"
#include "core/session/sweep.h"
#include "core/session/sweep_report.h"
#include "core/session/sweep_runner.h"
#include "render/plot.h"

namespace dl {

namespace fs = std::filesystem;

struct SweepPanelState {
    std::unique_ptr<SweepData> data;
    std::unique_ptr<SweepRunner> runner;
    std::string error;
    int metric = 0;                // 0 final_return, 1 auc, 2 steps_to_threshold (lower is better)
    float threshold = 0;           // steps_to_threshold's return (0: not set yet, 90% of the best final return)
    int stat = 0;                  // 0 IQM, 1 mean, 2 median
    int hx = 0, hy = 1, sx = 0;    // the heatmap's axes, the sensitivity plot's axis
    int selected = -1;             // a configuration
    int open_trial = -1;           // a trial clicked in a view, opened as a run after the frame's drawing
    double next_refresh = 0;
    bool dirty = true;
    std::vector<SweepData::Curve> curves;
    // Per axis, its distinct values in display order (numeric ones sorted).
    std::vector<std::vector<std::string>> values;
    // The "sweep this run" form.
    bool form = false;
    int p1 = -1, p2 = -1;
    char v1[256] = "", v2[256] = "";
    int seeds = 3;
    std::string form_error;
};

namespace {

SweepPanelState& state(App& app) {
    if (!app.sweep_panel) app.sweep_panel = std::make_shared<SweepPanelState>();
    return *app.sweep_panel;
}

const char* kStats[] = {"IQM", "mean", "median"};
const char* kMetrics[] = {"final_return", "auc", "steps_to_threshold"};

Statistic stat_fn(int s) {
    if (s == 1) return mean_of;
    if (s == 2) return median_of;
    return iqm;
}

// The chosen score as `report --metric` spells it.
std::string metric_text(const SweepPanelState& st) {
    return st.metric == 2 ? "steps_to_threshold=" + format_number(double(st.threshold)) : std::string(kMetrics[st.metric]);
}

double value_of(const ConfigResult& c, int s) { return s == 1 ? c.mean : s == 2 ? c.median : c.iqm; }
Interval ci_of(const ConfigResult& c, int s) { return s == 1 ? c.mean_ci : s == 2 ? c.median_ci : c.iqm_ci; }

// Viridis, by five of its stops: dark purple (low) to yellow (high), readable in grey and by most colour-blind eyes.
ImU32 viridis(double t) {
    static const float stops[5][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * 4;
    const int i = std::min(3, int(t));
    const float f = float(t - i);
    auto mix = [&](int k) { return int(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * f); };
    return IM_COL32(mix(0), mix(1), mix(2), 255);
}

std::string short_number(double v) {
    char b[32];
    if (!std::isfinite(v)) return "-";
    if (std::abs(v) >= 100) std::snprintf(b, sizeof b, "%.0f", v);
    else std::snprintf(b, sizeof b, "%.3g", v);
    return b;
}

void compute_values(SweepPanelState& st) {
    const Sweep& s = st.data->sweep();
    st.values.assign(s.axes.size(), {});
    for (size_t a = 0; a < s.axes.size(); ++a) {
        std::vector<std::string>& v = st.values[a];
        for (const auto& c : s.configs)
            if (std::find(v.begin(), v.end(), c[a]) == v.end()) v.push_back(c[a]);
        if (s.axes[a].numeric)
            std::stable_sort(v.begin(), v.end(), [](const std::string& x, const std::string& y) { return std::stod(x) < std::stod(y); });
    }
}

void refresh(SweepPanelState& st) {
    if (!st.data || ImGui::GetTime() < st.next_refresh) return;
    st.next_refresh = ImGui::GetTime() + 0.5;
    try {
        if (st.data->refresh(parse_metric(metric_text(st))) || st.dirty) {
            st.curves = st.data->config_curves(stat_fn(st.stat));
            st.dirty = false;
            if (st.selected < 0 || st.selected >= int(st.data->sweep().configs.size())) st.selected = st.data->report().best;
        }
    } catch (const std::exception& e) {
        st.error = e.what();
    }
}

// The pooled scores of every configuration whose axis values match `want` (-1: any).
std::vector<double> pooled(const SweepReport& r, const std::vector<std::pair<int, std::string>>& want, int* only = nullptr) {
    std::vector<double> out;
    int count = 0, last = -1;
    for (const ConfigResult& c : r.configs) {
        bool match = true;
        for (const auto& [a, v] : want) match = match && r.sweep.configs[size_t(c.config)][size_t(a)] == v;
        if (!match) continue;
        out.insert(out.end(), c.scores.begin(), c.scores.end());
        ++count, last = c.config;
    }
    if (only) *only = count == 1 ? last : -1;
    return out;
}

// [SECTION] Heatmap

void heatmap(App& app, SweepPanelState& st, ImVec2 size) {
    const SweepReport& r = st.data->report();
    const Sweep& s = r.sweep;
    const int nax = int(s.axes.size());
    const int hx = std::clamp(st.hx, 0, std::max(0, nax - 1)), hy = nax >= 2 ? st.hy : -1;
    const std::vector<std::string> xs = nax ? st.values[size_t(hx)] : std::vector<std::string>{"base"};
    const std::vector<std::string> ys = hy >= 0 ? st.values[size_t(hy)] : std::vector<std::string>{""};
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float line = ImGui::GetTextLineHeight();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    float ylab = 0;
    for (const auto& y : ys) ylab = std::max(ylab, ImGui::CalcTextSize(y.c_str()).x);
    ylab += line * (hy >= 0 ? 0.6f : 0.4f);
    // A line on top for the y axis's name, two below for the x values and name (three when the values take turns on
    // two lines because side by side they would not fit), the colour bar on the right.
    float widest = 0;
    for (const auto& x : xs) widest = std::max(widest, ImGui::CalcTextSize(x.c_str()).x);
    const bool stagger = (widest + line * 0.5f) * float(xs.size()) > size.x - ylab - line * 3.2f;
    const ImVec2 a(p0.x + ylab, p0.y + (hy >= 0 ? line * 1.2f : 0)),
        b(p0.x + size.x - line * 3.2f, p0.y + size.y - line * (stagger ? 3.6f : 2.6f));
    const float cw = (b.x - a.x) / float(xs.size()), ch = (b.y - a.y) / float(ys.size());
    // The cells' values, for the colour scale.
    struct Cell {
        double v = NAN;
        Interval ci{NAN, NAN};
        size_t n = 0;
        int config = -1;
    };
    std::vector<Cell> cells(xs.size() * ys.size());
    double lo = INFINITY, hi = -INFINITY;
    for (size_t j = 0; j < ys.size(); ++j)
        for (size_t i = 0; i < xs.size(); ++i) {
            std::vector<std::pair<int, std::string>> want;
            if (nax) want.push_back({hx, xs[i]});
            if (hy >= 0) want.push_back({hy, ys[j]});
            Cell& c = cells[j * xs.size() + i];
            const std::vector<double> v = pooled(r, want, &c.config);
            c.n = v.size();
            if (v.empty()) continue;
            c.v = stat_fn(st.stat)(v);
            if (c.config >= 0) c.ci = ci_of(r.configs[size_t(c.config)], st.stat);
            lo = std::min(lo, c.v), hi = std::max(hi, c.v);
        }
    // The colour scale spans at least a tenth of the largest magnitude: 493 against 500 is not drawn as the gap
    // between the worst and the best there could be (the numbers in the cells say the rest).
    if (std::isfinite(lo) && hi - lo < 0.1 * std::max(std::abs(lo), std::abs(hi))) {
        const double span = 0.1 * std::max(std::abs(lo), std::abs(hi));
        if (r.lower_is_better) hi = lo + span;
        else lo = hi - span;
    }
    const ImGuiIO& io = ImGui::GetIO();
    for (size_t j = 0; j < ys.size(); ++j)
        for (size_t i = 0; i < xs.size(); ++i) {
            const Cell& c = cells[j * xs.size() + i];
            // Row 0 at the bottom, as a plot's y axis reads.
            const ImVec2 q0(a.x + cw * float(i), b.y - ch * float(j + 1)), q1(q0.x + cw, q0.y + ch);
            const double t0 = hi > lo ? (c.v - lo) / (hi - lo) : 0.5;
            const double t = r.lower_is_better ? 1 - t0 : t0;  // the best is always the brightest
            dl->AddRectFilled(ImVec2(q0.x + 1, q0.y + 1), ImVec2(q1.x - 1, q1.y - 1), c.n ? viridis(t) : IM_COL32(40, 42, 48, 255));
            if (c.config >= 0 && c.config == st.selected) dl->AddRect(q0, q1, IM_COL32(255, 255, 255, 255), 0, 0, 3);
            const std::string v = c.n ? short_number(c.v) : "…", n = "n=" + std::to_string(c.n);
            const ImU32 ink = t > 0.6 ? IM_COL32(20, 20, 30, 255) : IM_COL32(245, 245, 245, 255);
            const ImVec2 tv = ImGui::CalcTextSize(v.c_str());
            if (tv.x < cw - 4 && line * 2.2f < ch) {
                dl->AddText(ImVec2((q0.x + q1.x - tv.x) / 2, (q0.y + q1.y) / 2 - line), ink, v.c_str());
                const ImVec2 tn = ImGui::CalcTextSize(n.c_str());
                if (tn.x < cw - 4) dl->AddText(ImVec2((q0.x + q1.x - tn.x) / 2, (q0.y + q1.y) / 2), ink, n.c_str());
            } else if (tv.x < cw - 2 && line < ch) {
                dl->AddText(ImVec2((q0.x + q1.x - tv.x) / 2, (q0.y + q1.y - line) / 2), ink, v.c_str());
            }
            if (ImGui::IsMouseHoveringRect(q0, q1) && ImGui::IsWindowHovered()) {
                ImGui::BeginTooltip();
                if (nax) ImGui::Text("%s = %s", s.axes[size_t(hx)].name.c_str(), xs[i].c_str());
                if (hy >= 0) ImGui::Text("%s = %s", s.axes[size_t(hy)].name.c_str(), ys[j].c_str());
                if (c.n) {
                    ImGui::Text("%s %s over %zu runs", kStats[st.stat], short_number(c.v).c_str(), c.n);
                    if (c.config >= 0) ImGui::Text("95%% CI [%s, %s]", short_number(c.ci.lo).c_str(), short_number(c.ci.hi).c_str());
                    else ImGui::TextDisabled("pooled over the other axes' values");
                    ImGui::TextDisabled("click: select, see its seeds");
                } else {
                    ImGui::TextDisabled("no trial finished yet");
                }
                ImGui::EndTooltip();
                if (io.MouseClicked[0] && c.n) {
                    if (c.config >= 0) st.selected = c.config;
                    else {  // the best configuration in the cell
                        double best = NAN;
                        for (const ConfigResult& cr : r.configs) {
                            const auto& vals = s.configs[size_t(cr.config)];
                            if ((nax && vals[size_t(hx)] != xs[i]) || (hy >= 0 && vals[size_t(hy)] != ys[j])) continue;
                            const double v2 = value_of(cr, st.stat);
                            if (std::isfinite(v2) && (std::isnan(best) || (r.lower_is_better ? v2 < best : v2 > best))) best = v2, st.selected = cr.config;
                        }
                    }
                }
            }
        }
    // Axis labels: the values under the columns and left of the rows, the names along the edges.
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    for (size_t i = 0; i < xs.size(); ++i) {
        const ImVec2 t = ImGui::CalcTextSize(xs[i].c_str());
        dl->AddText(ImVec2(a.x + cw * (float(i) + 0.5f) - t.x / 2, b.y + 2 + (stagger && i % 2 ? line : 0)), text, xs[i].c_str());
    }
    if (nax) {
        const std::string name = s.axes[size_t(hx)].name;
        dl->AddText(ImVec2((a.x + b.x - ImGui::CalcTextSize(name.c_str()).x) / 2, b.y + line * (stagger ? 2.3f : 1.3f)), dim, name.c_str());
    }
    if (hy >= 0) {
        for (size_t j = 0; j < ys.size(); ++j) {
            const ImVec2 t = ImGui::CalcTextSize(ys[j].c_str());
            dl->AddText(ImVec2(a.x - t.x - 4, b.y - ch * (float(j) + 0.5f) - t.y / 2), text, ys[j].c_str());
        }
        dl->AddText(ImVec2(p0.x, p0.y), dim, (s.axes[size_t(hy)].name + " (rows)").c_str());
    }
    // The colour bar: low to high.
    if (std::isfinite(lo)) {
        const float x0 = b.x + line * 0.6f, x1 = x0 + line * 0.7f;
        for (int k = 0; k < 32; ++k) {
            const float y1 = b.y - (b.y - a.y - line * 2) * float(k) / 32, y0 = b.y - (b.y - a.y - line * 2) * float(k + 1) / 32;
            dl->AddRectFilled(ImVec2(x0, y0), ImVec2(x1, y1), viridis(k / 31.0));
        }
        // The bright end is the best: the highest score, or the fewest steps when lower is better.
        const std::string l = short_number(r.lower_is_better ? hi : lo), h = short_number(r.lower_is_better ? lo : hi);
        dl->AddText(ImVec2(x0, b.y + 2), dim, l.c_str());
        dl->AddText(ImVec2(x0, a.y + line * 0.4f), dim, h.c_str());
    }
    ImGui::Dummy(size);
    (void)app;
}

// [SECTION] Sensitivity

void sensitivity(SweepPanelState& st, ImVec2 size) {
    const SweepReport& r = st.data->report();
    const Sweep& s = r.sweep;
    if (s.axes.empty()) return;
    const int sx = std::clamp(st.sx, 0, int(s.axes.size()) - 1);
    const SweepAxis& ax = s.axes[size_t(sx)];
    int group = -1;  // a line per value of this axis: the heatmap's other axis, or the first other one
    for (int a : {st.hy, st.hx, 0, 1, 2})
        if (a >= 0 && a < int(s.axes.size()) && a != sx) {
            group = a;
            break;
        }
    const std::vector<std::string>& xs = st.values[size_t(sx)];
    const std::vector<std::string> gs = group >= 0 ? st.values[size_t(group)] : std::vector<std::string>{""};
    const bool logx = ax.numeric && ax.log;
    auto xpos = [&](size_t i) {
        if (!ax.numeric) return double(i);
        const double v = std::stod(xs[i]);
        return logx ? std::log10(v) : v;
    };
    double xmin = xpos(0), xmax = xpos(xs.size() - 1);
    if (xmax <= xmin) xmin -= 0.5, xmax += 0.5;
    const double pad = (xmax - xmin) * 0.06;
    xmin -= pad, xmax += pad;
    double ylo = INFINITY, yhi = -INFINITY;
    for (const ConfigResult& c : r.configs)
        for (double v : c.scores) ylo = std::min(ylo, v), yhi = std::max(yhi, v);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float line = ImGui::GetTextLineHeight();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    // The legend (a line per value of the grouping axis) on a row above the plot, flowing onto more rows if needed.
    float legend_h = 0;
    if (group >= 0) {
        float x = 0;
        legend_h = line * 1.1f;
        for (const std::string& g : gs) {
            const float w = ImGui::CalcTextSize((s.axes[size_t(group)].name + " = " + g).c_str()).x + line * 2;
            if (x + w > size.x && x > 0) x = 0, legend_h += line * 1.1f;
            x += w;
        }
    }
    float widest = 0;
    for (const auto& x : xs) widest = std::max(widest, ImGui::CalcTextSize(x.c_str()).x);
    const bool stagger = (widest + line * 0.5f) * float(xs.size()) > size.x - line * 3.7f;
    const ImVec2 a(p0.x + line * 3.2f, p0.y + legend_h + line * 0.5f),
        b(p0.x + size.x - line * 0.5f - widest / 2, p0.y + size.y - line * (stagger ? 3.6f : 2.6f));
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), dim = ImGui::GetColorU32(ImGuiCol_TextDisabled), grid = IM_COL32(255, 255, 255, 28);
    dl->AddRect(a, b, IM_COL32(255, 255, 255, 60));
    if (!std::isfinite(ylo)) {
        dl->AddText(ImVec2(a.x + line, a.y + line), dim, "waiting for the first trials…");
        ImGui::Dummy(size);
        return;
    }
    if (yhi <= ylo) ylo -= 1, yhi += 1;
    const std::vector<double> yt = nice_ticks(ylo, yhi, 5);
    ylo = std::min(ylo, yt.front()), yhi = std::max(yhi, yt.back());
    auto X = [&](double x) { return a.x + float((x - xmin) / (xmax - xmin)) * (b.x - a.x); };
    auto Y = [&](double y) { return b.y - float((y - ylo) / (yhi - ylo)) * (b.y - a.y); };
    for (double t : yt) {
        dl->AddLine(ImVec2(a.x, Y(t)), ImVec2(b.x, Y(t)), grid);
        const std::string l = short_number(t);
        dl->AddText(ImVec2(a.x - ImGui::CalcTextSize(l.c_str()).x - 4, Y(t) - line / 2), dim, l.c_str());
    }
    for (size_t i = 0; i < xs.size(); ++i) {
        const ImVec2 t = ImGui::CalcTextSize(xs[i].c_str());
        dl->AddLine(ImVec2(X(xpos(i)), a.y), ImVec2(X(xpos(i)), b.y), grid);
        dl->AddText(ImVec2(X(xpos(i)) - t.x / 2, b.y + 2 + (stagger && i % 2 ? line : 0)), text, xs[i].c_str());
    }
    const std::string xl = ax.name + (logx ? " (log axis)" : "");
    dl->AddText(ImVec2((a.x + b.x - ImGui::CalcTextSize(xl.c_str()).x) / 2, b.y + line * (stagger ? 2.3f : 1.3f)), dim, xl.c_str());
    const float jitter = (b.x - a.x) / float(xs.size()) * 0.25f;
    float legend_x = p0.x, legend_y = p0.y;
    for (size_t g = 0; g < gs.size(); ++g) {
        const ImU32 col = palette_colour(int(g));
        const ImU32 band = (col & 0x00FFFFFF) | (0x40u << 24), dot = (col & 0x00FFFFFF) | (0xB0u << 24);
        std::vector<ImVec2> mid, top, bottom;
        for (size_t i = 0; i < xs.size(); ++i) {
            std::vector<std::pair<int, std::string>> want = {{sx, xs[i]}};
            if (group >= 0) want.push_back({group, gs[g]});
            const std::vector<double> v = pooled(r, want);
            if (v.empty()) continue;
            // Every seed a dot, spread sideways a little (by group, then by seed) so that equal scores stay visible;
            // hover one for its trial, click it to open that trial as a run.
            size_t k = 0;
            for (const TrialResult& t : r.trials) {
                if (!t.done || !std::isfinite(t.score.value)) continue;
                const auto& vals = s.configs[size_t(t.trial.config)];
                if (vals[size_t(sx)] != xs[i] || (group >= 0 && vals[size_t(group)] != gs[g])) continue;
                const float off = (float(g) - float(gs.size() - 1) / 2) * jitter / float(std::max<size_t>(1, gs.size())) +
                                  (float(k++ % 5) - 2) * 0.6f;
                const ImVec2 c(X(xpos(i)) + off, Y(t.score.value));
                const float rad = std::max(2.5f, line * 0.16f);
                dl->AddCircleFilled(c, rad, dot);
                if (ImGui::IsWindowHovered() && std::hypot(ImGui::GetIO().MousePos.x - c.x, ImGui::GetIO().MousePos.y - c.y) < rad + 3) {
                    dl->AddCircle(c, rad + 2, IM_COL32(255, 255, 255, 255), 0, 2);
                    ImGui::SetTooltip("%s (%s, seed %llu): %s\nclick: open it as a run", t.trial.name.c_str(), config_label(s, t.trial.config).c_str(),
                                      (unsigned long long)t.trial.seed, short_number(t.score.value).c_str());
                    if (ImGui::GetIO().MouseClicked[0]) st.open_trial = t.trial.index;
                }
            }
            const double m = stat_fn(st.stat)(v);
            const Interval ci = bootstrap_ci({v}, stat_fn(st.stat), 400, 0.95, 17 + i * 31 + g);
            mid.push_back(ImVec2(X(xpos(i)), Y(m)));
            top.push_back(ImVec2(X(xpos(i)), Y(ci.hi)));
            bottom.push_back(ImVec2(X(xpos(i)), Y(ci.lo)));
        }
        for (size_t i = 0; i + 1 < mid.size(); ++i) {  // the band, one quad per segment (convex pieces)
            const ImVec2 quad[4] = {top[i], top[i + 1], bottom[i + 1], bottom[i]};
            dl->AddConvexPolyFilled(quad, 4, band);
        }
        if (mid.size() == 1) dl->AddLine(top[0], bottom[0], col, 3);
        if (mid.size() > 1) dl->AddPolyline(mid.data(), int(mid.size()), col, 0, std::max(2.0f, line * 0.12f));
        for (const ImVec2& p : mid) dl->AddCircleFilled(p, std::max(4.0f, line * 0.25f), col);
        if (group >= 0) {
            const std::string l = s.axes[size_t(group)].name + " = " + gs[g];
            const float w = ImGui::CalcTextSize(l.c_str()).x + line * 2;
            if (legend_x + w > p0.x + size.x && legend_x > p0.x) legend_x = p0.x, legend_y += line * 1.1f;
            dl->AddRectFilled(ImVec2(legend_x, legend_y + line * 0.15f), ImVec2(legend_x + line * 0.7f, legend_y + line * 0.85f), col);
            dl->AddText(ImVec2(legend_x + line * 1.0f, legend_y), text, l.c_str());
            legend_x += w;
        }
    }
    ImGui::Dummy(size);
}

// [SECTION] Curves, trials, parallel coordinates

void curves(SweepPanelState& st, ImVec2 size) {
    const SweepReport& r = st.data->report();
    // All configurations when there are few; else the best five and the selected one (legible at a glance).
    std::vector<int> shown;
    std::vector<const ConfigResult*> order;
    for (const ConfigResult& c : r.configs)
        if (!st.curves[size_t(c.config)].x.empty()) order.push_back(&c);
    std::stable_sort(order.begin(), order.end(), [&](const ConfigResult* x, const ConfigResult* y) {
        const double vx = value_of(*x, st.stat), vy = value_of(*y, st.stat);
        if (std::isnan(vx) != std::isnan(vy)) return std::isnan(vy);
        return r.lower_is_better ? vx < vy : vx > vy;
    });
    // At a large font the legend would crowd out the plot: three then.
    const int most = ImGui::GetFontSize() > 24 ? 3 : 5;
    for (const ConfigResult* c : order)
        if (order.size() <= size_t(most) + 1 || int(shown.size()) < most) shown.push_back(c->config);
    if (st.selected >= 0 && std::find(shown.begin(), shown.end(), st.selected) == shown.end() && !st.curves[size_t(st.selected)].x.empty())
        shown.push_back(st.selected);
    std::vector<PlotSeries> series;
    for (size_t k = 0; k < shown.size(); ++k) {
        const SweepData::Curve& c = st.curves[size_t(shown[k])];
        PlotSeries p;
        p.label = r.configs[size_t(shown[k])].label + (shown[k] == st.selected ? "  (selected)" : "");
        p.color = palette_colour(int(k));
        p.x = c.x, p.y = c.y, p.lo = c.lo, p.hi = c.hi;
        p.smooth = false;
        series.push_back(p);
    }
    // Running trials stream their curves (their live metrics, rewritten each second): thin, faint, one per trial.
    std::vector<std::vector<double>> live_x, live_y;
    for (const auto& [index, curve] : st.data->live()) {
        if (curve.env_step.size() < 2) continue;
        live_x.push_back(curve.env_step);
        live_y.push_back(smoothed_curve_at(curve, curve.env_step));
    }
    for (size_t k = 0; k < live_x.size(); ++k) {
        PlotSeries p;
        p.label = k == 0 ? "running trials (live)" : "";
        p.color = IM_COL32(200, 200, 200, 110);
        p.x = live_x[k], p.y = live_y[k];
        p.smooth = false;
        series.push_back(p);
    }
    PlotOptions o;
    o.size = size;
    o.x_label = "env step";
    o.show_raw = false;
    const std::string title = std::string("Learning curves: ") + kStats[st.stat] + ", 95% band" +
                              (order.size() > size_t(most) + 1 ? " (best " + std::to_string(most) + " + selected)" : "");
    plot(title.c_str(), series, o);
}

void trials_table(App& app, SweepPanelState& st) {
    const SweepReport& r = st.data->report();
    if (st.selected < 0 || st.selected >= int(r.configs.size())) {
        ImGui::TextDisabled("click a heatmap cell to see its trials");
        return;
    }
    const ConfigResult& c = r.configs[size_t(st.selected)];
    ImGui::TextWrapped("%s", c.label.c_str());
    if (c.scores.empty()) ImGui::TextDisabled("no seed finished yet");
    else {
        const Interval ci = ci_of(c, st.stat);
        ImGui::Text("%s %s  [%s, %s]  over %zu seeds", kStats[st.stat], short_number(value_of(c, st.stat)).c_str(),
                    short_number(ci.lo).c_str(), short_number(ci.hi).c_str(), c.scores.size());
    }
    if (ImGui::BeginTable("trials", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
        ImGui::TableSetupColumn("seed");
        ImGui::TableSetupColumn(st.metric == 2 ? "steps to threshold" : kMetrics[st.metric]);
        ImGui::TableSetupColumn("env steps");
        ImGui::TableSetupColumn("");
        ImGui::TableHeadersRow();
        for (const TrialResult& t : r.trials) {
            if (t.trial.config != st.selected) continue;
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::Text("%llu", (unsigned long long)t.trial.seed);
            ImGui::TableNextColumn();
            const auto live = std::find_if(st.data->live().begin(), st.data->live().end(), [&](const auto& p) { return p.first == t.trial.index; });
            if (!t.done && live != st.data->live().end() && !live->second.ret.empty())
                ImGui::TextDisabled("running: %zu episodes, last %s", live->second.ret.size(), short_number(live->second.ret.back()).c_str());
            else if (!t.done) ImGui::TextDisabled("waiting");
            else if (!t.error.empty()) ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "unreadable");
            else ImGui::Text("%s%s%s", short_number(t.score.value).c_str(), t.score.reached ? "" : " (never reached)", t.diverged ? " (diverged)" : "");
            ImGui::TableNextColumn();
            if (t.done) ImGui::Text("%lld", (long long)t.env_steps);
            ImGui::TableNextColumn();
            if (t.done) {
                ImGui::PushID(t.trial.index);
                if (ImGui::SmallButton("open as a run")) {
                    // Its greedy agent replays beside the lab's runs, with its value maps: back to the dashboard.
                    open_trained_agent(app, trial_dir(st.data->dir(), t.trial).string());
                    app.view = App::View::Lab;
                }
                if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", trial_dir(st.data->dir(), t.trial).string().c_str());
                ImGui::PopID();
            }
        }
        ImGui::EndTable();
    }
}

void parallel_coordinates(SweepPanelState& st, ImVec2 size) {
    const SweepReport& r = st.data->report();
    const Sweep& s = r.sweep;
    const size_t n = s.axes.size() + 1;  // the axes, then the score
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float line = ImGui::GetTextLineHeight();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const ImVec2 a(p0.x + line * 2, p0.y + line * 1.4f), b(p0.x + size.x - line * 2, p0.y + size.y - line * 1.4f);
    double lo = INFINITY, hi = -INFINITY;
    for (const ConfigResult& c : r.configs)
        if (std::isfinite(value_of(c, st.stat))) lo = std::min(lo, value_of(c, st.stat)), hi = std::max(hi, value_of(c, st.stat));
    auto X = [&](size_t k) { return n == 1 ? (a.x + b.x) / 2 : a.x + (b.x - a.x) * float(k) / float(n - 1); };
    auto frac = [&](size_t axis, const std::string& v) {
        const auto& vals = st.values[axis];
        const size_t i = size_t(std::find(vals.begin(), vals.end(), v) - vals.begin());
        if (!s.axes[axis].numeric || vals.size() < 2) return vals.size() < 2 ? 0.5 : double(i) / double(vals.size() - 1);
        double x = std::stod(v), x0 = std::stod(vals.front()), x1 = std::stod(vals.back());
        if (s.axes[axis].log) x = std::log10(x), x0 = std::log10(x0), x1 = std::log10(x1);
        return x1 > x0 ? (x - x0) / (x1 - x0) : 0.5;
    };
    const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled), text = ImGui::GetColorU32(ImGuiCol_Text);
    for (size_t k = 0; k < n; ++k) {
        dl->AddLine(ImVec2(X(k), a.y), ImVec2(X(k), b.y), IM_COL32(255, 255, 255, 80), 2);
        if (k < s.axes.size()) {  // the axis's values beside it: every one when few, else the two ends
            const auto& vals = st.values[k];
            for (size_t i = 0; i < vals.size(); ++i) {
                if (vals.size() > 6 && i != 0 && i + 1 != vals.size()) continue;
                const float y = b.y - float(frac(k, vals[i])) * (b.y - a.y);
                const float w = ImGui::CalcTextSize(vals[i].c_str()).x;
                const float x = k + 1 == n - 1 || X(k) + 4 + w < p0.x + size.x ? X(k) + 4 : X(k) - w - 4;
                dl->AddText(ImVec2(x, y - line * (i + 1 == vals.size() ? 0.1f : 0.9f)), text, vals[i].c_str());
            }
        }
        const std::string name = k < s.axes.size() ? s.axes[k].name : metric_text(st);
        const float w = ImGui::CalcTextSize(name.c_str()).x;
        dl->AddText(ImVec2(std::clamp(X(k) - w / 2, p0.x, p0.x + size.x - w), p0.y), dim, name.c_str());
    }
    // Each configuration a polyline; the one nearest the mouse (within a few pixels) is outlined, named in a tooltip,
    // and selected by a click (its trials then show in the Trials tab).
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    int nearest = -1;
    float nearest_d = line * 0.4f;
    std::vector<std::vector<ImVec2>> lines(r.configs.size());
    for (const ConfigResult& c : r.configs) {
        const double v = value_of(c, st.stat);
        if (!std::isfinite(v)) continue;
        const double t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
        std::vector<ImVec2>& pts = lines[size_t(c.config)];
        for (size_t k = 0; k < s.axes.size(); ++k) pts.push_back(ImVec2(X(k), b.y - float(frac(k, s.configs[size_t(c.config)][k])) * (b.y - a.y)));
        pts.push_back(ImVec2(X(n - 1), b.y - float(t) * (b.y - a.y)));
        const ImU32 col = (viridis(r.lower_is_better ? 1 - t : t) & 0x00FFFFFF) | (c.config == st.selected ? 0xFFu << 24 : 0xA0u << 24);
        dl->AddPolyline(pts.data(), int(pts.size()), col, 0, c.config == st.selected ? 4.0f : 2.0f);
        for (size_t k = 0; k + 1 < pts.size(); ++k) {  // distance from the mouse to each segment
            const ImVec2 d(pts[k + 1].x - pts[k].x, pts[k + 1].y - pts[k].y);
            const float len2 = d.x * d.x + d.y * d.y;
            const float u = len2 > 0 ? std::clamp(((mouse.x - pts[k].x) * d.x + (mouse.y - pts[k].y) * d.y) / len2, 0.0f, 1.0f) : 0.0f;
            const float dist = std::hypot(mouse.x - (pts[k].x + u * d.x), mouse.y - (pts[k].y + u * d.y));
            if (dist < nearest_d) nearest_d = dist, nearest = c.config;
        }
    }
    if (nearest >= 0 && ImGui::IsWindowHovered()) {
        dl->AddPolyline(lines[size_t(nearest)].data(), int(lines[size_t(nearest)].size()), IM_COL32(255, 255, 255, 255), 0, 3.0f);
        const ConfigResult& c = r.configs[size_t(nearest)];
        ImGui::SetTooltip("%s\n%s %s over %zu seeds\nclick: select", c.label.c_str(), kStats[st.stat], short_number(value_of(c, st.stat)).c_str(),
                          c.scores.size());
        if (ImGui::GetIO().MouseClicked[0]) st.selected = nearest;
    }
    const std::string l = short_number(lo), h = short_number(hi);
    dl->AddText(ImVec2(X(n - 1) + 4, b.y - line / 2), dim, l.c_str());
    dl->AddText(ImVec2(X(n - 1) + 4, a.y - line / 2), dim, h.c_str());
    ImGui::Dummy(size);
}

// [SECTION] "Sweep this run": up to two hyperparameters of the selected run, values and seeds, then Run.

std::vector<std::string> split_values(const char* text) {
    std::vector<std::string> out;
    std::string cur;
    for (const char* p = text;; ++p) {
        if (*p == ',' || *p == 0) {
            while (!cur.empty() && cur.front() == ' ') cur.erase(cur.begin());
            while (!cur.empty() && cur.back() == ' ') cur.pop_back();
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
            if (!*p) break;
        } else {
            cur += *p;
        }
    }
    return out;
}

void sweep_form(App& app, SweepPanelState& st) {
    const RunSlot* run = app.current();
    if (!run) {
        ImGui::TextDisabled("add a run first: a sweep varies the selected run's hyperparameters");
        return;
    }
    ImGui::Text("Sweep %s on %s", run->cfg.algo_id.c_str(), run->cfg.env_id.c_str());
    ImGui::TextDisabled("tick up to two hyperparameters, give their values (comma-separated) and the seeds");
    std::vector<ParamSpec> specs;
    try {
        specs = describe(*make_algo_args(run->cfg.algo_id, run->cfg.algo_args));
    } catch (const std::exception& e) {
        ImGui::TextWrapped("%s", e.what());
        return;
    }
    std::vector<const char*> names = {"(none)"};
    for (const ParamSpec& p : specs)
        if (p.type != ParamType::Text) names.push_back(p.name.c_str());
    auto pick = [&](const char* label, int& which, char* buf) {
        int item = which + 1;
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
        if (ImGui::Combo(label, &item, names.data(), int(names.size()))) {
            which = item - 1;
            buf[0] = 0;
            if (which >= 0) {  // suggest the current value, a third of it and three times it
                for (const ParamSpec& p : specs)
                    if (p.name == names[size_t(item)] && (p.type == ParamType::Real || p.type == ParamType::Integer)) {
                        const double v = std::stod(get_param(*make_algo_args(run->cfg.algo_id, run->cfg.algo_args), p.name));
                        std::snprintf(buf, 256, "%.3g, %.3g, %.3g", std::clamp(v / 3, p.lo, p.hi), v, std::clamp(v * 3, p.lo, p.hi));
                        if (p.type == ParamType::Integer)
                            std::snprintf(buf, 256, "%lld, %lld, %lld", (long long)std::max(p.lo, std::round(v / 2)), (long long)v,
                                          (long long)std::min(p.hi, v * 2));
                    } else if (p.name == names[size_t(item)] && p.type == ParamType::Flag) {
                        std::snprintf(buf, 256, "true, false");
                    } else if (p.name == names[size_t(item)] && p.type == ParamType::Choice) {
                        std::string all;
                        for (const auto& c : p.choices) all += (all.empty() ? "" : ", ") + c;
                        std::snprintf(buf, 256, "%s", all.c_str());
                    }
            }
        }
        if (which >= 0) {
            same_line_if_fits(ImGui::GetFontSize() * 20);
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 18);
            ImGui::InputText((std::string("values##") + label).c_str(), buf, 256);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("comma-separated, e.g. 0.0003, 0.001, 0.003 (each checked against its range)");
        }
    };
    pick("first", st.p1, st.v1);
    pick("second", st.p2, st.v2);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    ImGui::SliderInt("seeds", &st.seeds, 1, 10);
    if (ImGui::Button("Run sweep")) {
        std::vector<std::pair<std::string, std::vector<std::string>>> axes;
        if (st.p1 >= 0) axes.push_back({names[size_t(st.p1 + 1)], split_values(st.v1)});
        if (st.p2 >= 0 && st.p2 != st.p1) axes.push_back({names[size_t(st.p2 + 1)], split_values(st.v2)});
        const std::string dir = timestamped("sweeps", "");
        const std::string text = sweep_file_text(run->cfg.algo_id + " on " + run->cfg.env_id, run->cfg, axes, st.seeds);
        try {
            parse_sweep(text, "this sweep");  // every value checked before anything is written
            std::filesystem::create_directories(dir);
            write_file_atomic(fs::path(dir) / "sweep.toml", text);  // the CLI can rerun or resume it
            open_sweep_file(app, (fs::path(dir) / "sweep.toml").string(), (fs::path(dir) / "out").string());
            st.form = false, st.form_error.clear();
        } catch (const std::exception& e) {
            st.form_error = e.what();
        }
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) st.form = false;
    if (!st.form_error.empty()) ImGui::TextColored(ImVec4(1, 0.55f, 0.45f, 1), "%s", st.form_error.c_str());
}

}  // namespace

// [SECTION] Opening

void open_sweep(App& app, const std::string& dir) {
    SweepPanelState& st = state(app);
    st.runner.reset();
    st.data.reset();
    st.error.clear();
    try {
        st.data = std::make_unique<SweepData>(dir);
        compute_values(st);
        st.hx = 0, st.hy = st.data->sweep().axes.size() >= 2 ? 1 : -1, st.sx = 0, st.selected = -1;
        st.next_refresh = 0, st.dirty = true, st.form = false;
        app.view = App::View::Sweep;
    } catch (const std::exception& e) {
        st.data.reset();
        app.notify(std::string("cannot open the sweep: ") + e.what(), 10);
    }
}

void open_sweep_file(App& app, const std::string& file, const std::string& out_dir) {
    try {
        const Sweep s = load_sweep(file);
        prepare_sweep_dir(out_dir, s);  // a sweep already there (same file) resumes
        open_sweep(app, out_dir);
        SweepPanelState& st = state(app);
        if (!st.data) return;
        // The window keeps a core when there are several: the trials take the rest.
        const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
        st.runner = std::make_unique<SweepRunner>(out_dir, s, std::max(1, cores > 2 ? cores - 1 : cores));
    } catch (const std::exception& e) {
        app.notify(std::string("cannot start the sweep: ") + e.what(), 10);
    }
}

void start_sweep_form(App& app) {
    SweepPanelState& st = state(app);
    st.form = true;
    app.view = App::View::Sweep;
}

// [SECTION] The panel

void panel_sweep(App& app) {
    SweepPanelState& st = state(app);
    if (st.form || !st.data) {
        if (!st.data && !st.form) {
            ImGui::TextWrapped("No sweep is open. Open one (File > Open sweep, drop its directory on the window, or "
                               "dreamlab gui --sweep DIR), run the lesson hyperparameter-sweep, or sweep the selected run:");
            if (ImGui::Button("Sweep this run...")) st.form = true;
            return;
        }
        sweep_form(app, st);
        if (!st.data) return;
        ImGui::Separator();
    }
    refresh(st);
    const SweepReport& r = st.data->report();
    const Sweep& s = r.sweep;
    if (st.open_trial >= 0 && st.open_trial < int(r.trials.size())) {  // a dot clicked last frame: replay that trial's agent
        const TrialResult& t = r.trials[size_t(st.open_trial)];
        st.selected = t.trial.config, st.open_trial = -1;
        open_trained_agent(app, trial_dir(st.data->dir(), t.trial).string());
        app.view = App::View::Lab;
        return;
    }
    // The header: what this is, how far it got, the choices of score and statistic.
    ImGui::TextUnformatted(s.title.empty() ? st.data->dir().string().c_str() : s.title.c_str());
    ImGui::TextDisabled("%s  ·  %d of %zu trials done  ·  %zu configurations x %zu seeds", st.data->dir().string().c_str(), r.done,
                        r.trials.size(), s.configs.size(), s.seeds.size());
    if (st.runner && (!st.runner->finished() || st.runner->failed())) {
        ImGui::SameLine();
        if (!st.runner->finished()) {
            ImGui::Text(" ·  running %d", st.runner->running());
            if (!app.stage) same_line_if_fits(button_width("Stop"));
            if (!app.stage && ImGui::SmallButton("Stop")) st.runner->stop();
        } else if (st.runner->failed()) {
            ImGui::TextColored(ImVec4(1, 0.55f, 0.45f, 1), " ·  %d failed: %s", st.runner->failed(), st.runner->last_error().c_str());
        }
    }
    if (!st.error.empty()) ImGui::TextColored(ImVec4(1, 0.55f, 0.45f, 1), "%s", st.error.c_str());
    if (app.stage) {  // on stage no controls: the heatmap and the sensitivity on top, the learning curves across the bottom
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const float gap = ImGui::GetStyle().ItemSpacing.x * 2, w = (avail.x - gap) / 2;
        const float top = avail.y * 0.56f, title = ImGui::GetTextLineHeightWithSpacing();
        if (w < 50 || top < 80) return;
        ImGui::BeginChild("heat", ImVec2(w, top), false, ImGuiWindowFlags_NoScrollbar);
        ImGui::Text("%s of %s over seeds", kStats[st.stat], metric_text(st).c_str());
        heatmap(app, st, ImVec2(w, top - title - ImGui::GetStyle().ItemSpacing.y));
        ImGui::EndChild();
        ImGui::SameLine(0, gap);
        ImGui::BeginChild("sens", ImVec2(w, top), false, ImGuiWindowFlags_NoScrollbar);
        ImGui::Text("Sensitivity: seeds (dots), %s, 95%% CI", kStats[st.stat]);
        sensitivity(st, ImVec2(w, top - title - ImGui::GetStyle().ItemSpacing.y));
        ImGui::EndChild();
        ImGui::BeginChild("curves", ImVec2(avail.x, avail.y - top - ImGui::GetStyle().ItemSpacing.y), false, ImGuiWindowFlags_NoScrollbar);
        curves(st, ImVec2(avail.x, avail.y - top - ImGui::GetStyle().ItemSpacing.y * 2));
        ImGui::EndChild();
        return;
    }
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 11);
    if (ImGui::Combo("score", &st.metric, kMetrics, 3)) {
        st.next_refresh = 0, st.dirty = true;
        if (st.metric == 2 && st.threshold == 0) {  // a first threshold: 90% of the best configuration's final return
            double best = NAN;
            for (const ConfigResult& c : r.configs)
                for (double v : c.scores) best = std::isnan(best) ? v : std::max(best, v);
            st.threshold = std::isfinite(best) && r.metric.kind == SweepMetric::FinalReturn ? float(0.9 * best) : 100.0f;
        }
    }
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("final_return: the mean return of a trial's last 20 episodes\nauc: its return averaged over all its env steps\n"
                          "steps_to_threshold: the env step at which its last 20 episodes first averaged the threshold\n"
                          "(lower is better; a trial that never did counts its whole budget)");
    if (st.metric == 2) {
        same_line_if_fits(labelled_width(ImGui::GetFontSize() * 5, "threshold"));
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
        if (ImGui::InputFloat("threshold", &st.threshold, 0, 0, "%.4g", ImGuiInputTextFlags_EnterReturnsTrue) && std::isfinite(st.threshold))
            st.next_refresh = 0, st.dirty = true;
    }
    same_line_if_fits(labelled_width(ImGui::GetFontSize() * 6, "over seeds"));
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    if (ImGui::Combo("over seeds", &st.stat, kStats, 3)) st.next_refresh = 0, st.dirty = true;
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("IQM: the mean of the middle half of the seeds (rliable's choice: robust to one lucky seed)");
    std::vector<const char*> axis_names;
    for (const SweepAxis& a : s.axes) axis_names.push_back(a.name.c_str());
    if (s.axes.size() > 2) {
        same_line_if_fits(labelled_width(ImGui::GetFontSize() * 9, "heatmap x"));
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        ImGui::Combo("heatmap x", &st.hx, axis_names.data(), int(axis_names.size()));
        same_line_if_fits(labelled_width(ImGui::GetFontSize() * 9, "y"));
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        ImGui::Combo("y", &st.hy, axis_names.data(), int(axis_names.size()));
    }
    if (s.axes.size() > 1) {
        same_line_if_fits(labelled_width(ImGui::GetFontSize() * 9, "sensitivity to"));
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        ImGui::Combo("sensitivity to", &st.sx, axis_names.data(), int(axis_names.size()));
    }
    if (!st.form) {
        same_line_if_fits(button_width("Sweep this run..."));
        if (ImGui::SmallButton("Sweep this run...")) st.form = true;
    }

    // Two rows of two: heatmap | sensitivity, curves | trials (or parallel coordinates).
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float gap = ImGui::GetStyle().ItemSpacing.x * 2;
    const float w = (avail.x - gap) / 2, h = (avail.y - ImGui::GetStyle().ItemSpacing.y * 4 - ImGui::GetTextLineHeightWithSpacing() * 2) / 2;
    if (w < 50 || h < 50) return;
    const std::string heat_title = std::string(kStats[st.stat]) + " of " + metric_text(st) + " over seeds" +
                                   (r.lower_is_better ? " (lower is better: bright)" : "");
    ImGui::BeginChild("heat", ImVec2(w, h + ImGui::GetTextLineHeightWithSpacing()), false, ImGuiWindowFlags_NoScrollbar);
    ImGui::TextUnformatted(heat_title.c_str());
    heatmap(app, st, ImVec2(w, h - ImGui::GetStyle().ItemSpacing.y));
    ImGui::EndChild();
    ImGui::SameLine(0, gap);
    ImGui::BeginChild("sens", ImVec2(w, h + ImGui::GetTextLineHeightWithSpacing()), false, ImGuiWindowFlags_NoScrollbar);
    ImGui::Text("Sensitivity: seeds (dots), %s, 95%% CI", kStats[st.stat]);
    sensitivity(st, ImVec2(w, h - ImGui::GetStyle().ItemSpacing.y));
    ImGui::EndChild();
    ImGui::BeginChild("curves", ImVec2(w, h + ImGui::GetTextLineHeightWithSpacing()), false, ImGuiWindowFlags_NoScrollbar);
    curves(st, ImVec2(w, h));
    ImGui::EndChild();
    ImGui::SameLine(0, gap);
    ImGui::BeginChild("side", ImVec2(w, h + ImGui::GetTextLineHeightWithSpacing()), false);
    if (ImGui::BeginTabBar("sweep-side")) {
        if (ImGui::BeginTabItem("Trials")) {
            trials_table(app, st);
            ImGui::EndTabItem();
        }
        if (ImGui::BeginTabItem("Parallel coordinates")) {
            parallel_coordinates(st, ImVec2(w, ImGui::GetContentRegionAvail().y));
            ImGui::EndTabItem();
        }
        ImGui::EndTabBar();
    }
    ImGui::EndChild();
}

}  // namespace dl
