// The timeline strip under the plots: the selected run's checkpoints (core/rl/timeline.h) along its training, the
// point on show, its branches. Drag back and the views show the agent as it was there (value maps, arrows, dreams);
// "Branch here" starts a new run from that state, optionally with changed hyperparameters.
#include <cinttypes>
#include <cstdio>

#include "app/gui/gui.h"
#include "core/algos/registry.h"

namespace dl {

struct TimelinePanelState {
    int branch_of = -1;                       // the run whose branch form is open (its id)
    std::shared_ptr<const TrainingState> at;  // where the branch starts
    std::unique_ptr<ArgsBase> draft;          // the hyperparameters there, edited
    std::map<std::string, std::string> changes;
};

namespace {

std::string units_text(int64_t units, bool planner) {
    char buf[48];
    if (units >= 10000) std::snprintf(buf, sizeof buf, "%s %.3gk", planner ? "sweep" : "env step", double(units) / 1000);
    else std::snprintf(buf, sizeof buf, "%s %" PRId64, planner ? "sweep" : "env step", units);
    return buf;
}

void branch_form(App& app, TimelinePanelState& st) {
    if (st.branch_of < 0) return;
    RunSlot* parent = find_run(app, st.branch_of);
    if (!parent || !st.at) {
        st.branch_of = -1;
        return;
    }
    ImGui::OpenPopup("Branch here");
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + vp->WorkSize.x * 0.5f, vp->WorkPos.y + vp->WorkSize.y * 0.5f), ImGuiCond_Appearing,
                            ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x * 0.45f, vp->WorkSize.y * 0.6f), ImGuiCond_Appearing);
    bool open = true;
    if (ImGui::BeginPopupModal("Branch here", &open)) {
        const bool planner = parent->session && parent->session->algo().planner;
        ImGui::TextWrapped("A new run from %s of %s at %s (episode %" PRId64 "): the same state, then whatever you change "
                           "below. Its curves start at the branch point; the parent goes on unchanged.",
                           parent->label().c_str(), parent->cfg.env_id.c_str(), units_text(planner ? st.at->updates : st.at->env_steps, planner).c_str(),
                           st.at->episodes);
        ImGui::TextDisabled("Hyperparameters marked \"now\" can change here (and the run's length); \"restart\" ones shaped "
                            "what the checkpoint holds.");
        ImGui::Separator();
        std::vector<std::pair<std::string, std::string>> changed;
        ImGui::BeginChild("##args", ImVec2(0, -ImGui::GetFrameHeightWithSpacing() * 1.5f), false);
        param_editor(*st.draft, changed, true);
        ImGui::EndChild();
        for (const auto& [k, v] : changed) st.changes[k] = v;
        std::string what;
        for (const auto& [k, v] : st.changes)
            if (auto it = st.at->args.find(k); it == st.at->args.end() || it->second != v) what += (what.empty() ? "" : ", ") + k + "=" + v;
        if (ImGui::Button(what.empty() ? "Continue from here (no change)" : ("Branch with " + what).c_str())) {
            branch_run(app, *parent, st.at, st.changes);
            st.branch_of = -1;
            ImGui::CloseCurrentPopup();
        }
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) {
            st.branch_of = -1;
            ImGui::CloseCurrentPopup();
        }
        ImGui::EndPopup();
    }
    if (!open) st.branch_of = -1;
}

}  // namespace

