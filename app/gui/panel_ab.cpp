// Compare A/B: the form that makes run B (the selected run with its switches flipped, or another algorithm of the
// same kind), and the values view of a lockstep pair on a lake: V of A, V of B, and ΔV with the cells where the
// greedy actions differ outlined.
#include <cmath>

#include "app/gui/gui.h"
#include "core/algos/registry.h"
#include "core/rl/tabular.h"
#include "render/grid_view.h"

namespace dl {

struct AbFormState {
    bool open = false;
    int run = 0;                                // the run to compare (A)
    std::string algo;                           // B's algorithm
    std::unique_ptr<ArgsBase> args;             // B's hyperparameters
    std::map<std::string, std::string> changes; // what B changes of them
};

void open_ab_form(App& app) {
    RunSlot* a = app.current();
    if (!a) return;
    if (!app.ab_form) app.ab_form = std::make_shared<AbFormState>();
    AbFormState& f = *app.ab_form;
    f.open = true, f.run = a->id, f.algo = a->cfg.algo_id;
    f.args = make_algo_args(a->cfg.algo_id, a->cfg.algo_args);
    f.changes.clear();
}

namespace {
// The switches of an algorithm: its flags and choices (DQN's target_network, PPO's norm_adv, the trace kind).
std::vector<ParamSpec> switches(ArgsBase& args) {
    std::vector<ParamSpec> out;
    for (const ParamSpec& p : describe(args))
        if (p.type == ParamType::Flag || p.type == ParamType::Choice) out.push_back(p);
    return out;
}
}  // namespace

void ab_form(App& app) {
    if (!app.ab_form || !app.ab_form->open) return;
    AbFormState& f = *app.ab_form;
    RunSlot* a = find_run(app, f.run);
    if (!a || !a->session) {
        f.open = false;
        return;
    }
    ImGui::OpenPopup("Compare A/B");
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + vp->WorkSize.x * 0.5f, vp->WorkPos.y + vp->WorkSize.y * 0.5f), ImGuiCond_Appearing,
                            ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x * 0.45f, vp->WorkSize.y * 0.6f), ImGuiCond_Appearing);
    bool open = true;
    if (ImGui::BeginPopupModal("Compare A/B", &open)) {
        ImGui::TextWrapped("A is %s on %s, seed %llu. B is the same run from the same seed with what you change here. Both "
                           "restart, and advance in lockstep: neither takes a step before the other has caught up, so "
                           "every picture shows them at the same point of training.",
                           a->label().c_str(), a->cfg.env_id.c_str(), static_cast<unsigned long long>(a->cfg.seed));
        ImGui::Separator();
        // B's algorithm: any of the same kind (a learner for a learner: SARSA against Q-learning).
        const AlgoInfo& ai = a->session->algo();
        ImGui::TextDisabled("B's algorithm");
        if (ImGui::BeginCombo("##algo", f.algo.c_str())) {
            for (const AlgoInfo& o : algo_registry()) {
                if (o.planner != ai.planner || o.tabular != ai.tabular || !o.learns) continue;
                if (ImGui::Selectable((o.id + "  " + o.title).c_str(), o.id == f.algo) && o.id != f.algo) {
                    f.algo = o.id;
                    // Keep what the two algorithms share (the ε schedule, γ, α); the rest at B's defaults.
                    f.args = make_algo_args(o.id, {});
                    for (const ParamSpec& p : describe(*f.args))
                        if (auto it = a->cfg.algo_args.find(p.name); it != a->cfg.algo_args.end()) try {
                                set_param(*f.args, p.name, it->second);
                            } catch (const ParamError&) {
                            }
                    f.changes.clear();
                }
            }
            ImGui::EndCombo();
        }
        ImGui::TextDisabled("B's switches (every hyperparameter is under \"all\")");
        std::vector<std::pair<std::string, std::string>> changed;
        ImGui::BeginChild("##switches", ImVec2(0, -ImGui::GetFrameHeightWithSpacing() * 1.5f), false);
        for (const ParamSpec& p : switches(*f.args)) {
            ImGui::PushID(p.name.c_str());
            std::string v = get_param(*f.args, p.name);
            if (p.type == ParamType::Flag) {
                bool on = v == "true";
                if (ImGui::Checkbox(p.name.c_str(), &on)) set_param(*f.args, p.name, on ? "true" : "false"), f.changes[p.name] = on ? "true" : "false";
            } else {
                ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
                if (ImGui::BeginCombo(p.name.c_str(), v.c_str())) {
                    for (const std::string& c : p.choices)
                        if (ImGui::Selectable(c.c_str(), c == v)) set_param(*f.args, p.name, c), f.changes[p.name] = c;
                    ImGui::EndCombo();
                }
            }
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", p.doc.c_str());
            ImGui::PopID();
        }
        if (ImGui::TreeNode("all")) {
            param_editor(*f.args, changed, true);
            ImGui::TreePop();
        }
        ImGui::EndChild();
        for (const auto& [k, v] : changed) f.changes[k] = v;
        // What B changes, said the way the curves' legend will say it.
        std::string what = f.algo != a->cfg.algo_id ? f.algo + " instead of " + a->cfg.algo_id : "";
        const auto base = make_algo_args(a->cfg.algo_id, a->cfg.algo_args);
        for (const ParamSpec& p : describe(*f.args)) {
            const std::string v = get_param(*f.args, p.name);
            std::string was;
            try {
                was = get_param(*base, p.name);
            } catch (const ParamError&) {
                continue;  // a setting only B's algorithm has
            }
            if (v != was) what += (what.empty() ? "" : ", ") + p.name + "=" + (v == "true" ? "on" : v == "false" ? "off" : v);
        }
        ImGui::BeginDisabled(what.empty());
        if (ImGui::Button(what.empty() ? "Flip a switch first" : ("Start A/B: " + what).c_str())) {
            RunConfig b = a->cfg;
            b.algo_id = f.algo;
            b.algo_args.clear();
            for (const ParamSpec& p : describe(*f.args)) b.algo_args[p.name] = get_param(*f.args, p.name);
            start_ab(app, *a, b, what);
            f.open = false;
            ImGui::CloseCurrentPopup();
        }
        ImGui::EndDisabled();
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) {
            f.open = false;
            ImGui::CloseCurrentPopup();
        }
        ImGui::EndPopup();
    }
    if (!open) f.open = false;
}

