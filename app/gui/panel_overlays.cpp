// Overlays: the algorithm's workings (core/rl/insides.h) drawn as layers on the value views. A row of toggles, one
// per layer the algorithm offers, each with its one-line description; a heat layer (TD error, visits, replay
// samples, target lag, change) takes the right-hand grid in place of V*; arrows (Dyna-Q's simulated steps) and paths
// (eligibility traces, GAE) are drawn over the learned grid or the state maps; a histogram (sample ages) below; the
// Bellman backup of a clicked cell written out term by term.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/gui.h"
#include "render/grid_view.h"

namespace dl {

struct OverlayPanelState {
    std::string heat;                  // the heat layer on the right-hand grid ("" = V*)
    std::map<std::string, bool> on;    // drawn layers, by id (off until toggled, or a lesson turns them on)
    int backup_state = -1;             // the cell whose Bellman backup is written out
};

namespace {

OverlayPanelState& ov(App& app) {
    if (!app.overlay_panel) app.overlay_panel = std::make_shared<OverlayPanelState>();
    return *app.overlay_panel;
}

bool is_heat(const InsideLayer& l) { return l.kind == InsideLayer::Kind::Cells || l.kind == InsideLayer::Kind::Backup; }

ImVec2 cell_centre(const GridLayout& g, int s, ImVec2 at, float cell) {
    const int per = g.rows * g.cols, r = (s % per) / g.cols, c = s % g.cols;
    return ImVec2(at.x + (c + 0.5f) * cell, at.y + (r + 0.5f) * cell);
}

void arrow(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 col, float w) {
    const float dx = b.x - a.x, dy = b.y - a.y, len = std::sqrt(dx * dx + dy * dy);
    if (len < 1) return;
    const float ux = dx / len, uy = dy / len, head = w * 3.2f;
    const ImVec2 base(b.x - ux * head, b.y - uy * head);
    dl->AddLine(a, base, col, w);
    dl->AddTriangleFilled(b, ImVec2(base.x - uy * head * 0.6f, base.y + ux * head * 0.6f),
                          ImVec2(base.x + uy * head * 0.6f, base.y - ux * head * 0.6f), col);
}

ImU32 with_alpha(ImU32 c, float a) { return (c & 0x00FFFFFFu) | (ImU32(std::clamp(a, 0.0f, 1.0f) * 255) << 24); }

}  // namespace

OverlayChoice overlay_controls(App& app, const Insides* in, bool grid) {
    OverlayChoice out;
    if (!in || in->layers.empty()) return out;
    OverlayPanelState& st = ov(app);
    // Only what this view can draw: heat and backups on a grid; paths and points on a grid or a plane.
    std::vector<const InsideLayer*> offered;
    for (const InsideLayer& l : in->layers) {
        if (!grid && (is_heat(l) || l.kind == InsideLayer::Kind::Arrows)) continue;
        if (!grid && l.kind == InsideLayer::Kind::Path && l.dim == 0) continue;
        offered.push_back(&l);
    }
    if (offered.empty()) return out;
    for (const InsideLayer* l : offered)
        if (is_heat(*l) && st.on.count(l->id)) {  // a lesson asked for it by id: it is a heat layer
            if (st.on[l->id]) st.heat = l->id;
            st.on.erase(l->id);
        }
    if (!app.stage) {
        ImGui::TextDisabled("Overlays:");
        for (const InsideLayer* l : offered) {
            const bool heat = is_heat(*l);
            bool on = heat ? st.heat == l->id : st.on[l->id];
            same_line_if_fits(checkbox_width(l->title.c_str()));
            ImGui::PushID(l->id.c_str());
            if (ImGui::Checkbox(l->title.c_str(), &on)) {
                if (heat) st.heat = on ? l->id : "";
                else st.on[l->id] = on;
            }
            ImGui::PopID();
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", l->help.c_str());
        }
    }
    for (const InsideLayer* l : offered) {
        if (is_heat(*l) && st.heat == l->id) out.heat = l;
        else if (!is_heat(*l) && st.on[l->id]) out.drawn.push_back(l);
    }
    out.backup_state = st.backup_state;
    return out;
}

void overlay_enable(App& app, const std::vector<std::string>& ids) {
    OverlayPanelState& st = ov(app);
    st.heat.clear();
    st.on.clear();
    // Which kind an id is, is known only once a run publishes it: overlay_controls moves a heat layer's id from
    // `on` to `heat` when it first sees it.
    for (const std::string& id : ids) st.on[id] = true;
}

void overlay_select_cell(App& app, int s) { ov(app).backup_state = s; }

bool overlay_take(App& app, const std::string& id) {
    OverlayPanelState& st = ov(app);
    auto it = st.on.find(id);
    if (it == st.on.end() || !it->second) return false;
    st.on.erase(it);
    return true;
}

float overlay_caption_height(const OverlayChoice& c, float width) {
    float h = 0;
    auto line = [&](const InsideLayer* l) {
        const std::string t = l->title + ": " + l->help + (l->note.empty() ? "" : "  (" + l->note + ")");
        h += ImGui::CalcTextSize(t.c_str(), nullptr, false, width).y + ImGui::GetStyle().ItemSpacing.y;
    };
    if (c.heat) line(c.heat);
    for (const InsideLayer* l : c.drawn) line(l);
    return h;
}

void overlay_caption(const OverlayChoice& c) {
    auto line = [&](const InsideLayer* l) {
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(ImVec4(1.0f, 0.84f, 0.35f, 1.0f), "%s:", l->title.c_str());
        ImGui::SameLine();
        ImGui::TextDisabled("%s%s%s%s", l->help.c_str(), l->note.empty() ? "" : "  (", l->note.c_str(), l->note.empty() ? "" : ")");
        ImGui::PopTextWrapPos();
    };
    if (c.heat) line(c.heat);
    for (const InsideLayer* l : c.drawn) line(l);
}

void overlay_grid(const OverlayChoice& c, const GridLayout& g, int layer, ImVec2 at, float cell) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const int per = g.rows * g.cols;
    auto on_layer = [&](int s) { return s >= 0 && s / per == layer; };
    const float fs = ImGui::GetFontSize();
    for (const InsideLayer* l : c.drawn) {
        if (l->kind == InsideLayer::Kind::Arrows) {
            double top = 1e-12;
            for (const auto& a : l->arrows) top = std::max(top, std::fabs(a.weight));
            for (const auto& a : l->arrows) {
                if (!on_layer(a.s)) continue;
                const float strength = 0.55f + 0.45f * float(std::fabs(a.weight) / top);
                const ImU32 col = a.weight >= 0 ? IM_COL32(120, 200, 255, 255) : IM_COL32(255, 120, 110, 255);
                const ImVec2 p = cell_centre(g, a.s, at, cell), q = cell_centre(g, a.s2, at, cell);
                if (a.s == a.s2 || !on_layer(a.s2)) {  // stayed put (a wall bump): a small loop
                    dl->AddCircle(ImVec2(p.x + cell * 0.18f, p.y - cell * 0.18f), cell * 0.12f, with_alpha(col, strength), 12, 2.0f);
                    continue;
                }
                // Slightly off the centre line, so a →b and b→a both show.
                const float dx = q.x - p.x, dy = q.y - p.y, len = std::sqrt(dx * dx + dy * dy);
                const ImVec2 off(-dy / len * cell * 0.08f, dx / len * cell * 0.08f);
                const ImVec2 from(p.x + off.x + dx * 0.18f, p.y + off.y + dy * 0.18f), to(q.x + off.x - dx * 0.22f, q.y + off.y - dy * 0.22f);
                const float w = std::max(1.5f, cell * 0.035f);
                arrow(dl, from, to, with_alpha(IM_COL32(0, 0, 0, 255), strength), w + 2.0f);  // an outline: readable on any heat
                arrow(dl, from, to, with_alpha(col, strength), w);
            }
        } else if (l->kind == InsideLayer::Kind::Path) {
            // Each step at its cell, nudged along a small spiral by how often the path was there already, so a
            // path that circles shows every pass; joined in order; each dot coloured by its number.
            std::map<int, int> seen;
            std::vector<ImVec2> pts;
            std::vector<double> vals;
            std::vector<bool> clipped, start;
            double top = 1e-12;
            const bool traces = l->id == "traces";
            for (const auto& stp : l->path) {
                if (!on_layer(stp.s)) {
                    pts.push_back(ImVec2(NAN, NAN)), vals.push_back(0), clipped.push_back(false), start.push_back(true);
                    continue;
                }
                const int k = seen[stp.s]++;
                const float ang = float(k) * 2.4f, rad = k == 0 ? 0.0f : cell * std::min(0.3f, 0.07f + 0.03f * float(k));
                const ImVec2 ce = cell_centre(g, stp.s, at, cell);
                pts.push_back(ImVec2(ce.x + std::cos(ang) * rad, ce.y + std::sin(ang) * rad));
                const double v = traces ? stp.weight : stp.adv;
                vals.push_back(v), clipped.push_back(stp.clipped), start.push_back(stp.start);
                top = std::max(top, std::fabs(v));
            }
            for (size_t i = 1; i < pts.size(); ++i)
                if (!std::isnan(pts[i].x) && !std::isnan(pts[i - 1].x) && !start[i])
                    dl->AddLine(pts[i - 1], pts[i], IM_COL32(255, 255, 255, 110), std::max(1.5f, cell * 0.03f));
            for (size_t i = 0; i < pts.size(); ++i) {
                if (std::isnan(pts[i].x)) continue;
                const float r = std::max(3.0f, cell * (0.06f + 0.13f * float(std::fabs(vals[i]) / top)));
                const ImU32 col = traces ? with_alpha(IM_COL32(255, 200, 60, 255), 0.25f + 0.75f * float(vals[i] / top))
                                         : colormap_diverging(vals[i] / top);
                dl->AddCircleFilled(pts[i], r, col);
                dl->AddCircle(pts[i], r, IM_COL32(0, 0, 0, 200), 0, 1.0f);
                if (clipped[i]) {
                    const float x = r + 2;
                    dl->AddLine(ImVec2(pts[i].x - x, pts[i].y - x), ImVec2(pts[i].x + x, pts[i].y + x), IM_COL32(0, 0, 0, 255), 2.5f);
                    dl->AddLine(ImVec2(pts[i].x - x, pts[i].y + x), ImVec2(pts[i].x + x, pts[i].y - x), IM_COL32(0, 0, 0, 255), 2.5f);
                }
            }
            (void)fs;
        }
    }
}