void panel_timeline(App& app) {
    if (!app.timeline_panel) app.timeline_panel = std::make_shared<TimelinePanelState>();
    TimelinePanelState& st = *app.timeline_panel;
    branch_form(app, st);
    RunSlot* run = app.current();
    if (!run || !run->session || !run->session->timeline()) {
        ImGui::TextDisabled("Timeline: no run");
        return;
    }
    const float fs = ImGui::GetFontSize();
    const bool planner = run->session->algo().planner;
    const auto& tl = *run->session->timeline();
    const auto states = tl.states();
    // The strip's axis: env steps (sweeps for a planner), whatever unit the timeline counts its interval in.
    auto at = [&](const TrainingState& s) { return planner ? s.updates : s.env_steps; };
    const int64_t live = planner ? run->live.updates : run->live.env_steps;
    const int64_t span = std::max<int64_t>({1, live, states.empty() ? 0 : at(*states.back())});

    // The strip: the run's training along env steps (sweeps), its checkpoints, the point on show, its branches.
    auto draw_strip = [&](ImVec2 size) {
        const ImVec2 p0 = ImGui::GetCursorScreenPos();
        const float w = size.x, h = size.y;
        ImGui::InvisibleButton("##strip", ImVec2(std::max(w, 10.0f), std::max(h, 10.0f)));
        const bool hovered = ImGui::IsItemHovered(), active = ImGui::IsItemActive();
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const float x0 = p0.x + fs * 0.5f, x1 = p0.x + w - fs * 0.5f, ym = p0.y + h * 0.5f;
        auto X = [&](int64_t u) { return x0 + float(double(u) / double(span)) * (x1 - x0); };
        const float bar = fs * 0.3f;  // half the bar's thickness
        dl->AddRectFilled(ImVec2(x0, ym - bar), ImVec2(x1, ym + bar), IM_COL32(55, 60, 70, 255), bar);
        // Trained so far (in the run's colour); a branch's inherited part in its parent's colour.
        if (run->parent_id && run->branch_units >= 0) {
            const RunSlot* p = find_run(app, run->parent_id);
            dl->AddRectFilled(ImVec2(x0, ym - bar), ImVec2(X(run->branch_units), ym + bar),
                              p ? (p->color & 0x00ffffff) | 0x90000000 : IM_COL32(120, 120, 120, 144), bar);
            dl->AddRectFilled(ImVec2(X(run->branch_units), ym - bar), ImVec2(X(live), ym + bar), run->color, bar);
        } else {
            dl->AddRectFilled(ImVec2(x0, ym - bar), ImVec2(X(live), ym + bar), run->color, bar);
        }
        for (const auto& s : states)
            dl->AddLine(ImVec2(X(at(*s)), ym - fs * 0.55f), ImVec2(X(at(*s)), ym + fs * 0.55f), IM_COL32(220, 225, 235, 170), 1.5f);
        // Branches taken from this run: a triangle in the branch's colour at its branch point.
        for (const auto& r : app.runs)
            if (r->parent_id == run->id && r->branch_units >= 0) {
                const float x = X(r->branch_units);
                dl->AddTriangleFilled(ImVec2(x, ym + bar), ImVec2(x - fs * 0.45f, ym + fs * 0.95f), ImVec2(x + fs * 0.45f, ym + fs * 0.95f),
                                      r->color);
            }
        if (run->rewind) {
            const float x = X(at(*run->rewind));
            dl->AddCircleFilled(ImVec2(x, ym), fs * 0.42f, IM_COL32(255, 255, 255, 255));
            dl->AddCircle(ImVec2(x, ym), fs * 0.42f, IM_COL32(0, 0, 0, 255), 0, 2.0f);
        } else {
            dl->AddCircleFilled(ImVec2(X(live), ym), fs * 0.3f, run->color);
        }
        // Dragging picks the newest checkpoint at or before the mouse; past the newest one, the run is live again.
        if (!states.empty() && (hovered || active)) {
            const float mx = ImGui::GetIO().MousePos.x;
            const int64_t u = int64_t(double(std::clamp(mx, x0, x1) - x0) / double(x1 - x0) * double(span));
            std::shared_ptr<const TrainingState> pick = states.front();
            for (const auto& s : states)
                if (at(*s) <= u) pick = s;
            const bool to_live = u > at(*states.back()) + span / 50 || mx >= x1;
            if (active) rewind_run(app, *run, to_live ? nullptr : pick);
            else
                ImGui::SetTooltip("%s: %s, episode %" PRId64 "\ndrag to see the agent as it was; Branch here… to go on from it",
                                  to_live ? "now" : "checkpoint", units_text(to_live ? live : at(*pick), planner).c_str(),
                                  to_live ? run->live.episodes : pick->episodes);
        }
    };

    // --- line 1: what is on show, the budget, the actions; line 2: the strip. Where there is room for one line only
    // (a large font), the strip sits on that line between a short label and the budget ---
    const bool compact = ImGui::GetContentRegionAvail().y < fs * 2.4f;
    ImGui::AlignTextToFramePadding();
    if (run->rewind) {
        if (compact)
            ImGui::TextColored(ImVec4(1, 0.85f, 0.4f, 1), "At %s", units_text(at(*run->rewind), planner).c_str());
        else
            ImGui::TextColored(ImVec4(1, 0.85f, 0.4f, 1), "Rewound: %s at %s, episode %" PRId64, run->label().c_str(),
                               units_text(at(*run->rewind), planner).c_str(), run->rewind->episodes);
        if (run->rewind_loading.valid() && !run->rewind_shown) {
            ImGui::SameLine();
            ImGui::TextDisabled("(rebuilding its views…)");
        }
        ImGui::SameLine();
        if (ImGui::Button("Back to now")) rewind_run(app, *run, nullptr);
    }
    char budget[96];
    std::snprintf(budget, sizeof budget, "%zu checkpoint%s · %.1f of %.0f MB", states.size(), states.size() == 1 ? "" : "s",
                  double(tl.bytes_used()) / (1 << 20),
                  double(tl.options().budget_bytes) / (1 << 20));
    const char* branch_label = "Branch here…";
    const float right = ImGui::CalcTextSize(budget).x + button_width(branch_label) + fs * 1.5f;
    const float line_end = ImGui::GetWindowContentRegionMax().x;
    if (!run->rewind) {
        // The longest of these that leaves room for the budget and the button (a large font drops the hint first).
        std::string branch;
        if (run->parent_id) {
            const RunSlot* p = find_run(app, run->parent_id);
            branch = " · branch of " + (p ? p->label() : std::string("a closed run")) + " at " + units_text(run->branch_units, planner) +
                     ": " + run->branch_note;
        }
        const std::string head = compact ? std::string("Timeline") : "Timeline: " + run->label() + " at " + units_text(live, planner);
        std::string text = compact ? head : head + branch + (run->parent_id ? "" : "  (drag back to see the agent as it was)");
        if (ImGui::CalcTextSize(text.c_str()).x + right > line_end) text = head + branch;
        if (ImGui::CalcTextSize(text.c_str()).x + right > line_end) text = head;
        ImGui::TextUnformatted(text.c_str());
    }
    ImGui::SameLine();
    if (compact) {
        const float strip_w = line_end - right - ImGui::GetCursorPosX() - fs * 0.5f;
        if (strip_w > fs * 4) draw_strip(ImVec2(strip_w, ImGui::GetFrameHeight()));
        ImGui::SameLine();
    }
    ImGui::SetCursorPosX(std::max(ImGui::GetCursorPosX() + fs * 0.5f, line_end - right));
    ImGui::TextDisabled("%s", budget);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Checkpoints of the whole training state (networks, optimiser, buffers, envs, random streams).\n"
                          "Past the budget, old ones are thinned: dense near now, sparse far back.");
    ImGui::SameLine();
    ImGui::BeginDisabled(states.empty());
    if (ImGui::Button(branch_label)) {
        st.branch_of = run->id;
        st.at = run->rewind ? run->rewind : states.back();
        st.draft = make_algo_args(run->cfg.algo_id, {});
        set_params(*st.draft, st.at->args);
        st.changes.clear();
    }
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("a new run from the point on show (or the newest checkpoint), with the changes you pick");
    if (!compact)
        draw_strip(ImVec2(ImGui::GetContentRegionAvail().x, std::max(fs * 1.0f, ImGui::GetContentRegionAvail().y - 2)));

}

}  // namespace dl
