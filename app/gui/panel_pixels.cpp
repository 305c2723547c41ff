// What a pixel-game agent sees and wants (MinAtar): the current frame with a saliency overlay (|∂Q/∂pixel| for
// Q-learners, |∂V/∂pixel| for actor-critics, summed over the channels of each cell: where the network looks),
// the agent's Q-values or action probabilities as bars, V(s), and the channel legend.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/gui.h"
#include "envs/minatar/minatar.h"

namespace dl {

namespace {


}  // namespace

// What the pixel panel remembers between frames (App holds it opaquely).
struct PixelPanelState {
    bool show_saliency = true;
    std::vector<float> frame;  // the current frame when there is no agent yet
    Image image;
    Texture texture;
};

void panel_pixel_policy(App& app) {
    RunSlot* run = app.current();
    const PixelWorld* game = run && run->snap.env ? run->snap.env->pixel_world() : nullptr;
    if (!game) return;
    const Space sp = run->snap.env->observation_space();
    const AgentFn* agent = run->snap.agent.get();  // null until the worker answered with a readout
    const int C = game->channels(), D = sp.shape[0] * sp.shape[1] * C;

    if (!app.pixel_panel) app.pixel_panel = std::make_shared<PixelPanelState>();
    PixelPanelState& st = *app.pixel_panel;
    // The agent's readout (saliency, values) is computed on the worker; without one, the frame is observed here.
    run->want_views.pixels = true;
    const PixelReadout* px = run->snap.views.pixels.get();
    if (!px || int(px->obs.size()) != D) agent = nullptr;
    if (!px) {
        st.frame.assign(size_t(D), 0.0f);
        game->observe(st.frame.data());
    }
    const std::vector<float>& obs = px ? px->obs : st.frame;

    const float fs = ImGui::GetFontSize();
    ImGui::Checkbox("saliency", &st.show_saliency);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("|dQ/dpixel| (Q-learners) or |dV/dpixel| (actor-critics), summed over each cell's channels:\n"
                          "the brighter the outline, the more that cell moves the network's output");
    if (!agent) {
        ImGui::SameLine();
        ImGui::TextDisabled("(the algorithm has no networks to show yet)");
    }

    // The frame, drawn from the observation, with the overlay on top.
    const auto colours = game->palette();
    game->draw_obs(obs.data(), true, st.image);
    st.texture.upload(st.image);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float size = std::max(fs * 6, std::min(avail.y - fs * 0.5f, avail.x - fs * 16));
    const ImVec2 o = ImGui::GetCursorScreenPos();
    ImGui::Image(st.texture.id(), ImVec2(size, size));
    if (st.show_saliency && agent && px->has_saliency) {
        std::vector<float> cell(100, 0.0f);
        for (int i = 0; i < 100; ++i)
            for (int c = 0; c < C; ++c) cell[size_t(i)] += px->saliency[size_t(i * C + c)];
        const float mx = std::max(1e-12f, *std::max_element(cell.begin(), cell.end()));
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const float cs = size / minatar::kSize;
        for (int y = 0; y < minatar::kSize; ++y)
            for (int x = 0; x < minatar::kSize; ++x) {
                const float s = cell[size_t(y * 10 + x)] / mx;  // relative to the most looked-at cell
                if (s < 0.1f) continue;
                const ImVec2 a(o.x + x * cs + 2, o.y + y * cs + 2), b(o.x + (x + 1) * cs - 2, o.y + (y + 1) * cs - 2);
                dl->AddRectFilled(a, b, IM_COL32(255, 230, 90, int(70 * s)));
                dl->AddRect(a, b, IM_COL32(255, 230, 90, int(255 * s)), 0, 0, 1 + 3 * s);
            }
    }

    ImGui::SameLine();
    ImGui::BeginGroup();
    if (agent && px->actions.size()) {
        if (px->value.size()) ImGui::Text("V(s) = %.3f", px->value(0, 0));
        const auto names = run->snap.env->action_names();
        const float scale = agent->q_values ? std::max(1e-6f, px->actions.cwiseAbs().maxCoeff()) : 1.0f;
        Eigen::Index best = 0;
        px->actions.row(0).maxCoeff(&best);
        for (int a = 0; a < px->actions.cols(); ++a) {
            char label[64];
            std::snprintf(label, sizeof label, "%s%s %.3f", a == best ? "> " : "", names[size_t(a)].c_str(), px->actions(0, a));
            ImGui::PushStyleColor(ImGuiCol_PlotHistogram, ImGui::ColorConvertU32ToFloat4(run->color));
            ImGui::ProgressBar(std::clamp(px->actions(0, a) / scale, 0.0f, 1.0f), ImVec2(fs * 12, 0), label);
            ImGui::PopStyleColor();
        }
        ImGui::TextDisabled(agent->q_values ? "bars: Q(s, a)   > greedy" : "bars: π(a | s)   > greedy");
    }
    ImGui::Spacing();
    ImGui::TextDisabled("channels");
    const auto names = game->channel_names();
    for (int c = 0; c < C; ++c) {
        const Rgb k = colours[size_t(c)];
        ImGui::ColorButton(names[size_t(c)].c_str(), ImVec4(k.r / 255.f, k.g / 255.f, k.b / 255.f, 1), ImGuiColorEditFlags_NoTooltip,
                           ImVec2(fs * 0.8f, fs * 0.8f));
        ImGui::SameLine();
        ImGui::TextUnformatted(names[size_t(c)].c_str());
    }
    ImGui::EndGroup();
}

}  // namespace dl
