// Plots: what each algorithm optimises, per episode (learners) or per sweep (planners), for every visible run
// overlaid. A trailing mean (20 episodes by default) bold over the raw values; runs that differ only by seed can be shown
// as mean ± one standard deviation; live hyperparameter changes are marked where they happened.
#include <algorithm>
#include <cctype>
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
    const char* beside = nullptr;  // a second column drawn with each run's own (the dream beside the real return)
    const char* first_name = "real", *beside_name = "dream";  // their names in the legend
    bool smooth_pair = true;       // exact per-update values (a KL against its bound) are not smoothed
};

// (x, y) of one column of one run, extended as rows arrive: plots read it every frame without copying.
struct ColumnCache {
    const MetricsTable* table = nullptr;
    size_t rows_seen = 0;
    std::vector<double> x, y;
    uint64_t used = 0;  // frame stamp, to drop caches of removed runs
};

// Mean ± std over seeds of the smoothed curves; buffers reused frame to frame.
struct GroupCache {
    std::vector<double> x, mean, lo, hi, smoothed;
    std::vector<std::vector<double>> members;
    uint64_t used = 0;
};

}  // namespace

// Everything the plots panel remembers between frames (App holds it opaquely).
struct PlotsPanelState {
    int window = 20;             // the bold line: mean of the last N points (episodes for returns)
    bool aggregate = true;       // runs that differ only by seed as mean ± std
    bool show_raw = true;        // the raw values faint under the smoothed curve
    std::map<std::string, ColumnCache> columns;  // keyed "run id/x column/y column"
    std::map<std::string, std::string> titles;    // readable titles of series without one of their own
    std::map<std::string, GroupCache> groups;
    uint64_t frame = 0;
};

namespace {

PlotsPanelState& ps(App& app) {
    if (!app.plots_panel) app.plots_panel = std::make_shared<PlotsPanelState>();
    return *app.plots_panel;
}

ColumnCache& column_xy(PlotsPanelState& st, const RunSlot& run, const char* xcol, const char* ycol) {
    ColumnCache& c = st.columns[std::to_string(run.id) + "/" + xcol + "/" + ycol];
    c.used = st.frame;
    const MetricsTable& m = run.metrics;
    // A restarted run has fewer rows than were seen (its table is cleared, never replaced).
    if (c.table != &m || m.size() < c.rows_seen) c = ColumnCache{&m, 0, {}, {}, st.frame};
    const int xi = m.find(xcol), yi = m.find(ycol);
    if (xi < 0 || yi < 0) return c;
    const std::vector<double>& xs = m.col(xi);
    const std::vector<double>& ys = m.col(yi);
    for (size_t i = c.rows_seen; i < m.size(); ++i)
        if (!std::isnan(ys[i])) c.x.push_back(xs[i]), c.y.push_back(ys[i]);
    c.rows_seen = m.size();
    return c;
}

std::string group_key(const RunConfig& c) {
    return nlohmann::json({{"e", c.env_id}, {"ea", c.env_args}, {"a", c.algo_id}, {"aa", c.algo_args}}).dump();
}

template <class Map>
void drop_unused(Map& m, uint64_t frame) {
    for (auto it = m.begin(); it != m.end();) it = it->second.used == frame ? std::next(it) : m.erase(it);
}

}  // namespace

namespace {
// A title for a logged series without one of its own: "losses/old_approx_kl" reads "Old approx KL".
const char* readable_title(PlotsPanelState& st, const std::string& column) {
    auto it = st.titles.find(column);
    if (it != st.titles.end()) return it->second.c_str();
    std::string t = column.substr(column.find('/') == std::string::npos ? 0 : column.find('/') + 1);
    std::replace(t.begin(), t.end(), '_', ' ');
    for (const char* acronym : {"kl", "td", "lr", "q"}) {  // whole words only
        const std::string a = acronym;
        for (size_t at = 0; (at = t.find(a, at)) != std::string::npos; at += a.size())
            if ((at == 0 || t[at - 1] == ' ') && (at + a.size() == t.size() || t[at + a.size()] == ' '))
                for (size_t k = 0; k < a.size(); ++k) t[at + k] = char(std::toupper(t[at + k]));
    }
    if (!t.empty()) t[0] = char(std::toupper(t[0]));
    return st.titles.emplace(column, t).first->second.c_str();
}
}  // namespace

