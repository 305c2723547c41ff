// Run setup: the runs being compared, and the selected run's environment, algorithm and hyperparameters.
// Every control is generated from the parameter declarations (name, range, doc, applies now / restart).
#include <cstring>

#include "app/gui/gui.h"
#include "core/algos/registry.h"
#include "core/session/run_config.h"
#include "envs/registry.h"

namespace dl {

void same_line_if_fits(float width) {
    const float right = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + width;
    if (right <= ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) ImGui::SameLine();
}
float button_width(const char* label) { return ImGui::CalcTextSize(label, nullptr, true).x + ImGui::GetStyle().FramePadding.x * 2; }
float checkbox_width(const char* label) {
    return ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(label, nullptr, true).x;
}
float labelled_width(float item_width, const char* label) {
    const float text = ImGui::CalcTextSize(label, nullptr, true).x;
    return item_width + (text > 0 ? ImGui::GetStyle().ItemInnerSpacing.x + text : 0);
}

void help_marker(const char* text) {
    ImGui::SameLine();
    ImGui::TextDisabled("(?)");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", text);
}

namespace {

// Draws one widget per declared parameter; records (name, new value) for each edit.
class ImGuiParamEditor : public ParamVisitor {
public:
    ImGuiParamEditor(std::vector<std::pair<std::string, std::string>>& changed, bool show_apply)
        : changed_(changed), show_apply_(show_apply) {}

    void real(const char* name, double& v, double lo, double hi, const char* doc, Apply a, bool log_scale) override {
        begin(name);
        double x = v;
        const bool log = log_scale && hi / std::max(lo, 1e-12) > 50;
        if (ImGui::SliderScalar("##v", ImGuiDataType_Double, &x, &lo, &hi, "%.4g",
                                (log ? ImGuiSliderFlags_Logarithmic : 0) | ImGuiSliderFlags_AlwaysClamp))
            v = x, changed_.push_back({name, format_number(v)});
        end(name, doc, a, format_number(lo) + " … " + format_number(hi));
    }
    void integer(const char* name, int64_t& v, int64_t lo, int64_t hi, const char* doc, Apply a) override {
        begin(name);
        int64_t x = v;
        const int64_t step = 1, fast = std::max<int64_t>(1, (hi - lo) / 100 > 1000 ? 1000 : 10);
        if (ImGui::InputScalar("##v", ImGuiDataType_S64, &x, &step, &fast)) {
            x = std::clamp(x, lo, hi);
            if (x != v) v = x, changed_.push_back({name, std::to_string(v)});
        }
        end(name, doc, a, std::to_string(lo) + " … " + std::to_string(hi));
    }
    void flag(const char* name, bool& v, const char* doc, Apply a) override {
        begin(name);
        if (ImGui::Checkbox("##v", &v)) changed_.push_back({name, v ? "true" : "false"});
        end(name, doc, a, "on / off");
    }
    void choice(const char* name, std::string& v, const std::vector<std::string>& options, const char* doc, Apply a) override {
        begin(name);
        if (ImGui::BeginCombo("##v", v.c_str())) {
            for (const auto& o : options)
                if (ImGui::Selectable(o.c_str(), o == v) && o != v) v = o, changed_.push_back({name, v});
            ImGui::EndCombo();
        }
        std::string all;
        for (const auto& o : options) all += (all.empty() ? "" : ", ") + o;
        end(name, doc, a, all);
    }
    void text(const char* name, std::string& v, const char* doc, Apply a) override {
        begin(name);
        char buf[1024];
        std::snprintf(buf, sizeof buf, "%s", v.c_str());
        if (ImGui::InputText("##v", buf, sizeof buf, ImGuiInputTextFlags_EnterReturnsTrue)) v = buf, changed_.push_back({name, v});
        end(name, doc, a, "text (Enter to apply)");
    }

private:
    void begin(const char* name) {
        ImGui::PushID(name);
        ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.55f);
    }
    void end(const char* name, const char* doc, Apply a, const std::string& range) {
        const bool hovered = ImGui::IsItemHovered();
        ImGui::SameLine();
        ImGui::TextUnformatted(name);
        const bool label_hovered = ImGui::IsItemHovered();
        if (show_apply_) {
            ImGui::SameLine();
            if (a == Apply::Now) ImGui::TextColored(ImVec4(0.45f, 0.85f, 0.45f, 1), "now");
            else ImGui::TextColored(ImVec4(0.95f, 0.65f, 0.3f, 1), "restart");
        }
        if (hovered || label_hovered || ImGui::IsItemHovered())
            ImGui::SetTooltip("%s\nallowed: %s\n%s", doc, range.c_str(),
                              a == Apply::Now      ? "applies now, while the run goes on"
                              : a == Apply::Length ? "needs a restart of the run (a branch from the timeline may change it)"
                                                   : "needs a restart of the run");
        ImGui::PopID();
    }
    std::vector<std::pair<std::string, std::string>>& changed_;
    bool show_apply_;
};

}  // namespace

