// Dream vs reality (world-model learners, any env): the newest real steps of the run, the model's reconstruction of
// each (the posterior: the model looking), its dream (the prior run open loop from the state after the first
// `context` observed steps, fed the same real actions) and the error between dream and reality, frame by frame;
// observed (context) frames have blue borders, imagined ones orange. Clicking a real frame branches the dream
// there (pause first to hold the strip still). Under the strip: the prediction error per step of the horizon, the
// latent sliders (move z's dimensions, watch the decoder's picture), and "play in the dream". Frozen Lake also gets
// the learned transition table beside the true one (panel_dream_transitions).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <GLFW/glfw3.h>

#include "app/gui/gui.h"
#include "core/rl/views.h"
#include "envs/minatar/minatar.h"

namespace dl {

namespace {

constexpr ImU32 kObserved = IM_COL32(70, 130, 230, 255), kImagined = IM_COL32(240, 150, 50, 255);
constexpr ImU32 kCellBg = IM_COL32(24, 26, 32, 255);

// How an observation vector is drawn in a box: CartPole's cart and pole, a MinAtar frame (a cell's channels blended
// by their values, so a dream's uncertain cells show faint), a grid world's one-hot state (each square as bright as
// the probability of the agent being there), or bars for anything else.
struct ObsPainter {
    enum Kind { Cart, Pixels, Grid, Bars } kind = Bars;
    int dim = 0, channels = 1, rows = 0, cols = 0;
    std::vector<Rgb> colours;     // Pixels: per channel
    std::vector<std::string> map; // Grid: Frozen Lake's rows (holes and goal marked)

    static ObsPainter of(const Env& env) {  // the env says how its observations look
        ObsPainter p;
        p.dim = env.obs_dim();
        const ObsLook look = env.obs_look();
        p.rows = look.rows, p.cols = look.cols, p.channels = look.channels, p.colours = look.colours, p.map = look.tiles;
        p.kind = look.kind == ObsLook::CartPole ? (p.dim == 4 ? Cart : Bars)
                 : look.kind == ObsLook::Pixels ? Pixels
                 : look.kind == ObsLook::Grid   ? Grid
                                                : Bars;
        return p;
    }

    float aspect() const { return kind == Cart ? 0.6f : kind == Bars ? 1.0f : float(rows) / float(cols); }  // height / width