void panel_plots(App& app) {
    PlotsPanelState& st = ps(app);
    bool& aggregate = st.aggregate;
    bool& show_raw = st.show_raw;
    ++st.frame;
    const float fs = ImGui::GetFontSize();
    if (!app.stage) {  // on stage the controls are hidden
        ImGui::SetNextItemWidth(fs * 10);
        ImGui::SliderInt("mean of last", &st.window, 1, 500, st.window == 1 ? "1 (raw)" : "%d rows");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("the bold line is the mean of the last N rows: episodes for returns (20 = Gymnasium's \"solved\" window),\nupdates for losses; 1 draws the raw values");
        same_line_if_fits(checkbox_width("raw underneath"));
        ImGui::Checkbox("raw underneath", &show_raw);
        same_line_if_fits(checkbox_width("seeds as mean ± std"));
        ImGui::Checkbox("seeds as mean ± std", &aggregate);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("runs with the same settings but different seeds are drawn as one mean curve with a ±1 std band");
    }

    RunSlot* sel = app.current();
    const bool planner = sel && sel->session && sel->session->algo().planner;
    const bool deep = sel && sel->session && !sel->session->algo().tabular;
    static const PlotDef learner_plots[] = {{"Return per episode", "return", false, NAN, NAN},
                                            {"Success rate", "success", false, 0, 1},
                                            {"Episode length", "length", false, 0, NAN},
                                            {"Exploration ε", "epsilon", false, 0, 1},
                                            {"Mean |TD error|", "td_error", true, NAN, NAN}};
    static const PlotDef planner_plots[] = {{"max |ΔV| per sweep", "delta", true, NAN, NAN},
                                            {"V(start state)", "v_start", false, NAN, NAN},
                                            {"Policy changes per improvement", "policy_changes", false, 0, NAN}};
    // Deep learners: returns, then whatever they optimise (every losses/… and charts/… series they log).
    static const std::pair<const char*, PlotDef> deep_titles[] = {
        {"losses/policy", {"Policy loss", "losses/policy", false, NAN, NAN}},
        {"losses/value", {"Value loss", "losses/value", true, NAN, NAN}},
        {"losses/entropy", {"Entropy", "losses/entropy", false, 0, NAN}},
        {"losses/approx_kl", {"Approx. KL", "losses/approx_kl", true, NAN, NAN}},
        {"losses/clipfrac", {"Clip fraction", "losses/clipfrac", false, 0, NAN}},
        {"losses/explained_variance", {"Explained variance", "losses/explained_variance", false, NAN, 1}},
        {"losses/td", {"TD loss", "losses/td", true, NAN, NAN}},
        {"charts/q_mean", {"Mean Q", "charts/q_mean", false, NAN, NAN}},
        {"charts/epsilon", {"Exploration ε", "charts/epsilon", false, 0, 1}},
        {"charts/learning_rate", {"Learning rate", "charts/learning_rate", false, 0, NAN}},
        {"charts/grad_norm", {"Gradient norm", "charts/grad_norm", true, NAN, NAN}},
        {"charts/kl_beta", {"KL penalty β", "charts/kl_beta", true, NAN, NAN}},
        {"charts/action_std", {"Policy σ (Gaussian)", "charts/action_std", true, NAN, NAN}},
        // Trust regions: the KL each accepted step took against the bound δ, and how far the line search backed off.
        {"charts/kl", {"KL(old ‖ new) per update vs bound δ", "charts/kl", false, 0, NAN, "charts/kl_bound", "KL", "δ", false}},
        {"charts/kl_bound", {}},  // drawn with charts/kl
        {"charts/line_search_steps", {"Line-search tries (0 = step rejected)", "charts/line_search_steps", false, 0, NAN}},
        // Continuous control.
        {"losses/qf", {"Critic loss (Q1 + Q2)", "losses/qf", true, NAN, NAN}},
        {"charts/alpha", {"Entropy temperature α", "charts/alpha", true, NAN, NAN}},
        {"charts/entropy", {"Policy entropy (−log π)", "charts/entropy", false, NAN, NAN}},
        // World-model learners.
        {"losses/reconstruction", {"Reconstruction loss", "losses/reconstruction", true, NAN, NAN}},
        {"losses/kl", {"KL(posterior ‖ prior)", "losses/kl", false, 0, NAN}},
        {"losses/reward_model", {"Reward-model error", "losses/reward_model", true, NAN, NAN}},
        {"losses/continuation_model", {"Continuation-model loss", "losses/continuation_model", true, NAN, NAN}},
        {"losses/actor", {"Actor loss", "losses/actor", false, NAN, NAN}},
        {"losses/critic", {"Critic loss", "losses/critic", true, NAN, NAN}},
        {"charts/dream_return", {"Dream return (λ, from real states)", "charts/dream_return", false, NAN, NAN}},
        {"charts/dream_episode_return",
         {"Return: real vs dream", "return", false, NAN, NAN, "charts/dream_episode_return"}},
    };
    std::vector<PlotDef> defs;
    if (planner) defs.assign(std::begin(planner_plots), std::end(planner_plots));
    else if (!deep) defs.assign(std::begin(learner_plots), std::end(learner_plots));
    else {
        defs.push_back({"Return per episode", "return", false, NAN, NAN});
        defs.push_back({"Episode length", "length", false, 0, NAN});
        if (sel->metrics.find("success") >= 0) defs.push_back({"Success rate", "success", false, 0, 1});
        for (const auto& [col, def] : deep_titles)
            if (def.title && sel->metrics.find(col) >= 0) defs.push_back(def);
        // Any other losses/… or charts/… series an algorithm logs gets a plot too, titled by its name.
        for (const std::string& name : sel->metrics.names()) {
            if (name.rfind("losses/", 0) != 0 && name.rfind("charts/", 0) != 0) continue;
            const bool known = std::any_of(std::begin(deep_titles), std::end(deep_titles),
                                           [&](const auto& t) { return name == t.first; });
            if (!known) defs.push_back({readable_title(st, name), name.c_str(), false, NAN, NAN});
        }
        defs.push_back({"Env steps per second", "", false, 0, NAN});  // measured by the UI, not logged
    }
    if (app.stage && !app.stage_plots.empty()) {  // the lesson's stage names its plots (plot:<metric>), in its order
        std::vector<PlotDef> chosen;
        for (const std::string& c : app.stage_plots)
            for (const PlotDef& d : defs)
                if (d.column && c == d.column) chosen.push_back(d);
        if (!chosen.empty()) defs = chosen;
    }
    const int n = int(defs.size());
    const char* xcol = planner ? "update" : deep ? "env_step" : "episode";

    // Runs of the same kind as the selected one, grouped by settings-without-seed.
    std::map<std::string, std::vector<RunSlot*>> groups;
    std::vector<std::string> order;
    for (auto& r : app.runs) {
        if (!r->visible || !r->session || r->session->algo().planner != planner || r->session->algo().tabular == deep) continue;
        std::string k = aggregate ? group_key(r->cfg) : std::to_string(r->id);
        // Seeds make a mean ± std; a clone with the same seed is its own curve, never averaged with its parent.
        if (aggregate && groups.count(k))
            for (const RunSlot* m : groups[k])
                if (m->cfg.seed == r->cfg.seed) k = std::to_string(r->id);
        if (!groups.count(k)) order.push_back(k);
        groups[k].push_back(r.get());
    }

    // As many columns as fit at 20 characters wide (on stage: few plots, large); each plot at least 10 lines tall,
    // so with a large font the plots scroll rather than shrink to strips under their titles.
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    // On stage the few plots share the panel (a stage never scrolls: the class cannot reach the scrollbar).
    const float min_w = fs * 20, min_h = app.stage ? fs * 5 : fs * 10;
    const int fit = std::max(1, int(avail.x / min_w));
    const int cols = app.stage ? std::clamp(n, 1, std::min(3, fit)) : std::clamp(n > 6 ? (n + 1) / 2 : 3, 1, fit);
    const int rows = (n + cols - 1) / cols;
    const float sx = ImGui::GetStyle().ItemSpacing.x, sy = ImGui::GetStyle().ItemSpacing.y;
    const bool scroll = (avail.y - sy * float(rows - 1)) / float(rows) < min_h;
    if (scroll) ImGui::BeginChild("##plot_grid", avail, false);
    const float w = (ImGui::GetContentRegionAvail().x - sx * float(cols - 1)) / float(cols);
    const float h = std::max(min_h, (avail.y - sy * float(rows - 1)) / float(rows));
    for (int p = 0; p < n; ++p) {
        const PlotDef& d = defs[p];
        const std::string column = d.column;
        std::vector<PlotSeries> series;
        PlotOptions opt;
        opt.size = ImVec2(w, h);
        opt.window = column == "success" ? std::max(20, st.window) : st.window;
        opt.show_raw = show_raw && column != "success";  // raw 0/1 successes are just noise
        opt.log_y = d.log_y;
        opt.x_label = deep ? "env step" : xcol;  // the axis in words, not the column's name
        opt.y_min = d.y_min, opt.y_max = d.y_max;
        // Schedules and planners' sweeps are exact, not noisy samples: nothing to smooth.
        const bool smooth = column.find("epsilon") == std::string::npos && column != "charts/learning_rate" && !planner;
        if (column.empty()) {  // the UI's own throughput series, one per run
            for (const auto& k : order)
                for (RunSlot* r : groups[k]) series.push_back({r->label(), r->color, r->sps_x, r->sps_y, {}, {}, false});
            plot(d.title, series, opt);
            if ((p + 1) % cols != 0 && p + 1 < n) ImGui::SameLine();
            continue;
        }
        if (d.beside) {  // every run on its own: the first curve in its colour, the second lighter (a bound: in red)
            for (const auto& k : order)
                for (RunSlot* r : groups[k]) {
                    const ColumnCache& real = column_xy(st, *r, xcol, d.column);
                    const ColumnCache& dream = column_xy(st, *r, xcol, d.beside);
                    ImVec4 c = ImGui::ColorConvertU32ToFloat4(r->color);
                    c = ImVec4(0.45f + 0.55f * c.x, 0.45f + 0.55f * c.y, 0.45f + 0.55f * c.z, 0.9f);
                    if (!d.smooth_pair) {  // a limit: a contrasting colour, and room above it so it is not the frame
                        c = ImVec4(1.0f, 0.35f, 0.3f, 0.9f);
                        for (double b : dream.y) opt.y_max = std::isnan(opt.y_max) ? 1.25 * b : std::max(opt.y_max, 1.25 * b);
                    }
                    series.push_back({r->label() + " " + d.first_name, r->color, real.x, real.y, {}, {}, d.smooth_pair});
                    series.push_back({r->label() + " " + d.beside_name, ImGui::ColorConvertFloat4ToU32(c), dream.x, dream.y, {}, {},
                                      d.smooth_pair});
                }
            plot(d.title, series, opt);
            if ((p + 1) % cols != 0 && p + 1 < n) ImGui::SameLine();
            continue;
        }
        for (const auto& k : order) {
            const auto& members = groups[k];
            if (members.size() == 1) {
                RunSlot* r = members[0];
                const ColumnCache& c = column_xy(st, *r, xcol, d.column);
                // A branch is drawn from its branch point when its parent is on the plot (before it, it is the parent).
                size_t first = 0;
                if (r->parent_id)
                    for (const auto& k2 : order)
                        for (const RunSlot* q : groups[k2]) first = q->id == r->parent_id ? size_t(r->branch_row) : first;
                if (app.ab && r->id == app.ab->a) opt.shade_a = int(series.size());
                if (app.ab && r->id == app.ab->b) opt.shade_b = int(series.size());
                series.push_back({r->label(), r->color, c.x, c.y, {}, {}, smooth, first});
                if (r->rewind && r == app.current()) {  // the timeline's point on show
                    opt.cursor = double(planner ? r->rewind->updates : deep ? r->rewind->env_steps : r->rewind->episodes);
                    opt.cursor_label = "on show";
                }
                const int xi = r->metrics.find(xcol);
                for (const auto& m : r->markers)
                    if (xi >= 0 && r->metrics.size() > 0)
                        opt.markers.push_back({r->metrics.at(std::min(size_t(m.row), r->metrics.size() - 1), xi), m.text, r->color});
                continue;
            }
            // Mean ± std over seeds of the smoothed curves, on the common prefix.
            GroupCache& g = st.groups[k + "/" + column];
            g.used = st.frame;
            g.members.resize(members.size());
            size_t len = SIZE_MAX;
            const ColumnCache* longest = nullptr;
            for (size_t i = 0; i < members.size(); ++i) {
                const ColumnCache& c = column_xy(st, *members[i], xcol, d.column);
                if (smooth && opt.window > 1) trailing_mean_into(c.y, opt.window, g.members[i]);
                else g.members[i].assign(c.y.begin(), c.y.end());
                len = std::min(len, c.y.size());
                if (!longest || c.x.size() > longest->x.size()) longest = &c;
            }
            g.x.assign(longest->x.begin(), longest->x.begin() + long(len));
            g.mean.resize(len), g.lo.resize(len), g.hi.resize(len);
            for (size_t i = 0; i < len; ++i) {
                double mean = 0, sq = 0;
                for (const auto& y : g.members) mean += y[i];
                mean /= double(g.members.size());
                for (const auto& y : g.members) sq += (y[i] - mean) * (y[i] - mean);
                const double sd = std::sqrt(sq / double(g.members.size()));
                g.mean[i] = mean, g.lo[i] = mean - sd, g.hi[i] = mean + sd;
            }
            // Name the group by what sets it apart: its non-default settings.
            std::string label = members[0]->label();
            if (const size_t at = label.find(" · seed "); at != std::string::npos) label.erase(at);
            series.push_back({label + " (" + std::to_string(members.size()) + " seeds, mean ± std)",
                              members[0]->color, g.x, g.mean, g.lo, g.hi, false});
        }
        plot(d.title, series, opt);
        if ((p + 1) % cols != 0 && p + 1 < n) ImGui::SameLine();
    }
    if (scroll) ImGui::EndChild();
    drop_unused(st.columns, st.frame);
    drop_unused(st.groups, st.frame);
}

}  // namespace dl
