// Plots: what each algorithm optimises, per episode (learners) or per sweep (planners), for every visible run
// overlaid. EMA smoothing with the raw values faint underneath; runs that differ only by seed can be shown
// as mean ± one standard deviation; live hyperparameter changes are marked where they happened.
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "app/gui/gui.h"
#include "render/plot.h"

namespace dl {

namespace {

struct PlotDef {
    const char* title;
    const char* column;
    bool log_y;
    double y_min, y_max;
};

// (x, y) of a column, skipping rows that did not log it.
void column_xy(const MetricsTable& m, const char* xcol, const char* ycol, std::vector<double>& x, std::vector<double>& y) {
    const int xi = m.find(xcol), yi = m.find(ycol);
    if (xi < 0 || yi < 0) return;
    for (const auto& row : m.rows())
        if (!std::isnan(row[yi])) x.push_back(row[xi]), y.push_back(row[yi]);
}

std::string group_key(const RunConfig& c) {
    return nlohmann::json({{"e", c.env_id}, {"ea", c.env_args}, {"a", c.algo_id}, {"aa", c.algo_args}}).dump();
}

}  // namespace

void panel_plots(App& app) {
    static bool aggregate = true, show_raw = true;
    const float fs = ImGui::GetFontSize();
    ImGui::SetNextItemWidth(fs * 10);
    ImGui::SliderFloat("EMA smoothing", &app.ema, 0.0f, 0.999f, "%.3f");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("weight of the exponential moving average (0 = raw values)");
    ImGui::SameLine();
    ImGui::Checkbox("raw underneath", &show_raw);
    ImGui::SameLine();
    ImGui::Checkbox("seeds as mean ± std", &aggregate);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("runs with the same settings but different seeds are drawn as one mean curve with a ±1 std band");

    RunSlot* sel = app.current();
    const bool planner = sel && sel->session && sel->session->algo().planner;
    static const PlotDef learner_plots[] = {{"Return per episode", "return", false, NAN, NAN},
                                            {"Success rate", "success", false, 0, 1},
                                            {"Episode length", "length", false, 0, NAN},
                                            {"Exploration ε", "epsilon", false, 0, 1},
                                            {"Mean |TD error|", "td_error", true, NAN, NAN}};
    static const PlotDef planner_plots[] = {{"max |ΔV| per sweep", "delta", true, NAN, NAN},
                                            {"V(start state)", "v_start", false, NAN, NAN},
                                            {"Policy changes per improvement", "policy_changes", false, 0, NAN}};
    const PlotDef* defs = planner ? planner_plots : learner_plots;
    const int n = planner ? 3 : 5;
    const char* xcol = planner ? "update" : "episode";

    // Runs of the same kind as the selected one, grouped by settings-without-seed.
    std::map<std::string, std::vector<RunSlot*>> groups;
    std::vector<std::string> order;
    for (auto& r : app.runs) {
        if (!r->visible || !r->session || r->session->algo().planner != planner) continue;
        const std::string k = aggregate ? group_key(r->cfg) : std::to_string(r->id);
        if (!groups.count(k)) order.push_back(k);
        groups[k].push_back(r.get());
    }

    const int cols = 3;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float w = (avail.x - ImGui::GetStyle().ItemSpacing.x * (cols - 1)) / cols;
    const int rows = (n + cols - 1) / cols;
    const float h = (avail.y - ImGui::GetStyle().ItemSpacing.y * (rows - 1)) / rows;
    for (int p = 0; p < n; ++p) {
        const PlotDef& d = defs[p];
        std::vector<PlotSeries> series;
        PlotOptions opt;
        opt.size = ImVec2(w, h);
        opt.ema = d.column == std::string("success") ? std::max(0.9, double(app.ema)) : app.ema;
        opt.show_raw = show_raw && d.column != std::string("success");  // raw 0/1 successes are just noise
        opt.log_y = d.log_y;
        opt.x_label = xcol;
        opt.y_min = d.y_min, opt.y_max = d.y_max;
        for (const auto& k : order) {
            const auto& members = groups[k];
            if (members.size() == 1) {
                RunSlot* r = members[0];
                PlotSeries s;
                s.label = r->label();
                s.color = r->color;
                column_xy(r->metrics, xcol, d.column, s.x, s.y);
                // Schedules and planners' sweeps are exact, not noisy samples: nothing to smooth.
                if (d.column == std::string("epsilon") || planner) s.smooth = false;
                series.push_back(std::move(s));
                for (const auto& m : r->markers) {
                    const int xi = r->metrics.find(xcol);
                    if (xi < 0 || r->metrics.size() == 0) continue;
                    const size_t row = std::min(size_t(m.row), r->metrics.size() - 1);
                    opt.markers.push_back({r->metrics.rows()[row][xi], m.text, r->color});
                }
                continue;
            }
            // Mean ± std over seeds of the smoothed curves, on the common prefix.
            std::vector<std::vector<double>> ys;
            std::vector<double> x;
            size_t len = SIZE_MAX;
            for (RunSlot* r : members) {
                std::vector<double> xx, yy;
                column_xy(r->metrics, xcol, d.column, xx, yy);
                if (opt.ema > 0 && d.column != std::string("epsilon")) yy = ema_smooth(yy, opt.ema);
                len = std::min(len, yy.size());
                if (xx.size() > x.size()) x = xx;
                ys.push_back(std::move(yy));
            }
            PlotSeries s;
            s.label = members[0]->cfg.algo_id + " ×" + std::to_string(members.size()) + " seeds";
            s.color = members[0]->color;
            s.smooth = false;
            for (size_t i = 0; i < len; ++i) {
                double mean = 0, sq = 0;
                for (const auto& y : ys) mean += y[i];
                mean /= double(ys.size());
                for (const auto& y : ys) sq += (y[i] - mean) * (y[i] - mean);
                const double sd = std::sqrt(sq / double(ys.size()));
                s.x.push_back(x[i]), s.y.push_back(mean), s.lo.push_back(mean - sd), s.hi.push_back(mean + sd);
            }
            series.push_back(std::move(s));
        }
        plot(d.title, series, opt);
        if ((p + 1) % cols != 0 && p + 1 < n) ImGui::SameLine();
    }
}

}  // namespace dl
