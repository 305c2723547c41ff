// Dream vs reality (world-model learners on CartPole): the newest real steps of the run, the model's reconstruction
// of each (the posterior: the model looking), and its dream (the prior run open loop from the state after the first
// `context` observed steps, fed the same real actions), frame by frame; observed (context) frames have blue borders,
// imagined ones orange. Under the strip, the prediction error per step of the horizon.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <GLFW/glfw3.h>

#include "app/gui/gui.h"
#include "core/nn/world_model.h"
#include "envs/cartpole.h"

namespace dl {

namespace {

// A cart and its pole in a small box: x ∈ [−2.4, 2.4] across, θ from the vertical.
void mini_cartpole(ImDrawList* dl, ImVec2 a, ImVec2 b, const float* s, ImU32 col) {
    const float w = b.x - a.x, h = b.y - a.y, track = a.y + h * 0.78f;
    dl->AddLine(ImVec2(a.x + 2, track), ImVec2(b.x - 2, track), IM_COL32(110, 110, 120, 255));
    const float cx = a.x + w * 0.5f + std::clamp(s[0] / 2.4f, -1.2f, 1.2f) * w * 0.45f;
    const float cw = w * 0.16f, ch = h * 0.08f;
    dl->AddRectFilled(ImVec2(cx - cw / 2, track - ch), ImVec2(cx + cw / 2, track), col);
    const float len = h * 0.6f;
    dl->AddLine(ImVec2(cx, track - ch), ImVec2(cx + len * std::sin(s[2]), track - ch - len * std::cos(s[2])), col, 2.5f);
}

struct DreamCache {
    const AgentFn* agent = nullptr;
    int context = -1;
    float temperature = -1;
    nn::SeqBatch seq;
    nn::WorldModel::OpenLoop result;
};

// Play in the dream: arrows (or A/D) push the imagined cart, the model answers with its prior at the chosen
// temperature; the dream ends when the model's continuation probability drops under one half. A too-calm dream is
// easy to balance — the World Models demo's lesson on exploiting a model.
void play_in_dream(App& app, const nn::WorldModelAgent& live) {
    const float fs = ImGui::GetFontSize();
    auto restart = [&] {
        app.dream_play_agent = std::make_shared<nn::WorldModelAgent>(live);
        const auto& a = static_cast<const nn::WorldModelAgent&>(*app.dream_play_agent);
        Rng rng(uint64_t(app.dream_play_steps) + 17);
        nn::WorldModel::State s;
        a.model.observe_first(s, a.recent.obs.back(), rng, 0.0f);  // start from the newest real frame
        app.dream_play_h = s.h, app.dream_play_z = s.z;
        app.dream_play_steps = 0, app.dream_play_return = 0, app.dream_play_cont = 1, app.dream_play_over = false;
        app.dream_play_next = ImGui::GetTime() + 0.5;
    };
    if (!app.dream_play_agent) restart();
    const auto& a = static_cast<const nn::WorldModelAgent&>(*app.dream_play_agent);
    nn::WorldModel::State s{app.dream_play_h, app.dream_play_z};
    if (ImGui::IsKeyDown(GLFW_KEY_LEFT) || ImGui::IsKeyDown(GLFW_KEY_A)) app.dream_play_action = 0;
    if (ImGui::IsKeyDown(GLFW_KEY_RIGHT) || ImGui::IsKeyDown(GLFW_KEY_D)) app.dream_play_action = 1;
    if (ImGui::IsKeyPressed(GLFW_KEY_R, false)) restart();
    const double now = ImGui::GetTime();
    if (!app.dream_play_over && now >= app.dream_play_next) {
        static Rng rng(99);
        a.model.step_prior(s, {app.dream_play_action}, rng, app.dream_temperature);
        nn::Mat r, c;
        a.model.predict(s, r, c);
        app.dream_play_return += r(0, 0), app.dream_play_cont = c(0, 0), ++app.dream_play_steps;
        app.dream_play_over = c(0, 0) < 0.5f;
        app.dream_play_h = s.h, app.dream_play_z = s.z;
        app.dream_play_next = std::max(app.dream_play_next + 0.1, now - 0.1);  // 10 steps a second
    }
    nn::Mat obs;
    a.model.decode(s, obs);
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const float size = std::min(ImGui::GetContentRegionAvail().x, fs * 16);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(o, ImVec2(o.x + size, o.y + size * 0.6f), IM_COL32(24, 26, 32, 255));
    dl->AddRect(o, ImVec2(o.x + size, o.y + size * 0.6f), IM_COL32(240, 150, 50, 255), 0, 0, 2);
    mini_cartpole(dl, o, ImVec2(o.x + size, o.y + size * 0.6f), obs.data(), IM_COL32(255, 170, 80, 255));
    ImGui::Dummy(ImVec2(size, size * 0.6f));
    ImGui::Text("dream step %d · dreamed return %.1f · P(continue) %.2f%s", app.dream_play_steps, app.dream_play_return,
                app.dream_play_cont, app.dream_play_over ? " · the model says the pole fell (R: again)" : "");
    ImGui::TextDisabled("←/→ (or A/D) push the cart; the dream starts from the newest real frame");
}

}  // namespace

bool panel_dream(App& app) {
    RunSlot* run = app.current();
    const auto* wm_agent = run ? dynamic_cast<const nn::WorldModelAgent*>(run->snap.agent.get()) : nullptr;
    if (!wm_agent || !dynamic_cast<const CartPole*>(run->snap.env.get())) return false;
    const nn::SeqBatch& recent = wm_agent->recent;
    if (recent.L < 4) {
        ImGui::TextDisabled("waiting for real experience…");
        return true;
    }
    const float fs = ImGui::GetFontSize();
    ImGui::SetNextItemWidth(fs * 8);
    ImGui::SliderInt("observed steps", &app.dream_context, 1, 12);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the model filters this many real frames, then dreams on with the real actions");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(fs * 8);
    ImGui::SliderFloat("dream temperature", &app.dream_temperature, 0.0f, 2.0f, "%.2f");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("0: the model's most likely future; 1: sampled as learned; above 1: wilder");

    ImGui::SameLine();
    if (ImGui::Checkbox("play in the dream", &app.dream_play)) app.dream_play_agent.reset();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("drive the model's imagined CartPole with ←/→; the temperature sets how wild the dream is");
    if (app.dream_play) {
        play_in_dream(app, *wm_agent);
        return true;
    }

    static DreamCache cache;
    if (cache.agent != wm_agent || cache.context != app.dream_context || cache.temperature != app.dream_temperature) {
        // The newest 16 steps, as one sequence from a fresh state.
        const int L = std::min(16, recent.L), off = recent.L - L;
        nn::SeqBatch seq;
        seq.L = L, seq.B = 1;
        for (int t = 0; t < L; ++t) {
            seq.obs.push_back(recent.obs[size_t(off + t)]);
            seq.prev_action.push_back(recent.prev_action[size_t(off + t)]);
            seq.reward.push_back(recent.reward[size_t(off + t)]);
            seq.cont.push_back(recent.cont[size_t(off + t)]);
            seq.first.push_back(t == 0 ? nn::Mat::Ones(1, 1) : recent.first[size_t(off + t)]);
        }
        Rng rng(1);
        cache.result = wm_agent->model.open_loop(seq, app.dream_context, rng, app.dream_temperature);
        cache.seq = std::move(seq);
        cache.agent = wm_agent, cache.context = app.dream_context, cache.temperature = app.dream_temperature;
    }
    const nn::SeqBatch& seq = cache.seq;
    const auto& r = cache.result;

    // The strip: one column per step, rows real / reconstruction / dream.
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float label_w = fs * 7.5f;
    const float cell = std::max(fs * 2, std::min((avail.x - label_w) / float(seq.L), (avail.y - fs * 8) / 3.4f));
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const char* rows[] = {"real", "reconstruction", "dream"};
    const ImU32 colours[] = {IM_COL32(235, 235, 235, 255), IM_COL32(120, 190, 255, 255), IM_COL32(255, 170, 80, 255)};
    for (int row = 0; row < 3; ++row) {
        const float y = o.y + row * (cell + 4);
        dl->AddText(ImVec2(o.x, y + cell * 0.4f), colours[row], rows[row]);
        for (int t = 0; t < seq.L; ++t) {
            const ImVec2 a(o.x + label_w + t * cell, y), b(a.x + cell - 3, y + cell);
            const bool observed = t < app.dream_context;
            dl->AddRectFilled(a, b, IM_COL32(24, 26, 32, 255));
            if (row == 2) dl->AddRect(a, b, observed ? IM_COL32(70, 130, 230, 255) : IM_COL32(240, 150, 50, 255), 0, 0, 2);
            const float* s = row == 0 ? seq.obs[size_t(t)].data() : row == 1 ? r.recon[size_t(t)].data() : r.dream[size_t(t)].data();
            mini_cartpole(dl, a, b, s, colours[row]);
            if (t > 0 && seq.first[size_t(t)](0, 0) > 0)  // a new real episode starts here; the dream does not know
                dl->AddLine(ImVec2(a.x - 2, y), ImVec2(a.x - 2, y + cell), IM_COL32(230, 60, 60, 255), 2);
        }
    }
    // Prediction error of the dream per step (mean squared error over the 4 state numbers).
    const float ey = o.y + 3 * (cell + 4) + fs * 0.3f, eh = fs * 3;
    double mx = 1e-9;
    for (double e : r.err) mx = std::max(mx, e);
    dl->AddText(ImVec2(o.x, ey + eh * 0.3f), IM_COL32(200, 200, 200, 255), "error");
    for (int t = 0; t < seq.L; ++t) {
        const float x0 = o.x + label_w + t * cell, frac = float(r.err[size_t(t)] / mx);
        dl->AddRectFilled(ImVec2(x0 + cell * 0.2f, ey + eh * (1 - frac)), ImVec2(x0 + cell * 0.8f, ey + eh),
                          t < app.dream_context ? IM_COL32(70, 130, 230, 255) : IM_COL32(240, 150, 50, 255));
    }
    ImGui::Dummy(ImVec2(label_w + seq.L * cell, 3 * (cell + 4) + eh + fs * 0.5f));
    char buf[128];
    std::snprintf(buf, sizeof buf, "dream error (MSE) at horizons 1, 5, 10: %.4f  %.4f  %.4f   (tallest bar %.4f)",
                  app.dream_context + 0 < seq.L ? r.err[size_t(app.dream_context)] : NAN,
                  app.dream_context + 4 < seq.L ? r.err[size_t(app.dream_context + 4)] : NAN,
                  app.dream_context + 9 < seq.L ? r.err[size_t(app.dream_context + 9)] : NAN, mx);
    ImGui::TextDisabled("%s", buf);
    return true;
}

}  // namespace dl