bool ab_values(App& app) {
    RunSlot* cur = app.current();
    if (!app.ab || !cur || !in_ab(app, *cur)) return false;
    RunSlot* a = find_run(app, app.ab->a);
    RunSlot* b = find_run(app, app.ab->b);
    if (!a || !b || !a->snap.env || !a->snap.env->tabular()) return false;
    const TabularView& ta = a->snap.tab;
    const TabularView& tb = b->snap.tab;
    const DiscreteEnv& denv = *a->snap.env->tabular();
    if (ta.nS == 0 || tb.nS != ta.nS || ta.v.size() != tb.v.size()) {
        ImGui::TextDisabled("A/B: waiting for both runs' first step");
        return true;
    }
    const GridLayout g = denv.layout();
    // ΔV = V_B − V_A, and the states where the greedy actions differ (from Q where there is one, else π).
    std::vector<double> dv(ta.v.size());
    double lo = INFINITY, hi = -INFINITY, dmax = 1e-9;
    for (size_t s = 0; s < dv.size(); ++s) {
        dv[s] = tb.v[s] - ta.v[s];
        dmax = std::max(dmax, std::fabs(dv[s]));
        lo = std::min({lo, ta.v[s], tb.v[s]}), hi = std::max({hi, ta.v[s], tb.v[s]});
    }
    if (!(hi > lo)) hi = lo + 1;
    const std::vector<int> ga = greedy_policy(ta.q.empty() ? ta.pi : ta.q, ta.nS, ta.nA);
    const std::vector<int> gb = greedy_policy(tb.q.empty() ? tb.pi : tb.q, tb.nS, tb.nA);
    std::vector<int> differ;
    for (int s = 0; s < ta.nS; ++s)
        if (!denv.is_terminal(s) && ga[size_t(s)] != gb[size_t(s)]) differ.push_back(s);
    ImGui::TextDisabled("A/B in lockstep at env step %lld: %s · greedy actions differ in %zu states (outlined)",
                        static_cast<long long>(a->snap.env_steps), app.ab->flipped.c_str(), differ.size());
    const float fs = ImGui::GetFontSize();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float label_h = ImGui::GetTextLineHeightWithSpacing();
    // Three grids in a row, or (a wide map: the cliff) one above the other, whichever gives larger cells.
    const float rows_n = float(g.rows * g.layers);
    const float beside = std::min((avail.x - fs * 8) / (3.0f * float(g.cols) + 1.0f), (avail.y - label_h * float(g.layers) - fs * 1.5f) / rows_n);
    const float stacked = std::min((avail.x - fs * 8) / float(g.cols), (avail.y - 3 * label_h * float(g.layers) - fs * 1.5f) / (3 * rows_n));
    const bool stack = stacked > beside * 1.15f;
    const float cell = std::max(10.0f, stack ? stacked : beside);
    GridViewOptions o;
    o.cell = cell, o.vmin = lo, o.vmax = hi, o.diverging = lo < 0;
    GridViewOptions od = o;
    od.vmin = -dmax, od.vmax = dmax, od.diverging = true, od.arrows = false, od.marked = differ;
    for (int layer = 0; layer < g.layers; ++layer) {
        ImGui::PushID(layer);
        ImGui::BeginGroup();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(a->color), "A: %s", a->label().c_str());
        GridViewOptions oa = o;
        oa.highlight_state = denv.state(), oa.marked = differ;
        value_grid("a", g, layer, g.tiles, ta.v, ta.pi, ta.nA, oa);
        ImGui::EndGroup();
        if (!stack) ImGui::SameLine();
        ImGui::BeginGroup();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(b->color), "B: %s", b->label().c_str());
        GridViewOptions ob = o;
        if (b->snap.env && b->snap.env->tabular()) ob.highlight_state = b->snap.env->tabular()->state();
        ob.marked = differ;
        value_grid("b", g, layer, g.tiles, tb.v, tb.pi, tb.nA, ob);
        ImGui::EndGroup();
        if (!stack) ImGui::SameLine();
        ImGui::BeginGroup();
        ImGui::TextUnformatted("ΔV = V_B − V_A");
        value_grid("d", g, layer, g.tiles, dv, {}, ta.nA, od);
        ImGui::EndGroup();
        ImGui::SameLine();
        colour_bar("dbar", -dmax, dmax, true, cell * float(g.rows));
        ImGui::PopID();
    }
    return true;
}

}  // namespace dl