void overlay_path_tooltip(const OverlayChoice& c, int hovered) {
    for (const InsideLayer* l : c.drawn) {
        if (l->kind != InsideLayer::Kind::Path) continue;
        int shown = 0;
        for (size_t t = 0; t < l->path.size() && shown < 8; ++t) {
            const auto& st = l->path[t];
            if (st.s != hovered) continue;
            if (shown++ == 0) ImGui::Separator(), ImGui::TextUnformatted(l->title.c_str());
            if (l->id == "traces") ImGui::Text("step %zu: e(s, a%d) = %.4f", t, st.a, st.weight);
            else
                ImGui::Text("t = %zu: r %.2f  V %.3f  δ %+.3f  A %+.3f%s", t, st.reward, st.value, st.delta, st.adv,
                            st.clipped ? "  clipped" : "");
        }
    }
}

// The values a heat layer puts on the right-hand grid, and how to colour and print them.
bool overlay_heat(const OverlayChoice& c, const TabularView& t, std::vector<double>& values, GridViewOptions& o) {
    if (!c.heat || c.heat->kind != InsideLayer::Kind::Cells || c.heat->values.size() != size_t(t.nS)) return false;
    values = c.heat->values;
    double lo = INFINITY, hi = -INFINITY;
    for (double v : values)
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!(hi > lo)) lo = std::min(lo, 0.0), hi = lo + 1;
    o.vmin = c.heat->signed_values ? -std::max(std::fabs(lo), std::fabs(hi)) : std::min(lo, 0.0);
    o.vmax = hi;
    o.diverging = c.heat->signed_values;
    o.arrows = false;
    bool integers = true;
    for (double v : values)
        if (std::isfinite(v) && v != std::floor(v)) integers = false;
    o.integers = integers;
    return true;
}

