// Transport: play/pause, single steps (env step, episode, sweep), speed from 1 step/s to unthrottled, and
// what every run is doing right now.
#include <cmath>
#include <cstdio>
#include <string>

#include "app/gui/gui.h"

namespace dl {

namespace {
// Buttons flow onto the next line when the panel is too narrow for them (a large font), never clipped.
void same_line_if_fits(const char* label) { dl::same_line_if_fits(button_width(label)); }
}  // namespace

void panel_transport(App& app) {
    const float fs = ImGui::GetFontSize();
    if (ImGui::Button(app.playing ? "Pause" : "Play", ImVec2(fs * 5, fs * 1.8f))) {
        app.playing = !app.playing;
        apply_transport(app);
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Space: play / pause every run");
    same_line_if_fits("Step");
    if (ImGui::Button("Step", ImVec2(0, fs * 1.8f))) step_all(app, Tick::EnvStep);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("N: one env step (a planner does one sweep)");
    same_line_if_fits("Episode");
    if (ImGui::Button("Episode", ImVec2(0, fs * 1.8f))) step_all(app, Tick::Episode);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("E: run to the end of the current episode");
    same_line_if_fits("Update");
    if (ImGui::Button("Update", ImVec2(0, fs * 1.8f))) step_all(app, Tick::Update);
    if (ImGui::IsItemHovered()) {
        const RunSlot* r = app.current();
        const std::string means = r && r->session ? r->session->algo().update_means : "";
        ImGui::SetTooltip("run to the next update%s%s", means.empty() ? " (this algorithm has none: one env step)" : ": ", means.c_str());
    }
    same_line_if_fits("Restart");
    if (ImGui::Button("Restart", ImVec2(0, fs * 1.8f)))
        for (auto& r : app.runs) restart_run(app, *r, r->cfg);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("start every run again from scratch (same seeds)");

    // Speed: logarithmic from 1 to 100k steps per second, or no limit at all.
    // The slider beside "no limit" where both fit, else across the panel with "no limit" under it.
    const float beside_w = ImGui::GetContentRegionAvail().x - checkbox_width("no limit") - ImGui::GetStyle().ItemSpacing.x;
    const bool beside = beside_w >= fs * 7;
    ImGui::SetNextItemWidth(beside ? beside_w : ImGui::GetContentRegionAvail().x);
    if (ImGui::SliderFloat("##speed", &app.speed, 1.0f, 100000.0f, app.unthrottled ? "unthrottled" : "%.0f steps/s",
                           ImGuiSliderFlags_Logarithmic)) {
        app.unthrottled = false;
        apply_transport(app);
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("steps per second (sweeps per second for planners)");
    if (beside) ImGui::SameLine();
    if (ImGui::Checkbox("no limit", &app.unthrottled)) apply_transport(app);

    ImGui::Separator();
    for (auto& r : app.runs) {
        const Snapshot& s = r->snap;
        ImGui::ColorButton("##c", ImGui::ColorConvertU32ToFloat4(r->color), ImGuiColorEditFlags_NoTooltip, ImVec2(fs * 0.8f, fs * 0.8f));
        ImGui::SameLine();
        const char* state = !r->error.empty() ? "error" : s.finished ? "done" : s.paused || !app.playing ? "paused" : "running";
        // Wrapped, never clipped; the rate only while it runs (a paused run's last figure would be stale).
        char rate[32] = "";
        if (std::string(state) == "running" && s.steps_per_s > 0)
            std::snprintf(rate, sizeof rate, s.steps_per_s >= 1000 ? "  %.0fk/s" : "  %.0f/s", s.steps_per_s >= 1000 ? s.steps_per_s / 1000 : s.steps_per_s);
        if (r->session && r->session->algo().planner)
            ImGui::TextWrapped("%s  %s  sweep %lld", r->label().c_str(), state, (long long)s.updates);
        else
            ImGui::TextWrapped("%s  %s  ep %lld  step %lld%s", r->label().c_str(), state, (long long)s.episodes,
                               (long long)s.env_steps, rate);
        if (!r->error.empty()) ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "%s", r->error.c_str());
        if (!r->alert.empty() && r->session) {  // held at a NaN: the parameters are the last finite ones
            ImGui::PushID(r->id);
            ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.6f, 0.2f, 1));
            ImGui::TextWrapped("%s", r->alert.c_str());
            ImGui::PopStyleColor();
            if (ImGui::Button("Resume, skipping that update")) {
                r->session->controls().paused = false;
                r->session->controls().wake();
            }
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("go on from the last finite parameters, with the hyperparameters as they are now");
            same_line_if_fits("Stop this run");
            if (ImGui::Button("Stop this run")) r->session->stop();
            ImGui::PopID();
        }
    }
}

}  // namespace dl
