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

// Everything the environment panel remembers between frames (App holds it opaquely: no other file reads it).
struct EnvironmentPanelState {
    bool edit_map = false;
    char brush = 'H';
    Image env_image;
    Texture env_texture;
    // Human play (pixel games): the student drives a copy of the selected run's game from the keyboard.
    std::unique_ptr<Env> human_env;
    bool human_playing = false;
    float human_speed = 8;                 // game steps per second
    double human_next_step = 0;            // ImGui time of the next step
    double human_return = 0, human_best = 0;
    int human_episode = 0;
    bool human_over = false;
    bool human_waiting = true;             // a new game waits for the student's first key (no running start)
    int latched = minatar::kNoop;          // a key tapped between two game steps
    // Episode replay (envs that record episodes): one of the last finished episodes, frame by frame.
    bool replay_on = false;
    std::shared_ptr<const EpisodeRecord> replay;   // the episode being watched (kept while newer ones arrive)
    int replay_frame = 0;
    bool replay_playing = true;
    float replay_fps = 10;
    double replay_next = 0;
};

namespace {

EnvironmentPanelState& es(App& app) {
    if (!app.environment_panel) app.environment_panel = std::make_shared<EnvironmentPanelState>();
    return *app.environment_panel;
}

// The map editor edits the `map` argument of a world with tiles (Frozen Lake).
void paint_cell(App& app, std::vector<std::string> rows, int row, int col) {
    if (rows[row][col] == es(app).brush) return;
    // At most one coin: painting a new one moves it.
    if (es(app).brush == 'C')
        for (auto& r : rows)
            for (auto& c : r)
                if (c == 'C') c = 'F';
    rows[row][col] = es(app).brush;
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
        for (const char* k : {"random_size", "random_p", "map_seed"}) c.env_args.erase(k);  // the painted map is no longer random
        restart_run(app, *r, c);
    }
    load_draft(app);
}

// Human play on a copy of the selected run's game (same env arguments: sticky actions included).
void human_play(App& app, const RunSlot& run) {
    if (!es(app).human_env || es(app).human_env->id() != run.cfg.env_id) {
        es(app).human_env = make_env(run.cfg.env_id, *make_env_args(run.cfg.env_id, run.cfg.env_args));
        es(app).human_env->reset(uint64_t(1000 + es(app).human_episode));
        es(app).human_return = 0, es(app).human_over = false, es(app).human_waiting = true;
    }
    const double now = ImGui::GetTime();
    const int action = keyboard_action(es(app).latched);
    if (es(app).human_over) {
        if (ImGui::IsKeyPressed(GLFW_KEY_R, false) || ImGui::IsKeyPressed(GLFW_KEY_ENTER, false)) {
            ++es(app).human_episode;
            es(app).human_env->reset(uint64_t(1000 + es(app).human_episode));
            es(app).human_return = 0, es(app).human_over = false, es(app).human_waiting = true;
        }
    } else if (es(app).human_waiting) {  // the game starts with the student's first move
        if (action != minatar::kNoop) es(app).human_waiting = false, es(app).human_next_step = now;
    } else if (now >= es(app).human_next_step) {
        // The full-index action goes to the game through the env's own action set.
        const PixelWorld* game = es(app).human_env->pixel_world();
        int a = 0;
        for (int i = 0; i < es(app).human_env->action_space().n; ++i)
            if (game->full_action(i) == action) a = i;
        const StepResult r = es(app).human_env->step(a);
        es(app).latched = minatar::kNoop;
        es(app).human_return += r.reward;
        es(app).human_best = std::max(es(app).human_best, es(app).human_return);
        es(app).human_over = r.terminated || r.truncated;
        es(app).human_next_step = std::max(es(app).human_next_step + 1.0 / es(app).human_speed, now - 0.1);
    }
}