int backup_cell(const OverlayChoice& c, const TabularView& t) {
    if (c.backup_state >= 0 || !c.heat) return c.backup_state;
    // Until a click: the cell the last sweep changed most (where the backup has something to show).
    const std::vector<double>& from = c.heat->v_from;
    int best = 0;
    double most = -1;
    for (size_t s = 0; s < from.size() && s < t.v.size(); ++s)
        if (std::fabs(t.v[s] - from[s]) > most) most = std::fabs(t.v[s] - from[s]), best = int(s);
    return best;
}

void backup_readout(const OverlayChoice& c, const DiscreteEnv& env, const TabularView& t) {
    if (!c.heat || c.heat->kind != InsideLayer::Kind::Backup) return;
    const InsideLayer& l = *c.heat;
    const int s = backup_cell(c, t);
    if (s < 0 || s >= env.num_states()) {
        ImGui::TextDisabled("click a cell of the learned grid: its Bellman backup, term by term");
        return;
    }
    // Before the first sweep there is no previous V: the backup the next sweep will do, from the V on show.
    const bool next = l.v_from.size() != size_t(env.num_states());
    const std::vector<double>& V = next ? t.v : l.v_from;
    if (V.size() != size_t(env.num_states())) return;
    const double gamma = l.gamma;
    const BellmanBackup b = bellman_backup(env.model(), V, gamma, s);
    const auto names = env.action_names();
    ImGui::TextColored(ImVec4(1.0f, 0.84f, 0.35f, 1.0f), "%s V(%d) = max over a of Σ p·(r + %.2f·V(s′)) = %.4f%s", next ? "next sweep:" : "backup:",
                       s, gamma, b.v, c.backup_state < 0 ? "   (the square this sweep changed most; click another)" : "");
    if (b.actions.empty() || b.actions[0].terms.empty()) {
        ImGui::TextDisabled("a terminal state: no action leads anywhere, V = 0");
        return;
    }
    for (size_t a = 0; a < b.actions.size(); ++a) {
        std::string line;
        char buf[96];
        for (size_t k = 0; k < b.actions[a].terms.size(); ++k) {
            const auto& term = b.actions[a].terms[k];
            const char* p = std::fabs(term.p - 1.0 / 3) < 1e-9 ? "1/3" : std::fabs(term.p - 1) < 1e-12 ? "1" : nullptr;
            if (p) std::snprintf(buf, sizeof buf, "%s%s(%g + %.2f·%.3f)", k ? " + " : "", p, term.r, gamma, term.v_next);
            else std::snprintf(buf, sizeof buf, "%s%.3g(%g + %.2f·%.3f)", k ? " + " : "", term.p, term.r, gamma, term.v_next);
            line += buf;
        }
        std::snprintf(buf, sizeof buf, " = %.4f", b.actions[a].q);
        line += buf;
        char fallback[32];
        std::snprintf(fallback, sizeof fallback, "a%zu", a);
        const std::string name = a < names.size() ? names[a] : std::string(fallback);
        ImGui::PushTextWrapPos(0);
        if (int(a) == b.best) ImGui::TextColored(ImVec4(0.55f, 0.9f, 0.63f, 1), "%-5s %s  ← max", name.c_str(), line.c_str());
        else ImGui::Text("%-5s %s", name.c_str(), line.c_str());
        ImGui::PopTextWrapPos();
    }
}

