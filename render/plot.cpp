#include "render/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dl {

namespace {
// A readout number: whole numbers as such ("episode = 390"), else 4 significant digits.
std::string axis_number(double v) {
    char b[32];
    if (std::isfinite(v) && v == std::round(v) && std::fabs(v) < 1e15) std::snprintf(b, sizeof b, "%.0f", v);
    else std::snprintf(b, sizeof b, "%.4g", v);
    return b;
}
}  // namespace

std::vector<double> trailing_mean(std::span<const double> y, int window) {
    std::vector<double> out;
    trailing_mean_into(y, window, out);
    return out;
}

void trailing_mean_into(std::span<const double> y, int window, std::vector<double>& out) {
    out.resize(y.size());
    const size_t n = size_t(std::max(1, window));
    std::vector<double> ring(n);  // the last n finite values
    size_t count = 0, at = 0;
    double sum = 0;
    for (size_t i = 0; i < y.size(); ++i) {
        if (std::isfinite(y[i])) {
            if (count == n) sum -= ring[at];
            else ++count;
            ring[at] = y[i], sum += y[i];
            at = (at + 1) % n;
            if (at == 0) {  // re-add from the ring now and then: a running sum over 10⁵ values drifts
                sum = 0;
                for (size_t k = 0; k < count; ++k) sum += ring[k];
            }
        }
        out[i] = count ? sum / double(count) : NAN;
    }
}

