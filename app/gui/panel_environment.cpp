// Environment view: the selected run's env as it is right now (agent, current-episode trail), drawn by the
// env itself into an Image. With "edit map" on, clicking a cell paints it; every run restarts on the new map
// and the DP ground truth is solved again at once. Pixel games can be played by hand ("play it yourself"): the
// student tries the game before the agent does.
#include <array>
#include <cstdio>

#include <GLFW/glfw3.h>

#include "app/gui/gui.h"
#include "envs/frozen_lake.h"
#include "envs/minatar/minatar.h"
#include "envs/registry.h"

namespace dl {

namespace {

// The map editor edits the `map` argument of a world with tiles (Frozen Lake).
void paint_cell(App& app, std::vector<std::string> rows, int row, int col) {
    if (rows[row][col] == app.brush) return;
    // At most one coin: painting a new one moves it.
    if (app.brush == 'C')
        for (auto& r : rows)
            for (auto& c : r)
                if (c == 'C') c = 'F';
    rows[row][col] = app.brush;
    std::string map;
    for (const auto& r : rows) map += (map.empty() ? "" : "/") + r;
    try {
        parse_lake_map(map);  // refuse maps without S or G, with the reason
    } catch (const std::exception& e) {
        app.notify(e.what());
        return;
    }
    if (!lake_has_path(rows)) app.notify("note: the goal cannot be reached on this map");
    for (auto& r : app.runs) {
        RunConfig c = r->cfg;
        c.env_args["map"] = map;
        restart_run(app, *r, c);
    }
    load_draft(app);
}

// Human play on a copy of the selected run's game (same env arguments: sticky actions included).
void human_play(App& app, const RunSlot& run) {
    static int latched = minatar::kNoop;
    if (!app.human_env || app.human_env->id() != run.cfg.env_id) {
        app.human_env = make_env(run.cfg.env_id, *make_env_args(run.cfg.env_id, run.cfg.env_args));
        app.human_env->reset(uint64_t(1000 + app.human_episode));
        app.human_return = 0, app.human_over = false;
        app.human_next_step = ImGui::GetTime() + 0.5;
    }
    const double now = ImGui::GetTime();
    const int action = keyboard_action(latched);
    if (app.human_over) {
        if (ImGui::IsKeyPressed(GLFW_KEY_R, false) || ImGui::IsKeyPressed(GLFW_KEY_ENTER, false)) {
            ++app.human_episode;
            app.human_env->reset(uint64_t(1000 + app.human_episode));
            app.human_return = 0, app.human_over = false;
            app.human_next_step = now + 0.5;
        }
    } else if (now >= app.human_next_step) {
        // The full-index action goes to the game through the env's own action set.
        const PixelWorld* game = app.human_env->pixel_world();
        int a = 0;
        for (int i = 0; i < app.human_env->action_space().n; ++i)
            if (game->full_action(i) == action) a = i;
        const StepResult r = app.human_env->step(a);
        latched = minatar::kNoop;
        app.human_return += r.reward;
        app.human_best = std::max(app.human_best, app.human_return);
        app.human_over = r.terminated || r.truncated;
        app.human_next_step = std::max(app.human_next_step + 1.0 / app.human_speed, now - 0.1);
    }
}

// Replay controls above the picture: pick one of the env's last finished episodes, scrub or play its frames.
// Returns whether a replay frame should be drawn instead of the live env.
bool replay_controls(App& app, const Env& env) {
    const ReplayLog* log = env.replay_log();
    if (!log) return false;
    ImGui::SameLine();
    ImGui::Checkbox("replay", &app.replay_on);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("watch one of the last finished episodes frame by frame (training goes on)");
    if (!app.replay_on) return false;
    if (log->done.empty()) {
        ImGui::TextDisabled("no finished episode yet");
        return false;
    }
    if (!app.replay) app.replay = log->done.back(), app.replay_frame = 0;
    const float fs = ImGui::GetFontSize();
    // Newest first; the one being watched stays selectable even after it dropped out of the env's log.
    char current[64];
    std::snprintf(current, sizeof current, "return %.0f, %d steps", app.replay->ret, app.replay->frames() - 1);
    ImGui::SetNextItemWidth(fs * 12);
    if (ImGui::BeginCombo("##episode", current)) {
        for (int k = int(log->done.size()) - 1; k >= 0; --k) {
            const auto& e = log->done[size_t(k)];
            char label[64];
            std::snprintf(label, sizeof label, "%s: return %.0f, %d steps##%d", k + 1 == int(log->done.size()) ? "latest" : "earlier",
                          e->ret, e->frames() - 1, k);
            if (ImGui::Selectable(label, e == app.replay)) app.replay = e, app.replay_frame = 0;
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    if (ImGui::Button(app.replay_playing ? "||" : ">")) app.replay_playing = !app.replay_playing;
    ImGui::SameLine();
    const int last = app.replay->frames() - 1;
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x);
    if (ImGui::SliderInt("##frame", &app.replay_frame, 0, last, "frame %d")) app.replay_playing = false;
    const double now = ImGui::GetTime();
    if (app.replay_playing && now >= app.replay_next) {
        app.replay_frame = app.replay_frame >= last ? 0 : app.replay_frame + 1;
        app.replay_next = now + 1.0 / app.replay_fps;
    }
    app.replay_frame = std::clamp(app.replay_frame, 0, last);
    return true;
}

}  // namespace

int keyboard_action(int& latched) {
    struct Key {
        int key, alt, action;
    };
    static const Key keys[] = {{GLFW_KEY_SPACE, GLFW_KEY_SPACE, minatar::kFire}, {GLFW_KEY_LEFT, GLFW_KEY_A, minatar::kLeft},
                               {GLFW_KEY_RIGHT, GLFW_KEY_D, minatar::kRight}, {GLFW_KEY_UP, GLFW_KEY_W, minatar::kUp},
                               {GLFW_KEY_DOWN, GLFW_KEY_S, minatar::kDown}};
    for (const Key& k : keys)
        if (ImGui::IsKeyPressed(k.key, false) || ImGui::IsKeyPressed(k.alt, false)) latched = k.action;
    for (const Key& k : keys)
        if (ImGui::IsKeyDown(k.key) || ImGui::IsKeyDown(k.alt)) return k.action;
    return latched;
}

void panel_environment(App& app) {
    RunSlot* run = app.current();
    if (!run || !run->snap.env) {
        ImGui::TextDisabled(run && !run->error.empty() ? run->error.c_str() : "starting…");
        return;
    }
    const DiscreteEnv* grid = run->snap.env->tabular();
    const std::vector<std::string> tiles = grid ? grid->layout().tiles : std::vector<std::string>{};
    const bool lake = !tiles.empty();
    ImGui::Text("%s", run->label().c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("on %s", run->cfg.env_id.c_str());
    if (lake) {
        ImGui::Checkbox("edit map", &app.edit_map);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("click cells to paint them; every run restarts on the new map");
        if (app.edit_map) {
            for (char c : std::string("SFHGC")) {
                ImGui::SameLine();
                const char label[2] = {c, 0};
                if (ImGui::RadioButton(label, app.brush == c)) app.brush = c;
                if (ImGui::IsItemHovered())
                    ImGui::SetTooltip("%s", c == 'S' ? "start" : c == 'F' ? "frozen" : c == 'H' ? "hole" : c == 'G' ? "goal" : "coin (+reward_coin once)");
            }
        }
    }
    const bool game = run->snap.env->pixel_world() != nullptr;
    if (game) {
        if (ImGui::Checkbox("play it yourself", &app.human_playing)) app.human_env.reset(), app.replay_on = false;
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("you play this game: arrows or WASD move, Space fires, R restarts after a game over\n"
                              "(the runs keep training; Space no longer toggles play while you play)");
        if (app.human_playing) {
            ImGui::SameLine();
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
            ImGui::SliderFloat("steps/s", &app.human_speed, 2, 30, "%.0f");
        }
    } else {
        app.human_playing = false;
    }
    const bool replaying = !(game && app.human_playing) && replay_controls(app, *run->snap.env);
    if (!app.replay_on) app.replay.reset();
    if (game && app.human_playing) {
        human_play(app, *run);
        app.human_env->render(app.env_image);
    } else if (replaying) {
        run->snap.env->render_frame(app.replay->frame(app.replay_frame), app.env_image);
    } else {
        run->snap.env->render(app.env_image);
    }
    app.env_texture.upload(app.env_image);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float scale = std::min(avail.x / app.env_image.width(), (avail.y - ImGui::GetFontSize() * 1.5f) / app.env_image.height());
    const ImVec2 size(app.env_image.width() * scale, app.env_image.height() * scale);
    const ImVec2 at = ImGui::GetCursorScreenPos();
    ImGui::Image(app.env_texture.id(), size);
    if (lake && app.edit_map && ImGui::IsItemHovered()) {
        const int rows = int(tiles.size()), cols = int(tiles[0].size());
        const ImVec2 m = ImGui::GetIO().MousePos;
        const int col = std::clamp(int((m.x - at.x) / size.x * cols), 0, cols - 1);
        const int row = std::clamp(int((m.y - at.y) / size.y * rows), 0, rows - 1);
        const float cw = size.x / cols, ch = size.y / rows;
        ImGui::GetWindowDrawList()->AddRect(ImVec2(at.x + col * cw, at.y + row * ch), ImVec2(at.x + (col + 1) * cw, at.y + (row + 1) * ch),
                                            IM_COL32(255, 255, 0, 255), 0, 0, 3);
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) paint_cell(app, tiles, row, col);
    }
    if (game && app.human_playing) {
        ImGui::Text("you: score %.0f · best %.0f · game %d%s", app.human_return, app.human_best, app.human_episode + 1,
                    app.human_over ? " · game over (R: again)" : "");
        return;
    }
    if (replaying) {
        const int t = app.replay_frame;
        double so_far = 0;
        for (int k = 0; k < t; ++k) so_far += app.replay->rewards[size_t(k)];
        const int a = t < int(app.replay->actions.size()) ? app.replay->actions[size_t(t)] : -1;
        ImGui::Text("replay: step %d of %d · return so far %.0f · next action %s", t, app.replay->frames() - 1, so_far,
                    a < 0 ? "(end)" : (a < 6 ? std::array<const char*, 6>{"no-op", "left", "up", "right", "down", "fire"}[size_t(a)] : "?"));
        return;
    }
    ImGui::TextDisabled("episode %lld · env step %lld", (long long)run->snap.episodes, (long long)run->snap.env_steps);
}

}  // namespace dl