    void draw(ImDrawList* dl, ImVec2 a, ImVec2 b, const float* s, ImU32 tint) const {
        dl->AddRectFilled(a, b, kCellBg);
        const float w = b.x - a.x, h = b.y - a.y;
        switch (kind) {
        case Cart: {
            const float track = a.y + h * 0.78f;
            dl->AddLine(ImVec2(a.x + 2, track), ImVec2(b.x - 2, track), IM_COL32(110, 110, 120, 255));
            const float cx = a.x + w * 0.5f + std::clamp(s[0] / 2.4f, -1.2f, 1.2f) * w * 0.45f;
            const float cw = w * 0.16f, ch = h * 0.08f, len = h * 0.6f;
            dl->AddRectFilled(ImVec2(cx - cw / 2, track - ch), ImVec2(cx + cw / 2, track), tint);
            dl->AddLine(ImVec2(cx, track - ch), ImVec2(cx + len * std::sin(s[2]), track - ch - len * std::cos(s[2])), tint, 2.5f);
            break;
        }
        case Pixels: {
            const float cw = w / float(cols), chh = h / float(rows);
            for (int y = 0; y < rows; ++y)
                for (int x = 0; x < cols; ++x) {
                    float r = 24, g = 26, bl = 32;
                    for (int c = channels - 1; c >= 0; --c) {  // channel 0 (the player) on top, as render() does
                        const float v = std::clamp(s[(y * cols + x) * channels + c], 0.0f, 1.0f);
                        const Rgb k = colours[size_t(c)];
                        r += (k.r - r) * v, g += (k.g - g) * v, bl += (k.b - bl) * v;
                    }
                    dl->AddRectFilled(ImVec2(a.x + x * cw, a.y + y * chh), ImVec2(a.x + (x + 1) * cw, a.y + (y + 1) * chh),
                                      IM_COL32(int(r), int(g), int(bl), 255));
                }
            break;
        }
        case Grid: {
            const float cw = w / float(cols), chh = h / float(rows);
            for (int y = 0; y < rows; ++y)
                for (int x = 0; x < cols; ++x) {
                    const ImVec2 p0(a.x + x * cw + 1, a.y + y * chh + 1), p1(a.x + (x + 1) * cw - 1, a.y + (y + 1) * chh - 1);
                    const char tile = map.empty() ? 'F' : map[size_t(y)][size_t(x)];
                    dl->AddRectFilled(p0, p1, tile == 'H' ? IM_COL32(20, 40, 90, 255) : tile == 'G' ? IM_COL32(60, 110, 50, 255)
                                                                                              : IM_COL32(48, 54, 66, 255));
                    const float v = std::clamp(s[y * cols + x], 0.0f, 1.0f);
                    if (v > 0.02f) {
                        ImVec4 c = ImGui::ColorConvertU32ToFloat4(tint);
                        c.w = v;
                        dl->AddCircleFilled(ImVec2((p0.x + p1.x) / 2, (p0.y + p1.y) / 2), 0.38f * std::min(cw, chh),
                                            ImGui::ColorConvertFloat4ToU32(c));
                    }
                }
            break;
        }
        case Bars: {
            const float bw = w / float(std::max(1, dim)), mid = a.y + h / 2;
            for (int i = 0; i < dim; ++i) {
                const float v = std::clamp(s[i] / 3.0f, -1.0f, 1.0f) * h * 0.45f;
                dl->AddRectFilled(ImVec2(a.x + i * bw + 1, std::min(mid, mid - v)), ImVec2(a.x + (i + 1) * bw - 1, std::max(mid, mid - v)), tint);
            }
            break;
        }
        }
    }