std::vector<double> log_ticks(double lo, double hi, int target) {
    std::vector<double> t;
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return t;
    for (double v : nice_ticks(std::floor(lo), std::ceil(hi), target))
        if (v == std::round(v) && v >= lo && v <= hi) t.push_back(v);
    // Fewer than two decades inside (data spanning under a decade): 1-2-5 steps, then every digit.
    for (const std::vector<int>& digits : {std::vector<int>{1, 2, 5}, std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
        if (t.size() >= 2) break;
        t.clear();
        for (int d = int(std::floor(lo)); d <= int(std::ceil(hi)); ++d)
            for (int k : digits)
                if (const double v = d + std::log10(double(k)); v >= lo && v <= hi) t.push_back(v);
    }
    return t;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
    std::vector<double> t;
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return t;
    const double raw = (hi - lo) / std::max(1, target);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / mag;
    const double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
    return t;
}

namespace {

void format_tick(char* buf, size_t n, double v, bool log_y) {
    const double a = std::fabs(v);
    if (log_y) std::snprintf(buf, n, "1e%d", int(std::lround(v)));
    else if (a >= 1e6) std::snprintf(buf, n, "%gM", v / 1e6);  // 1.5M, 250k: short enough to never collide
    else if (a >= 1e4) std::snprintf(buf, n, "%gk", v / 1e3);
    else if (a < 1e-3 && v != 0) std::snprintf(buf, n, "%.0e", v);
    else std::snprintf(buf, n, "%g", v);
}

ImU32 with_alpha(ImU32 c, int a) { return (c & ~IM_COL32_A_MASK) | (ImU32(a) << IM_COL32_A_SHIFT); }

}  // namespace

void plot(const char* title, const std::vector<PlotSeries>& series, const PlotOptions& opt) {
    ImGui::PushID(title);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImVec2 size = opt.size;
    if (size.x <= 0) size.x = ImGui::GetContentRegionAvail().x;
    size.x = std::max(size.x, 1.0f), size.y = std::max(size.y, 1.0f);  // a window squeezed to nothing still draws
    ImGui::InvisibleButton("##plot", size);
    const bool hovered = ImGui::IsItemHovered();
    const float fs = ImGui::GetFontSize();
    // Legend: after the title in its row, wrapping into rows of its own above the plot area, so it never covers a
    // curve. (A single series needs no legend: the title says what it is.)
    struct LegendEntry { float x, y; size_t k; };
    std::vector<LegendEntry> legend;
    const float row_h = fs * 1.2f;
    float legend_rows = 0;
    if (series.size() > 1) {
        float lx = origin.x + fs * 0.5f + ImGui::CalcTextSize(title).x + fs * 1.2f, ly = origin.y + fs * 0.2f;
        const float right = origin.x + size.x - fs * 0.6f;
        for (size_t k = 0; k < series.size(); ++k) {
            if (series[k].label.empty()) continue;  // one entry stands for a group (e.g. every running trial)
            const float w = ImGui::CalcTextSize(series[k].label.c_str()).x + fs * 1.6f;
            if (lx + w > right && lx > origin.x + fs * 0.5f) lx = origin.x + fs * 0.5f, ly += row_h, legend_rows += 1;
            legend.push_back({lx, ly, k});
            lx += w;
        }
    }
    const ImVec2 p0(origin.x + fs * 3.6f, origin.y + fs * 1.5f + legend_rows * row_h);  // plot area
    const ImVec2 p1(origin.x + size.x - fs * 0.6f, origin.y + size.y - fs * 1.6f);
    dl->AddRectFilled(origin, ImVec2(origin.x + size.x, origin.y + size.y), IM_COL32(24, 26, 32, 255), 4.0f);
    dl->AddText(ImVec2(origin.x + fs * 0.5f, origin.y + fs * 0.2f), IM_COL32(230, 230, 230, 255), title);
    for (const LegendEntry& e : legend) {
        const PlotSeries& se = series[e.k];
        dl->AddRectFilled(ImVec2(e.x, e.y + fs * 0.25f), ImVec2(e.x + fs * 0.8f, e.y + fs * 0.8f), se.color, 2.0f);
        dl->AddText(ImVec2(e.x + fs * 1.0f, e.y), IM_COL32(210, 210, 210, 255), se.label.c_str());
    }
    if (p1.x - p0.x < 20 || p1.y - p0.y < 20) { ImGui::PopID(); return; }

    // Transformed data (log y), smoothed copies, and data limits.
    auto ty = [&](double v) { return opt.log_y ? (v > 0 ? std::log10(v) : NAN) : v; };
    auto tx = [&](double v) { return opt.log_x ? (v > 0 ? std::log10(v) : NAN) : v; };
    // Scratch buffers live across frames: no allocation (and no fresh pages) per frame.
    struct Prepared { std::vector<double> y, ys, lo, hi; };
    static std::vector<Prepared> prep;
    if (prep.size() < series.size()) prep.resize(series.size());
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    size_t points = 0;
    for (size_t k = 0; k < series.size(); ++k) {
        const PlotSeries& s = series[k];
        Prepared& p = prep[k];
        p.y.resize(s.y.size());
        for (size_t i = 0; i < s.y.size(); ++i) p.y[i] = ty(s.y[i]);
        if (s.smooth && opt.window > 1) trailing_mean_into(p.y, opt.window, p.ys);
        else p.ys = p.y;
        p.lo.clear(), p.hi.clear();
        if (!s.lo.empty()) {
            p.lo.resize(s.lo.size()), p.hi.resize(s.hi.size());
            for (size_t i = 0; i < s.lo.size(); ++i) p.lo[i] = ty(s.lo[i]), p.hi[i] = ty(s.hi[i]);
        }
        if (s.first < s.x.size()) xmin = std::min(xmin, tx(s.x[s.first])), xmax = std::max(xmax, tx(s.x.back()));
        points += s.x.size();
        const auto& src = (opt.show_raw || !s.smooth || opt.window <= 1) ? p.y : p.ys;
        for (size_t i = s.first; i < src.size(); ++i)
            if (std::isfinite(src[i])) ymin = std::min(ymin, src[i]), ymax = std::max(ymax, src[i]);
        for (double v : p.lo) if (std::isfinite(v)) ymin = std::min(ymin, v);
        for (double v : p.hi) if (std::isfinite(v)) ymax = std::max(ymax, v);
    }
    if (!std::isnan(opt.y_min)) ymin = ty(opt.y_min);
    if (!std::isnan(opt.y_max)) ymax = ty(opt.y_max);
    const bool empty = !(xmax >= xmin) || !(ymax >= ymin);
    if (empty) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
    if (xmax - xmin < 1e-12) xmax = xmin + 1;
    if (ymax - ymin < 1e-12) ymin -= 0.5, ymax += 0.5;
    const double pad = (ymax - ymin) * 0.05;
    if (std::isnan(opt.y_min)) ymin -= pad;
    if (std::isnan(opt.y_max)) ymax += pad;

    auto XT = [&](double t) { return float(p0.x + (t - xmin) / (xmax - xmin) * (p1.x - p0.x)); };  // t: transformed x
    auto X = [&](double x) { return XT(tx(x)); };
    auto Y = [&](double y) { return float(p1.y - (y - ymin) / (ymax - ymin) * (p1.y - p0.y)); };

    // Grid, ticks and labels.
    char buf[32];
    const ImU32 grid = IM_COL32(60, 64, 72, 255), text = IM_COL32(170, 175, 185, 255);
    const int ny = std::max(2, int((p1.y - p0.y) / (fs * 2.2f)));
    const std::vector<double> yt = opt.log_y ? log_ticks(ymin, ymax, ny) : nice_ticks(ymin, ymax, ny);
    for (double v : yt) {
        if (v < ymin || v > ymax) continue;
        dl->AddLine(ImVec2(p0.x, Y(v)), ImVec2(p1.x, Y(v)), grid);
        // A log axis reads 2, 5, 10, 20, 50, 100, 200 (never "1e2" beside "200"); 1e-4 and 1e6 as powers.
        const bool plain = opt.log_y && (std::fabs(v - std::round(v)) > 1e-9 || (v >= -3 - 1e-9 && v <= 5 + 1e-9));
        if (plain) format_tick(buf, sizeof buf, std::pow(10.0, v), false);
        else format_tick(buf, sizeof buf, v, opt.log_y);
        const ImVec2 ts = ImGui::CalcTextSize(buf);
        dl->AddText(ImVec2(p0.x - ts.x - fs * 0.3f, Y(v) - ts.y * 0.5f), text, buf);
    }
    // The x axis's name sits at the right end of the tick row (not over the curves); ticks under it are skipped.
    float label_x = p1.x + fs;
    if (opt.x_label && *opt.x_label) {
        const ImVec2 ts = ImGui::CalcTextSize(opt.x_label);
        label_x = origin.x + size.x - ts.x - fs * 0.3f;
        dl->AddText(ImVec2(label_x, p1.y + fs * 0.15f), IM_COL32(120, 125, 135, 255), opt.x_label);
    }
    const int nx = std::max(2, int((p1.x - p0.x) / (fs * 5.0f)));
    for (double v : opt.log_x ? nice_ticks(std::floor(xmin), std::ceil(xmax), nx) : nice_ticks(xmin, xmax, nx)) {
        if (opt.log_x && (std::fabs(v - std::round(v)) > 1e-6 || v < xmin - 1e-9 || v > xmax + 1e-9)) continue;  // decades only
        if (opt.log_x) v = std::round(v);
        dl->AddLine(ImVec2(XT(v), p0.y), ImVec2(XT(v), p1.y), grid);
        format_tick(buf, sizeof buf, opt.log_x ? std::pow(10.0, v) : v, false);
        const ImVec2 ts = ImGui::CalcTextSize(buf);
        // Centred under its line, but kept inside the widget: the last label is never cut by the window's edge.
        const float tx = std::min(XT(v) - ts.x * 0.5f, origin.x + size.x - ts.x - 1);
        if (tx + ts.x > label_x - fs * 0.5f) continue;
        dl->AddText(ImVec2(tx, p1.y + fs * 0.15f), text, buf);
    }
    dl->AddRect(p0, p1, IM_COL32(90, 95, 105, 255));

    dl->PushClipRect(p0, p1, true);
    // Event markers (e.g. "alpha=0.5" where a hyperparameter changed).
    for (const auto& m : opt.markers) {
        if (!(tx(m.x) >= xmin && tx(m.x) <= xmax)) continue;
        for (float yy = p0.y; yy < p1.y; yy += 6) dl->AddLine(ImVec2(X(m.x), yy), ImVec2(X(m.x), std::min(p1.y, yy + 3)), m.color, 1.5f);
        const float tw = ImGui::CalcTextSize(m.text.c_str()).x;
        const float tx = X(m.x) + 3 + tw > p1.x ? X(m.x) - 3 - tw : X(m.x) + 3;  // keep the label inside
        dl->AddText(ImVec2(tx, p0.y + 2), m.color, m.text.c_str());
    }
    // Series: band, faint raw envelope, bold smoothed line — decimated to one bucket per pixel column.
    const int W = std::max(1, int(p1.x - p0.x));
    // The gap between an A/B pair: per pixel column, between the two curves' means there, in the colour of the one
    // that is ahead.
    if (opt.shade_a >= 0 && opt.shade_b >= 0 && size_t(std::max(opt.shade_a, opt.shade_b)) < series.size()) {
        static std::vector<double> mean[2];
        static std::vector<int> count[2];
        const int ids[2] = {opt.shade_a, opt.shade_b};
        for (int j = 0; j < 2; ++j) {
            const PlotSeries& s = series[size_t(ids[j])];
            const Prepared& p = prep[size_t(ids[j])];
            const auto& ys = s.smooth && opt.window > 1 ? p.ys : p.y;
            mean[j].assign(size_t(W), 0.0), count[j].assign(size_t(W), 0);
            for (size_t i = s.first; i < s.x.size() && i < ys.size(); ++i) {
                if (!std::isfinite(ys[i])) continue;
                const int b = std::clamp(int((tx(s.x[i]) - xmin) / (xmax - xmin) * W), 0, W - 1);
                mean[j][size_t(b)] += ys[i], ++count[j][size_t(b)];
            }
        }
        for (int b = 0; b < W; ++b) {
            if (!count[0][size_t(b)] || !count[1][size_t(b)]) continue;
            const double ya = mean[0][size_t(b)] / count[0][size_t(b)], yb = mean[1][size_t(b)] / count[1][size_t(b)];
            const ImU32 c = with_alpha(series[size_t(yb > ya ? opt.shade_b : opt.shade_a)].color, 60);
            dl->AddRectFilled(ImVec2(p0.x + float(b), Y(std::max(ya, yb))), ImVec2(p0.x + float(b) + 1.0f, Y(std::min(ya, yb))), c);
        }
    }
    for (size_t k = 0; k < series.size(); ++k) {
        const PlotSeries& s = series[k];
        const Prepared& p = prep[k];
        if (s.first >= s.x.size()) continue;
        auto bucket = [&](double x) { return std::clamp(int((tx(x) - xmin) / (xmax - xmin) * W), 0, W - 1); };
        if (!p.lo.empty()) {
            int last = -1;
            ImVec2 prev_lo, prev_hi;
            for (size_t i = s.first; i < s.x.size(); ++i) {
                if (!std::isfinite(p.lo[i]) || !std::isfinite(p.hi[i])) continue;
                const int b = bucket(s.x[i]);
                if (b == last && i + 1 < s.x.size()) continue;
                const ImVec2 lo(X(s.x[i]), Y(p.lo[i])), hi(X(s.x[i]), Y(p.hi[i]));
                if (last >= 0) {
                    const ImVec2 quad[4] = {prev_hi, hi, lo, prev_lo};
                    dl->AddConvexPolyFilled(quad, 4, with_alpha(s.color, 50));
                }
                prev_lo = lo, prev_hi = hi, last = b;
            }
        }
        const bool draw_raw = s.smooth && opt.window > 1 && opt.show_raw;
        if (draw_raw || !(s.smooth && opt.window > 1)) {
            // Per pixel column: the min..max envelope (very faint) and the column mean (a line), so 10⁵ noisy
            // points read as a band with a trend instead of a solid block.
            static std::vector<float> mn, mx, sum;
            static std::vector<int> cnt;
            mn.assign(W, INFINITY), mx.assign(W, -INFINITY), sum.assign(W, 0.0f), cnt.assign(W, 0);
            for (size_t i = s.first; i < s.x.size(); ++i) {
                if (!std::isfinite(p.y[i])) continue;
                const int b = bucket(s.x[i]);
                mn[b] = std::min(mn[b], float(p.y[i])), mx[b] = std::max(mx[b], float(p.y[i]));
                sum[b] += float(p.y[i]), cnt[b]++;
            }
            const ImU32 c = draw_raw ? with_alpha(s.color, 90) : s.color;
            static std::vector<ImVec2> line;
            line.clear();
            for (int b = 0; b < W; ++b) {
                if (!cnt[b]) continue;
                const float x = p0.x + b + 0.5f;
                if (mx[b] > mn[b]) dl->AddRectFilled(ImVec2(x - 0.5f, Y(mx[b])), ImVec2(x + 0.5f, Y(mn[b])), with_alpha(s.color, draw_raw ? 22 : 60));
                line.push_back(ImVec2(x, Y(sum[b] / cnt[b])));
            }
            if (line.size() == 1) dl->AddCircleFilled(line[0], 2.5f, c);
            if (line.size() > 1) dl->AddPolyline(line.data(), int(line.size()), c, 0, draw_raw ? 1.0f : 1.8f);
        }
        if (s.smooth && opt.window > 1) {
            static std::vector<ImVec2> line;
            line.clear();
            int last = -1;
            for (size_t i = s.first; i < s.x.size(); ++i) {
                if (!std::isfinite(p.ys[i])) continue;
                const int b = bucket(s.x[i]);
                const ImVec2 pt(X(s.x[i]), Y(p.ys[i]));
                if (b == last) line.back() = pt;
                else line.push_back(pt);
                last = b;
            }
            if (line.size() == 1) dl->AddCircleFilled(line[0], 2.5f, s.color);
            if (line.size() > 1) dl->AddPolyline(line.data(), int(line.size()), s.color, 0, 2.0f);
        }
    }
    if (std::isfinite(opt.cursor) && tx(opt.cursor) >= xmin && tx(opt.cursor) <= xmax) {
        const ImU32 c = IM_COL32(255, 255, 255, 200);
        dl->AddLine(ImVec2(X(opt.cursor), p0.y), ImVec2(X(opt.cursor), p1.y), c, 2.0f);
        if (!opt.cursor_label.empty()) {
            const float tw = ImGui::CalcTextSize(opt.cursor_label.c_str()).x;
            const float lx = X(opt.cursor) + 4 + tw > p1.x ? X(opt.cursor) - 4 - tw : X(opt.cursor) + 4;
            dl->AddText(ImVec2(lx, p1.y - fs * 1.2f), c, opt.cursor_label.c_str());
        }
    }
    dl->PopClipRect();

    if (empty) {
        const char* msg = points == 0 ? "no data yet" : "no positive values to show on a log scale";
        const ImVec2 ts = ImGui::CalcTextSize(msg);
        dl->AddText(ImVec2((p0.x + p1.x - ts.x) * 0.5f, (p0.y + p1.y - ts.y) * 0.5f), text, msg);
    }

    // Hover readout: a vertical cursor and each series' value (raw and smoothed) at the nearest x.
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    if (hovered && !empty && mouse.x >= p0.x && mouse.x <= p1.x) {
        const double xt = xmin + (mouse.x - p0.x) / (p1.x - p0.x) * (xmax - xmin), xm = opt.log_x ? std::pow(10.0, xt) : xt;
        dl->AddLine(ImVec2(mouse.x, p0.y), ImVec2(mouse.x, p1.y), IM_COL32(255, 255, 255, 90));
        ImGui::BeginTooltip();
        // The x of the nearest data point (an episode is a whole number), not the mouse's fractional position.
        double xs = xm, best = INFINITY;
        for (const PlotSeries& s : series) {
            const size_t j = size_t(std::lower_bound(s.x.begin(), s.x.end(), xm) - s.x.begin());
            for (size_t c : {j, j - 1})
                if (c < s.x.size() && std::fabs(s.x[c] - xm) < best) best = std::fabs(s.x[c] - xm), xs = s.x[c];
        }
        ImGui::Text("%s = %s", *opt.x_label ? opt.x_label : "x", axis_number(xs).c_str());
        for (size_t k = 0; k < series.size(); ++k) {
            const PlotSeries& s = series[k];
            if (s.first >= s.x.size()) continue;
            size_t i = size_t(std::lower_bound(s.x.begin(), s.x.end(), xm) - s.x.begin());
            if (i >= s.x.size()) i = s.x.size() - 1;
            if (i > 0 && std::fabs(s.x[i - 1] - xm) < std::fabs(s.x[i] - xm)) --i;
            if (i < s.first) continue;  // before a branch's point: its parent's value, shown by the parent
            ImGui::ColorButton(s.label.c_str(), ImGui::ColorConvertU32ToFloat4(s.color),
                               ImGuiColorEditFlags_NoTooltip, ImVec2(fs * 0.8f, fs * 0.8f));
            ImGui::SameLine();
            const double raw = s.y[i];
            const double sm = s.smooth && opt.window > 1 && i < prep[k].ys.size()
                                  ? (opt.log_y ? std::pow(10.0, prep[k].ys[i]) : prep[k].ys[i]) : NAN;
            if (std::isfinite(sm))
                ImGui::Text("%s @ %s: %.4g (mean of last %d: %.4g)", s.label.c_str(), axis_number(s.x[i]).c_str(), raw, opt.window, sm);
            else
                ImGui::Text("%s @ %s: %.4g", s.label.c_str(), axis_number(s.x[i]).c_str(), raw);
            if (!s.lo.empty()) {
                ImGui::SameLine();
                ImGui::TextDisabled("[%.4g, %.4g]", s.lo[i], s.hi[i]);
            }
        }
        ImGui::EndTooltip();
    }
    ImGui::PopID();
}

}  // namespace dl