void backup_arrows(const OverlayChoice& c, const DiscreteEnv& env, const TabularView& t, const GridLayout& g, int layer, ImVec2 at,
                   float cell) {
    if (!c.heat || c.heat->kind != InsideLayer::Kind::Backup) return;
    const int s = backup_cell(c, t), per = g.rows * g.cols;
    if (s < 0 || s >= env.num_states() || s / per != layer) return;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = cell_centre(g, s, at, cell);
    dl->AddRect(ImVec2(p.x - cell * 0.5f + 2, p.y - cell * 0.5f + 2), ImVec2(p.x + cell * 0.5f - 2, p.y + cell * 0.5f - 2),
                IM_COL32(80, 255, 140, 255), 0, 0, 3.0f);
    // The successors of the best action, each arrow as thick as its probability.
    const std::vector<double>& V = c.heat->v_from;
    std::vector<double> zeros(size_t(env.num_states()), 0.0);
    const BellmanBackup b = bellman_backup(env.model(), V.size() == zeros.size() ? V : zeros, c.heat->gamma, s);
    if (b.actions.empty()) return;
    for (const auto& term : b.actions[size_t(b.best)].terms) {
        if (term.s2 == s || term.s2 / per != layer) continue;
        const ImVec2 q = cell_centre(g, term.s2, at, cell);
        arrow(dl, ImVec2(p.x + (q.x - p.x) * 0.15f, p.y + (q.y - p.y) * 0.15f), ImVec2(q.x - (q.x - p.x) * 0.2f, q.y - (q.y - p.y) * 0.2f),
              IM_COL32(80, 255, 140, 230), std::max(2.0f, cell * 0.08f * float(term.p)));
    }
}