    // Where the dream departs from reality: per cell |dream − real| in red (pictures and grids); CartPole draws
    // reality faint under the dream.
    void draw_error(ImDrawList* dl, ImVec2 a, ImVec2 b, const float* real, const float* dream) const {
        if (kind == Cart) {
            draw(dl, a, b, real, IM_COL32(235, 235, 235, 90));
            const ImU32 c = kImagined;  // the dream in outline over reality
            const float w = b.x - a.x, h = b.y - a.y, track = a.y + h * 0.78f;
            const float cx = a.x + w * 0.5f + std::clamp(dream[0] / 2.4f, -1.2f, 1.2f) * w * 0.45f;
            const float cw = w * 0.16f, ch = h * 0.08f, len = h * 0.6f;
            dl->AddRect(ImVec2(cx - cw / 2, track - ch), ImVec2(cx + cw / 2, track), c);
            dl->AddLine(ImVec2(cx, track - ch), ImVec2(cx + len * std::sin(dream[2]), track - ch - len * std::cos(dream[2])), c, 1.5f);
            return;
        }
        dl->AddRectFilled(a, b, kCellBg);
        if (kind == Bars) {
            std::vector<float> d(static_cast<size_t>(dim));
            for (int i = 0; i < dim; ++i) d[size_t(i)] = std::fabs(dream[i] - real[i]);
            draw(dl, a, b, d.data(), IM_COL32(230, 70, 60, 255));
            return;
        }
        const float cw = (b.x - a.x) / float(cols), chh = (b.y - a.y) / float(rows);
        for (int y = 0; y < rows; ++y)
            for (int x = 0; x < cols; ++x) {
                float e = 0;
                for (int c = 0; c < channels; ++c) {
                    const int i = (y * cols + x) * channels + c;
                    e = std::max(e, std::fabs(dream[i] - real[i]));
                }
                if (e > 0.02f)
                    dl->AddRectFilled(ImVec2(a.x + x * cw, a.y + y * chh), ImVec2(a.x + (x + 1) * cw, a.y + (y + 1) * chh),
                                      IM_COL32(230, 70, 60, int(255 * std::min(1.0f, e))));
            }
    }
};

}  // namespace

// Everything the dream panel remembers between frames (App holds it opaquely: no other file reads it).
struct DreamPanelState {
    int context = 4;                 // observed steps before the dream runs open loop
    float temperature = 0.0f;        // the dream's noise (0: most likely future)
    // Playing in the dream: the student drives the model's imagined world from the keyboard.
    bool play = false;
    std::shared_ptr<const AgentFn> play_agent;  // the snapshot being played (held while playing)
    nn::Mat play_h, play_z;          // its latent state
    int play_action = 1, play_steps = 0;
    double play_return = 0, play_next = 0, play_cont = 1;
    bool play_over = false;
    float play_speed = 8;            // dreamed game steps per second (pixel games; CartPole plays at 10)
    Rng play_rng{99};                // the dream's noise while playing
    std::vector<float> latent_delta; // the latent sliders' offsets on z
};

namespace {

DreamPanelState& ds(App& app) {
    if (!app.dream_panel) app.dream_panel = std::make_shared<DreamPanelState>();
    return *app.dream_panel;
}

}  // namespace

void dream_set_context(App& app, int observed) { ds(app).context = std::clamp(observed, 1, 12); }

namespace {

// The keyboard's action for the dreamed env, or -1 for none this frame. CartPole: ←/→ held; MinAtar: the game
// keys (arrows/WASD, Space fires), latched between steps; grids: one step per arrow press; else number keys.
int dream_key_action(const Env& env, const ObsPainter& p, int& latched, bool& turn_based) {
    turn_based = p.kind == ObsPainter::Grid || p.kind == ObsPainter::Bars;
    if (p.kind == ObsPainter::Cart) {
        if (ImGui::IsKeyDown(GLFW_KEY_LEFT) || ImGui::IsKeyDown(GLFW_KEY_A)) latched = 0;
        if (ImGui::IsKeyDown(GLFW_KEY_RIGHT) || ImGui::IsKeyDown(GLFW_KEY_D)) latched = 1;
        return latched;
    }
    if (const PixelWorld* m = env.pixel_world()) {
        const int full = keyboard_action(latched);
        for (int i = 0; i < env.action_space().n; ++i)
            if (m->full_action(i) == full) return i;
        return 0;
    }
    if (p.kind == ObsPainter::Grid) {  // Frozen Lake's actions: left, down, right, up
        const int keys[4] = {GLFW_KEY_LEFT, GLFW_KEY_DOWN, GLFW_KEY_RIGHT, GLFW_KEY_UP};
        for (int a = 0; a < 4; ++a)
            if (ImGui::IsKeyPressed(keys[a], false)) return a;
        return -1;
    }
    for (int a = 0; a < std::min(9, env.action_space().n); ++a)
        if (ImGui::IsKeyPressed(GLFW_KEY_1 + a, false)) return a;
    return -1;
}

// Play in the dream: the keyboard drives the model's imagined env, the model answers with its prior at the chosen
// temperature; the dream ends when the model's continuation probability drops under one half. A too-calm dream is
// easy to exploit — the World Models demo's lesson.
void play_in_dream(App& app, const std::shared_ptr<const AgentFn>& live, const Env& env, const ObsPainter& painter) {
    auto restart = [&] {
        ds(app).play_agent = live;  // a snapshot is never changed: holding it keeps the model being played
        const WorldModelView& a = *ds(app).play_agent->world_model();
        Rng rng(uint64_t(ds(app).play_steps) + 17);
        nn::WorldModel::State s;
        a.world().observe_first(s, a.recent_steps().obs.back(), rng, 0.0f);  // start from the newest real frame
        ds(app).play_h = s.h, ds(app).play_z = s.z;
        ds(app).play_steps = 0, ds(app).play_return = 0, ds(app).play_cont = 1, ds(app).play_over = false;
        ds(app).play_next = ImGui::GetTime() + 0.5;
    };
    if (!ds(app).play_agent) restart();
    const WorldModelView& a = *ds(app).play_agent->world_model();
    nn::WorldModel::State s{ds(app).play_h, ds(app).play_z};
    if (ImGui::IsKeyPressed(GLFW_KEY_R, false)) restart();
    bool turn_based = false;
    const int act = dream_key_action(env, painter, ds(app).play_action, turn_based);
    const double now = ImGui::GetTime();
    const bool due = turn_based ? act >= 0 : now >= ds(app).play_next;
    if (!ds(app).play_over && due) {
        a.world().step_prior(s, {std::max(0, act)}, ds(app).play_rng, ds(app).temperature);
        nn::Mat r, c;
        a.world().predict(s, r, c);
        ds(app).play_return += r(0, 0), ds(app).play_cont = c(0, 0), ++ds(app).play_steps;
        ds(app).play_over = c(0, 0) < 0.5f;
        ds(app).play_h = s.h, ds(app).play_z = s.z;
        if (painter.kind != ObsPainter::Cart) ds(app).play_action = 0;  // a MinAtar key counts once
        const double rate = painter.kind == ObsPainter::Cart ? 10.0 : ds(app).play_speed;
        ds(app).play_next = std::max(ds(app).play_next + 1.0 / rate, now - 0.1);
    }
    nn::Mat obs;
    a.world().decode(s, obs);
    const float fs = ImGui::GetFontSize();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const float size = std::min(ImGui::GetContentRegionAvail().x, fs * 16);
    const float aspect = painter.aspect();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    painter.draw(dl, o, ImVec2(o.x + size, o.y + size * aspect), obs.data(), IM_COL32(255, 170, 80, 255));
    dl->AddRect(o, ImVec2(o.x + size, o.y + size * aspect), kImagined, 0, 0, 2);
    ImGui::Dummy(ImVec2(size, size * aspect));
    ImGui::Text("dream step %d · dreamed return %.2f · P(continue) %.2f%s", ds(app).play_steps, ds(app).play_return,
                ds(app).play_cont, ds(app).play_over ? " · the model says the episode ended (R: again)" : "");
    ImGui::TextDisabled("%s; the dream starts from the newest real frame; R restarts",
                        painter.kind == ObsPainter::Cart     ? "←/→ (or A/D) push the cart"
                        : painter.kind == ObsPainter::Pixels ? "arrows/WASD move, Space fires"
                        : painter.kind == ObsPainter::Grid   ? "each arrow press is one step"
                                                             : "number keys 1-9 pick the action");
}

// Latent sliders: the filtered state at the selected frame, with an offset on each dimension of z; the decoder's
// picture of the result beside them. Offsets survive new snapshots of a training run (the base state moves on).
void latent_sliders(App& app, const WorldModelView& agent, const DreamStrip& cache, const ObsPainter& painter) {
    const int S = agent.world().config().stoch;
    if (int(ds(app).latent_delta.size()) != S) ds(app).latent_delta.assign(size_t(S), 0.0f);
    if (cache.posterior.empty()) return;
    const int t = std::clamp(ds(app).context - 1, 0, int(cache.posterior.size()) - 1);
    nn::WorldModel::State s = cache.posterior[size_t(t)];
    for (int i = 0; i < S; ++i) s.z(0, i) += ds(app).latent_delta[size_t(i)];
    nn::Mat obs;
    agent.world().decode(s, obs);
    const float fs = ImGui::GetFontSize();
    const float size = fs * 9, aspect = painter.aspect();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    painter.draw(dl, o, ImVec2(o.x + size, o.y + size * aspect), obs.data(), IM_COL32(120, 190, 255, 255));
    dl->AddRect(o, ImVec2(o.x + size, o.y + size * aspect), IM_COL32(120, 190, 255, 255), 0, 0, 1.5f);
    ImGui::Dummy(ImVec2(size, size * aspect));
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Text("z at frame %d (the last observed one), + your offsets", t + 1);
    ImGui::SameLine();
    if (ImGui::SmallButton("reset")) std::fill(ds(app).latent_delta.begin(), ds(app).latent_delta.end(), 0.0f);
    const int ncols = std::clamp((S + 5) / 6, 1, 4), per_col = (S + ncols - 1) / ncols;
    for (int col = 0; col < ncols; ++col) {
        if (col) ImGui::SameLine();
        ImGui::BeginGroup();
        for (int i = col * per_col; i < std::min(S, (col + 1) * per_col); ++i) {
            char label[32];
            std::snprintf(label, sizeof label, "z%d", i);
            ImGui::SetNextItemWidth(fs * 6.5f);
            ImGui::SliderFloat(label, &ds(app).latent_delta[size_t(i)], -3.0f, 3.0f, "%+.2f");
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("offset on z%d (now %.2f at this frame); Ctrl+click to type", i,
                                  double(cache.posterior[size_t(t)].z(0, i)));
        }
        ImGui::EndGroup();
    }
    ImGui::EndGroup();
}

}  // namespace

void panel_dream(App& app) {
    RunSlot* run = app.current();
    const AgentFn* wm_agent = run && run->snap.agent ? run->snap.agent.get() : nullptr;
    const WorldModelView* wm = wm_agent ? wm_agent->world_model() : nullptr;
    if (!wm || !run->snap.env) return;
    const Env& env = *run->snap.env;
    const ObsPainter painter = ObsPainter::of(env);
    if (painter.dim != wm->world().config().obs_dim) return;
    const nn::SeqBatch& recent = wm->recent_steps();
    if (recent.L < 4) {
        ImGui::TextDisabled("waiting for real experience…");
        return;
    }
    const float fs = ImGui::GetFontSize();
    if (app.stage) ds(app).play = false;  // on stage: the strip only, no controls
    else {
    ImGui::SetNextItemWidth(fs * 8);
    ImGui::SliderInt("observed steps", &ds(app).context, 1, 12);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the model filters this many real frames, then dreams on with the real actions\n(or click a real frame to branch the dream there)");
    same_line_if_fits(labelled_width(fs * 8, "dream temperature"));
    ImGui::SetNextItemWidth(fs * 8);
    ImGui::SliderFloat("dream temperature", &ds(app).temperature, 0.0f, 2.0f, "%.2f");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("0: the model's most likely future; 1: sampled as learned; above 1: wilder");
    same_line_if_fits(checkbox_width("play in the dream"));
    if (ImGui::Checkbox("play in the dream", &ds(app).play)) ds(app).play_agent.reset();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("drive the model's imagined env from the keyboard; the temperature sets how wild the dream is");
    }
    if (ds(app).play) {
        app.keys_taken = true;  // the arrows and Space are the student's while they play
        play_in_dream(app, run->snap.agent, env, painter);
        return;
    }

    // The strip is dreamed on the worker (ViewRequest): ask for it with these settings, draw the latest answer.
    ViewRequest& want = run->want_views;
    want.dream = true, want.dream_context = ds(app).context, want.dream_temperature = ds(app).temperature;
    if (!run->snap.views.dream) {
        ImGui::TextDisabled("dreaming…");
        return;
    }
    const DreamStrip& cache = *run->snap.views.dream;
    const int context = run->snap.views.request.dream_context;  // what this strip was dreamed with
    const nn::SeqBatch& seq = cache.seq;
    const auto& r = cache.result;

    // The strip: one column per step, rows real / reconstruction / dream / error.
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float label_w = fs * 7.5f, aspect = painter.kind == ObsPainter::Cart ? 1.0f : painter.aspect();
    const float cell = std::max(fs * 2, std::min((avail.x - label_w) / float(seq.L), (avail.y - fs * (app.stage ? 4.5f : 17.0f)) / (4.6f * aspect)));
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const char* rows[] = {"real", "reconstruction", "dream", "error"};
    const ImU32 colours[] = {IM_COL32(235, 235, 235, 255), IM_COL32(120, 190, 255, 255), IM_COL32(255, 170, 80, 255),
                             IM_COL32(230, 70, 60, 255)};
    int hovered = -1;
    for (int row = 0; row < 4; ++row) {
        const float y = o.y + row * (cell * aspect + 4);
        dl->AddText(ImVec2(o.x, y + cell * 0.4f), colours[row], rows[row]);
        for (int t = 0; t < seq.L; ++t) {
            const ImVec2 a(o.x + label_w + t * cell, y), b(a.x + cell - 3, y + cell * aspect);
            const bool observed = t < context;
            const float* real = seq.obs[size_t(t)].data();
            if (row == 3) painter.draw_error(dl, a, b, real, r.dream[size_t(t)].data());
            else painter.draw(dl, a, b, row == 0 ? real : row == 1 ? r.recon[size_t(t)].data() : r.dream[size_t(t)].data(), colours[row]);
            if (row == 2) dl->AddRect(a, b, observed ? kObserved : kImagined, 0, 0, 2);
            if (row == 0 && t == context - 1) dl->AddRect(a, b, kObserved, 0, 0, 2);  // the branch point
            if (t > 0 && seq.first[size_t(t)](0, 0) > 0)  // a new real episode starts here; the dream does not know
                dl->AddLine(ImVec2(a.x - 2, y), ImVec2(a.x - 2, y + cell * aspect), IM_COL32(230, 60, 60, 255), 2);
            if (row == 0 && ImGui::IsMouseHoveringRect(a, b)) hovered = t;
        }
    }
    // Prediction error of the dream per step (mean squared error over the observation).
    const float ey = o.y + 4 * (cell * aspect + 4) + fs * 0.3f, eh = fs * 3;
    double mx = 1e-9;
    for (double e : r.err) mx = std::max(mx, e);
    dl->AddText(ImVec2(o.x, ey + eh * 0.3f), IM_COL32(200, 200, 200, 255), "error (MSE)");
    for (int t = 0; t < seq.L; ++t) {
        const float x0 = o.x + label_w + t * cell, frac = float(r.err[size_t(t)] / mx);
        dl->AddRectFilled(ImVec2(x0 + cell * 0.2f, ey + eh * (1 - frac)), ImVec2(x0 + cell * 0.8f, ey + eh),
                          t < context ? kObserved : kImagined);
    }
    ImGui::Dummy(ImVec2(label_w + seq.L * cell, 4 * (cell * aspect + 4) + eh + fs * 0.5f));
    if (hovered >= 0) {
        ImGui::SetTooltip("real step %d: click to branch the dream from here", hovered + 1);
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) ds(app).context = hovered + 1;
    }
    char buf[160];
    auto at = [&](int k) { return context - 1 + k < seq.L ? r.err[size_t(context - 1 + k)] : NAN; };
    std::snprintf(buf, sizeof buf, "dream error (MSE) at horizons 1, 5, 10: %.4f  %.4f  %.4f   (tallest bar %.4f)", at(1), at(5),
                  at(10), mx);
    ImGui::TextDisabled("%s", buf);