bool param_editor(ArgsBase& args, std::vector<std::pair<std::string, std::string>>& changed, bool show_apply) {
    ImGuiParamEditor ed(changed, show_apply);
    args.visit(ed);
    return !changed.empty();
}

void panel_setup(App& app) {
    const float fs = ImGui::GetFontSize();
    // --- the runs ---
    ImGui::PushTextWrapPos(0);  // a narrow column (a large font) wraps the heading instead of cutting it
    ImGui::TextDisabled("RUNS (curves overlaid; click to edit)");
    ImGui::PopTextWrapPos();
    if (app.runs.empty())
        ImGui::TextWrapped(app.view == App::View::Sweep
                               ? "No runs: the explorer shows the sweep's trials; open one as a run from its Trials tab, or pick a lesson."
                               : "No runs: this lesson is a concept view. Pick a training lesson from the Lessons menu.");
    for (int i = 0; i < int(app.runs.size()); ++i) {
        RunSlot& r = *app.runs[i];
        ImGui::PushID(r.id);
        // Branches sit under their parent (a tree: a branch of a branch one step further in).
        int depth = 0;
        for (const RunSlot* p = &r; p->parent_id && depth < 6; ++depth) {
            const RunSlot* q = find_run(app, p->parent_id);
            if (!q) break;
            p = q;
        }
        if (depth) ImGui::Indent(fs * float(depth));
        ImGui::Checkbox("##vis", &r.visible);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("show this run's curves");
        ImGui::SameLine();
        ImGui::ColorButton("##c", ImGui::ColorConvertU32ToFloat4(r.color), ImGuiColorEditFlags_NoTooltip, ImVec2(fs * 0.8f, fs * 0.8f));
        ImGui::SameLine();
        // One line where it fits, else the run's name over its env and seed (a Selectable takes a label of lines).
        std::string text = r.label() + "  on " + r.cfg.env_id + "  seed " + std::to_string(r.cfg.seed);
        if (ImGui::CalcTextSize(text.c_str()).x > ImGui::GetContentRegionAvail().x)
            text = r.label() + "\non " + r.cfg.env_id + "\nseed " + std::to_string(r.cfg.seed);
        if (ImGui::Selectable(text.c_str(), app.selected == i)) {
            app.selected = i;
            load_draft(app);
        }
        if (r.parent_id && ImGui::IsItemHovered()) {
            const RunSlot* p = find_run(app, r.parent_id);
            ImGui::SetTooltip("branched from %s at env step %lld (sweep for a planner): %s", p ? p->label().c_str() : "a closed run",
                              static_cast<long long>(r.branch_units), r.branch_note.c_str());
        }
        if (depth) ImGui::Unindent(fs * float(depth));
        ImGui::PopID();
    }
    if (ImGui::Button("Clone run") && app.current()) {
        RunConfig c = app.current()->cfg;
        add_run(app, c);
        app.selected = int(app.runs.size()) - 1;
        load_draft(app);
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("a copy of the selected run, selected for editing: change one thing, Apply, and compare the curves");
    ImGui::SameLine();
    if (ImGui::Button("+ Seed") && app.current()) {
        RunConfig c = app.current()->cfg;
        c.seed += 1;
        for (bool clash = true; clash;) {
            clash = false;
            for (auto& r : app.runs) clash |= r->cfg.seed == c.seed && r->cfg.algo_id == c.algo_id;
            if (clash) ++c.seed;
        }
        add_run(app, c);
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the same run with another seed (runs differing only by seed are averaged as mean ± std)");
    ImGui::SameLine();
    ImGui::BeginDisabled(app.runs.size() <= 1);
    if (ImGui::Button("Remove")) {
        if (in_ab(app, *app.runs[size_t(app.selected)])) stop_ab(app);  // the pair holds its sessions
        app.runs.erase(app.runs.begin() + app.selected);
        app.selected = std::max(0, app.selected - 1);
        load_draft(app);
    }
    ImGui::EndDisabled();
    same_line_if_fits(button_width("Sweep..."));
    if (ImGui::Button("Sweep...") && app.current()) start_sweep_form(app);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("many runs of the selected one: up to two hyperparameters x values x seeds, shown in the sweep explorer");
    same_line_if_fits(button_width("Compare A/B..."));
    if (ImGui::Button("Compare A/B...") && app.current()) open_ab_form(app);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("the selected run and a copy with switches flipped (or another algorithm), from the same seed,\n"
                          "advancing in lockstep: at every moment both have taken the same number of steps");
    if (app.ab) {
        ImGui::TextColored(ImVec4(1, 0.85f, 0.4f, 1), "A/B in lockstep: %s", app.ab->flipped.c_str());
        ImGui::SameLine();
        if (ImGui::SmallButton("end")) stop_ab(app);
    }
    ImGui::Separator();

    RunSlot* run = app.current();
    if (!run || !app.draft_env || !app.draft_algo) return;
    std::vector<std::pair<std::string, std::string>> changed;

    // --- environment ---
    ImGui::TextDisabled("ENVIRONMENT");
    ImGui::SetNextItemWidth(-1);
    if (ImGui::BeginCombo("##env", app.draft_env_id.c_str())) {
        for (const auto& e : env_registry()) {
            if (ImGui::Selectable(e.id.c_str(), e.id == app.draft_env_id) && e.id != app.draft_env_id) {
                app.draft_env_id = e.id;
                app.draft_env = e.make_args();
                app.restart_needed = true;
            }
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", e.summary.c_str());
        }
        ImGui::EndCombo();
    }
    if (ImGui::TreeNodeEx("environment arguments", ImGuiTreeNodeFlags_None)) {
        if (param_editor(*app.draft_env, changed, false)) app.restart_needed = true;
        ImGui::TreePop();
    }
    changed.clear();

    // --- algorithm ---
    ImGui::Spacing();
    ImGui::TextDisabled("ALGORITHM");
    ImGui::SetNextItemWidth(-1);
    if (ImGui::BeginCombo("##algo", find_algo(app.draft_algo_id).title.c_str())) {
        for (const auto& a : algo_registry()) {
            if (ImGui::Selectable(a.title.c_str(), a.id == app.draft_algo_id) && a.id != app.draft_algo_id) {
                app.draft_algo_id = a.id;
                app.draft_algo = a.make_args();
                app.restart_needed = true;
            }
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", a.summary.c_str());
        }
        ImGui::EndCombo();
    }
    ImGui::TextWrapped("%s", find_algo(app.draft_algo_id).summary.c_str());
    param_editor(*app.draft_algo, changed, true);
    // "now" parameters reach the running session at its next tick; the rest wait for a restart.
    const bool same_algo = app.draft_algo_id == run->cfg.algo_id && app.draft_env_id == run->cfg.env_id;
    for (const auto& [name, value] : changed) {
        bool live = false;
        for (const auto& s : describe(*app.draft_algo))
            if (s.name == name) live = s.apply == Apply::Now;
        if (live && same_algo && run->session && !run->snap.finished) {
            run->session->set_live(name, value);
            run->cfg.algo_args[name] = value;
        } else {
            app.restart_needed = true;
        }
    }
    int64_t seed = int64_t(app.draft_seed);
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.55f);
    if (ImGui::InputScalar("seed", ImGuiDataType_S64, &seed)) {
        app.draft_seed = uint64_t(std::max<int64_t>(0, seed));
        app.restart_needed = true;
    }

    ImGui::Spacing();
    if (app.restart_needed) ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(0.85f, 0.45f, 0.15f, 1));
    if (ImGui::Button("Apply and restart this run", ImVec2(-1, fs * 1.8f))) {
        try {
            RunConfig c = draft_config(app);
            validate_config(c);
            restart_run(app, *run, c);
            app.restart_needed = false;
            app.setup_error.clear();
        } catch (const std::exception& e) {
            app.setup_error = e.what();
        }
    }
    if (app.restart_needed) ImGui::PopStyleColor();
    if (!app.setup_error.empty()) ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "%s", app.setup_error.c_str());
    else if (app.restart_needed) ImGui::TextColored(ImVec4(0.95f, 0.65f, 0.3f, 1), "changes wait for a restart");
}

}  // namespace dl