// Replay controls above the picture: pick one of the env's last finished episodes, scrub or play its frames.
// Returns whether a replay frame should be drawn instead of the live env.
bool replay_controls(App& app, const Env& env) {
    const ReplayLog* log = env.replay_log();
    if (!log) return false;
    same_line_if_fits(checkbox_width("replay"));
    ImGui::Checkbox("replay", &es(app).replay_on);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("watch one of the last finished episodes frame by frame (training goes on)");
    if (!es(app).replay_on) return false;
    if (log->done.empty()) {
        ImGui::TextDisabled("no finished episode yet");
        return false;
    }
    if (!es(app).replay) es(app).replay = log->done.back(), es(app).replay_frame = 0;
    const float fs = ImGui::GetFontSize();
    // Newest first; the one being watched stays selectable even after it dropped out of the env's log.
    char current[64];
    std::snprintf(current, sizeof current, "return %.0f, %d steps", es(app).replay->ret, es(app).replay->frames() - 1);
    ImGui::SetNextItemWidth(fs * 12);
    if (ImGui::BeginCombo("##episode", current)) {
        for (int k = int(log->done.size()) - 1; k >= 0; --k) {
            const auto& e = log->done[size_t(k)];
            char label[64];
            std::snprintf(label, sizeof label, "%s: return %.0f, %d steps##%d", k + 1 == int(log->done.size()) ? "latest" : "earlier",
                          e->ret, e->frames() - 1, k);
            if (ImGui::Selectable(label, e == es(app).replay)) es(app).replay = e, es(app).replay_frame = 0;
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    if (ImGui::Button(es(app).replay_playing ? "||" : ">")) es(app).replay_playing = !es(app).replay_playing;
    ImGui::SameLine();
    const int last = es(app).replay->frames() - 1;
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x);
    if (ImGui::SliderInt("##frame", &es(app).replay_frame, 0, last, "frame %d")) es(app).replay_playing = false;
    const double now = ImGui::GetTime();
    if (es(app).replay_playing && now >= es(app).replay_next) {
        es(app).replay_frame = es(app).replay_frame >= last ? 0 : es(app).replay_frame + 1;
        es(app).replay_next = now + 1.0 / es(app).replay_fps;
    }
    es(app).replay_frame = std::clamp(es(app).replay_frame, 0, last);
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
    // The run's name and its env on one line where they fit, else on two; either wraps rather than being cut.
    ImGui::PushTextWrapPos(0);
    const std::string label = run->label(), on = "on " + run->cfg.env_id;
    const ImGuiStyle& style = ImGui::GetStyle();
    ImGui::TextWrapped("%s", label.c_str());
    if (ImGui::CalcTextSize(label.c_str()).x + style.ItemSpacing.x + ImGui::CalcTextSize(on.c_str()).x <= ImGui::GetContentRegionAvail().x)
        ImGui::SameLine();
    ImGui::TextDisabled("%s", on.c_str());
    if (app.stage && app.runs.size() > 1) {
        ImGui::TextDisabled("(keys 1–%zu: the other runs)", std::min<size_t>(9, app.runs.size()));
    }
    ImGui::PopTextWrapPos();
    if (lake && !app.stage) {
        ImGui::Checkbox("edit map", &es(app).edit_map);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("click cells to paint them; every run restarts on the new map");
        if (es(app).edit_map) {
            for (char c : std::string("SFHGC")) {
                const char label[2] = {c, 0};
                same_line_if_fits(checkbox_width(label));
                if (ImGui::RadioButton(label, es(app).brush == c)) es(app).brush = c;
                if (ImGui::IsItemHovered())
                    ImGui::SetTooltip("%s", c == 'S' ? "start" : c == 'F' ? "frozen" : c == 'H' ? "hole" : c == 'G' ? "goal" : "coin (+reward_coin once)");
            }
        }
    }
    const bool game = run->snap.env->pixel_world() != nullptr;
    if (game) {  // on stage too: a lesson invites the class to try the game (the keys are the player's meanwhile)
        if (ImGui::Checkbox("play it yourself", &es(app).human_playing)) es(app).human_env.reset(), es(app).replay_on = false;
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("you play this game: arrows or WASD move, Space fires, R restarts after a game over\n"
                              "(the runs keep training; Space no longer toggles play while you play)");
        if (es(app).human_playing && !app.stage) {
            same_line_if_fits(labelled_width(ImGui::GetFontSize() * 6, "steps/s"));
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
            ImGui::SliderFloat("steps/s", &es(app).human_speed, 2, 30, "%.0f");
        }
    } else {
        es(app).human_playing = false;
    }
    const bool replaying = !app.stage && !(game && es(app).human_playing) && replay_controls(app, *run->snap.env);
    if (!es(app).replay_on) es(app).replay.reset();
    if (game && es(app).human_playing) {
        app.keys_taken = true;  // while a student plays, the keys are theirs
        human_play(app, *run);
        es(app).human_env->render(es(app).env_image);
    } else if (replaying) {
        run->snap.env->render_frame(es(app).replay->frame(es(app).replay_frame), es(app).env_image);
    } else {
        run->snap.env->render(es(app).env_image);
    }
    es(app).env_texture.upload(es(app).env_image);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float scale = std::min(avail.x / es(app).env_image.width(), (avail.y - ImGui::GetFontSize() * 1.5f) / es(app).env_image.height());
    const ImVec2 size(es(app).env_image.width() * scale, es(app).env_image.height() * scale);
    const ImVec2 at = ImGui::GetCursorScreenPos();
    ImGui::Image(es(app).env_texture.id(), size);
    if (lake && es(app).edit_map && ImGui::IsItemHovered()) {
        const int rows = int(tiles.size()), cols = int(tiles[0].size());
        const ImVec2 m = ImGui::GetIO().MousePos;
        const int col = std::clamp(int((m.x - at.x) / size.x * cols), 0, cols - 1);
        const int row = std::clamp(int((m.y - at.y) / size.y * rows), 0, rows - 1);
        const float cw = size.x / cols, ch = size.y / rows;
        ImGui::GetWindowDrawList()->AddRect(ImVec2(at.x + col * cw, at.y + row * ch), ImVec2(at.x + (col + 1) * cw, at.y + (row + 1) * ch),
                                            IM_COL32(255, 255, 0, 255), 0, 0, 3);
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) paint_cell(app, tiles, row, col);
    }
    ImGui::PushTextWrapPos(0);  // a narrow panel wraps these lines instead of cutting them
    if (game && es(app).human_playing) {
        ImGui::Text("you: score %.0f · best %.0f · game %d%s", es(app).human_return, es(app).human_best, es(app).human_episode + 1,
                    es(app).human_over ? " · game over (R: again)" : es(app).human_waiting ? " · press an arrow key or Space to start" : "");
        ImGui::PopTextWrapPos();
        return;
    }
    if (replaying) {
        const int t = es(app).replay_frame;
        double so_far = 0;
        for (int k = 0; k < t; ++k) so_far += es(app).replay->rewards[size_t(k)];
        const int a = t < int(es(app).replay->actions.size()) ? es(app).replay->actions[size_t(t)] : -1;
        ImGui::Text("replay: step %d of %d · return so far %.0f · next action %s", t, es(app).replay->frames() - 1, so_far,
                    a < 0 ? "(end)" : (a < 6 ? std::array<const char*, 6>{"no-op", "left", "up", "right", "down", "fire"}[size_t(a)] : "?"));
        ImGui::PopTextWrapPos();
        return;
    }
    ImGui::TextDisabled("episode %lld · env step %lld", (long long)run->snap.episodes, (long long)run->snap.env_steps);
    ImGui::PopTextWrapPos();
}

}  // namespace dl