    if (!app.stage && ImGui::CollapsingHeader("Latent sliders: move z, watch the decoder", ImGuiTreeNodeFlags_DefaultOpen))
        latent_sliders(app, *wm, cache, painter);
}

// Frozen Lake: the model's transition table P(s' | s, a) (dreamed one step from every state, 200 samples per pair)
// beside the true one, a row per (state, action), with the total-variation distance of each row. Rows of states the
// agent seldom visits show what the model never saw.
void panel_dream_transitions(App& app) {
    RunSlot* run = app.current();
    const AgentFn* wm_agent = run && run->snap.agent ? run->snap.agent.get() : nullptr;
    const WorldModelView* wm = wm_agent ? wm_agent->world_model() : nullptr;
    const DiscreteEnv* denv = run && run->snap.env ? run->snap.env->tabular() : nullptr;
    if (!wm || !denv || wm->world().config().obs_dim != denv->num_states()) return;
    const int n = denv->num_states(), A = denv->num_actions();
    run->want_views.transitions = true;  // dreamed on the worker, at most twice a second while training
    if (!run->snap.views.transitions) {
        ImGui::TextDisabled("dreaming the transition table…");
        return;
    }
    const nn::Mat& learned = *run->snap.views.transitions;
    if (learned.rows() != n * A) return;
    std::vector<double> truth(size_t(n * A * n), 0.0);
    for (int s = 0; s < n; ++s)
        for (int a = 0; a < A; ++a)
            for (const Transition& t : denv->model()[size_t(s)][size_t(a)]) truth[size_t((s * A + a) * n + t.next)] += t.prob;
    const std::vector<std::string> names = denv->action_names();

    const float fs = ImGui::GetFontSize();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float label_w = fs * 5.5f, gap = fs;
    const float cw = std::max(3.0f, std::min(fs * 1.2f, (avail.x - label_w - 3 * gap - fs * 4) / float(2 * n)));
    const float rh = std::max(2.0f, std::min(fs * 0.9f, (avail.y - fs * 4) / float(n * A)));
    const ImVec2 o = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float x_learned = o.x + label_w, x_true = x_learned + n * cw + gap, x_tv = x_true + n * cw + gap;
    dl->AddText(ImVec2(x_learned, o.y), IM_COL32(120, 190, 255, 255), "learned (dreamed)");
    dl->AddText(ImVec2(x_true, o.y), IM_COL32(235, 235, 235, 255), "true P(s'|s,a)");
    dl->AddText(ImVec2(x_tv, o.y), IM_COL32(230, 70, 60, 255), "TV");
    const float y0 = o.y + fs * 1.3f;
    int hovered = -1;
    double tv_sum = 0;
    int tv_rows = 0;
    for (int row = 0; row < n * A; ++row) {
        const int s = row / A, a = row % A;
        const float y = y0 + row * rh;
        if (a == 0 && rh * float(A) >= fs * 0.9f) {
            char l[16];
            std::snprintf(l, sizeof l, "s%d", s);
            dl->AddText(ImVec2(o.x, y), denv->is_terminal(s) ? IM_COL32(120, 120, 120, 255) : IM_COL32(200, 200, 200, 255), l);
        }
        double tv = 0;
        for (int k = 0; k < n; ++k) {
            const float pl = learned(row, k), pt = float(truth[size_t(row * n + k)]);
            tv += 0.5 * std::fabs(double(pl) - pt);
            dl->AddRectFilled(ImVec2(x_learned + k * cw, y), ImVec2(x_learned + (k + 1) * cw - 1, y + rh - 1),
                              IM_COL32(int(24 + 96 * pl), int(26 + 164 * pl), int(32 + 223 * pl), 255));
            dl->AddRectFilled(ImVec2(x_true + k * cw, y), ImVec2(x_true + (k + 1) * cw - 1, y + rh - 1),
                              IM_COL32(int(24 + 211 * pt), int(26 + 209 * pt), int(32 + 203 * pt), 255));
        }
        if (!denv->is_terminal(s)) tv_sum += tv, ++tv_rows;
        dl->AddRectFilled(ImVec2(x_tv, y), ImVec2(x_tv + float(tv) * fs * 4, y + rh - 1), IM_COL32(230, 70, 60, 220));
        if (ImGui::IsMouseHoveringRect(ImVec2(o.x, y), ImVec2(x_tv + fs * 4, y + rh))) hovered = row;
    }
    ImGui::Dummy(ImVec2(x_tv + fs * 4 - o.x, fs * 1.3f + n * A * rh));
    ImGui::Text("mean total-variation distance over non-terminal states: %.3f (0: the true table; 1: disjoint)",
                tv_rows ? tv_sum / tv_rows : NAN);
    ImGui::TextDisabled("terminal states (holes, goal) end episodes: the model never sees a step out of them");
    if (hovered >= 0) {
        const int s = hovered / A, a = hovered % A;
        char head[64];
        std::snprintf(head, sizeof head, "s%d, %s\n", s, a < int(names.size()) ? names[size_t(a)].c_str() : "?");
        std::string text = head;
        for (int k = 0; k < n; ++k) {
            const double pl = learned(hovered, k), pt = truth[size_t(hovered * n + k)];
            if (pl < 0.005 && pt == 0) continue;
            char l[64];
            std::snprintf(l, sizeof l, "→ s%d: learned %.2f, true %.2f\n", k, pl, pt);
            text += l;
        }
        ImGui::SetTooltip("%s", text.c_str());
    }
}

}  // namespace dl