void overlay_histograms(const OverlayChoice& c, float width) {
    for (const InsideLayer* l : c.drawn) {
        if (l->kind != InsideLayer::Kind::Histogram || l->values.empty()) continue;
        const float fs = ImGui::GetFontSize(), h = fs * 3.2f;
        const ImVec2 o = ImGui::GetCursorScreenPos();
        ImDrawList* dl = ImGui::GetWindowDrawList();
        double top = 1e-12;
        for (double v : l->values) top = std::max(top, v);
        const float bw = width / float(l->values.size());
        dl->AddRectFilled(o, ImVec2(o.x + width, o.y + h), IM_COL32(24, 26, 32, 255));
        for (size_t i = 0; i < l->values.size(); ++i) {
            const float y = o.y + h * (1 - float(l->values[i] / top));
            dl->AddRectFilled(ImVec2(o.x + bw * float(i) + 1, y), ImVec2(o.x + bw * float(i + 1) - 1, o.y + h), IM_COL32(120, 200, 255, 220));
        }
        ImGui::Dummy(ImVec2(width, h));
        if (ImGui::IsItemHovered()) {
            const size_t i = std::min(l->values.size() - 1, size_t((ImGui::GetIO().MousePos.x - o.x) / bw));
            ImGui::SetTooltip("%s in [%g, %g): %.0f samples", l->x_label.c_str(), l->edges[i], l->edges[i + 1], l->values[i]);
        }
        char lo[32], hi[32];
        std::snprintf(lo, sizeof lo, "%g", l->edges.front());
        std::snprintf(hi, sizeof hi, "%g", l->edges.back());
        ImGui::TextDisabled("%s … %s  %s", lo, hi, l->x_label.c_str());
    }
}

float overlay_histograms_height(const OverlayChoice& c) {
    float h = 0;
    for (const InsideLayer* l : c.drawn)
        if (l->kind == InsideLayer::Kind::Histogram) h += ImGui::GetFontSize() * 3.2f + ImGui::GetTextLineHeightWithSpacing() + ImGui::GetStyle().ItemSpacing.y;
    return h;
}

void overlay_plane(const OverlayChoice& c, const StatePlane& sp, ImDrawList* dl, ImVec2 o, float size) {
    if (!sp.unobserve) return;
    const float x0 = sp.lo[size_t(sp.x)], x1 = sp.hi[size_t(sp.x)], y0 = sp.lo[size_t(sp.y)], y1 = sp.hi[size_t(sp.y)];
    std::vector<float> state(sp.dims.size());
    auto place = [&](const float* obs, ImVec2& p) {
        sp.unobserve(obs, state.data());
        const float u = (state[size_t(sp.x)] - x0) / (x1 - x0), v = (state[size_t(sp.y)] - y0) / (y1 - y0);
        p = ImVec2(o.x + u * size, o.y + (1 - v) * size);
        return u >= 0 && u <= 1 && v >= 0 && v <= 1;
    };
    dl->PushClipRect(o, ImVec2(o.x + size, o.y + size), true);
    const float fs = ImGui::GetFontSize();
    for (const InsideLayer* l : c.drawn) {
        if (l->dim != sp.obs_dim || l->points.empty()) continue;
        if (l->kind == InsideLayer::Kind::Points) {
            double top = 1e-12;
            for (double v : l->values) top = std::max(top, v);
            for (size_t i = 0; i < l->values.size(); ++i) {
                ImVec2 p;
                if (!place(&l->points[i * size_t(l->dim)], p)) continue;
                dl->AddCircleFilled(p, std::max(2.0f, fs * 0.16f), colormap_sequential(l->values[i] / top), 8);
            }
        } else if (l->kind == InsideLayer::Kind::Path) {
            double top = 1e-12;
            for (const auto& st : l->path) top = std::max(top, std::fabs(st.adv));
            ImVec2 prev;
            bool have = false;
            for (size_t i = 0; i < l->path.size(); ++i) {
                ImVec2 p;
                const bool in = place(&l->points[i * size_t(l->dim)], p);
                if (have && in && !l->path[i].start && std::fabs(p.x - prev.x) < size * 0.5f)
                    dl->AddLine(prev, p, IM_COL32(255, 255, 255, 120), 1.5f);
                have = in, prev = p;
            }
            for (size_t i = 0; i < l->path.size(); ++i) {
                ImVec2 p;
                if (!place(&l->points[i * size_t(l->dim)], p)) continue;
                const auto& st = l->path[i];
                const float r = std::max(2.5f, fs * (0.12f + 0.25f * float(std::fabs(st.adv) / top)));
                dl->AddCircleFilled(p, r, colormap_diverging(st.adv / top), 10);
                dl->AddCircle(p, r, IM_COL32(0, 0, 0, 200), 10, 1.0f);
                if (st.clipped) {
                    const float x = r + 2;
                    dl->AddLine(ImVec2(p.x - x, p.y - x), ImVec2(p.x + x, p.y + x), IM_COL32(0, 0, 0, 255), 2.0f);
                    dl->AddLine(ImVec2(p.x - x, p.y + x), ImVec2(p.x + x, p.y - x), IM_COL32(0, 0, 0, 255), 2.0f);
                }
            }
        }
    }
    dl->PopClipRect();
}

}  // namespace dl
