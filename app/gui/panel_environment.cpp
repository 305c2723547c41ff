// Environment view: the selected run's env as it is right now (agent, current-episode trail), drawn by the
// env itself into an Image. With "edit map" on, clicking a cell paints it; every run restarts on the new map
// and the DP ground truth is solved again at once.
#include "app/gui/gui.h"
#include "envs/frozen_lake.h"

namespace dl {

namespace {

void paint_cell(App& app, const FrozenLake& lake, int row, int col) {
    std::vector<std::string> rows = lake.rows();
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

}  // namespace

void panel_environment(App& app) {
    RunSlot* run = app.current();
    if (!run || !run->snap.env) {
        ImGui::TextDisabled(run && !run->error.empty() ? run->error.c_str() : "starting…");
        return;
    }
    const auto* lake = dynamic_cast<const FrozenLake*>(run->snap.env.get());
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
    run->snap.env->render(app.env_image);
    app.env_texture.upload(app.env_image);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float scale = std::min(avail.x / app.env_image.width(), (avail.y - ImGui::GetFontSize() * 1.5f) / app.env_image.height());
    const ImVec2 size(app.env_image.width() * scale, app.env_image.height() * scale);
    const ImVec2 at = ImGui::GetCursorScreenPos();
    ImGui::Image(app.env_texture.id(), size);
    if (lake && app.edit_map && ImGui::IsItemHovered()) {
        const int rows = int(lake->rows().size()), cols = int(lake->rows()[0].size());
        const ImVec2 m = ImGui::GetIO().MousePos;
        const int col = std::clamp(int((m.x - at.x) / size.x * cols), 0, cols - 1);
        const int row = std::clamp(int((m.y - at.y) / size.y * rows), 0, rows - 1);
        const float cw = size.x / cols, ch = size.y / rows;
        ImGui::GetWindowDrawList()->AddRect(ImVec2(at.x + col * cw, at.y + row * ch), ImVec2(at.x + (col + 1) * cw, at.y + (row + 1) * ch),
                                            IM_COL32(255, 255, 0, 255), 0, 0, 3);
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) paint_cell(app, *lake, row, col);
    }
    ImGui::TextDisabled("episode %lld · env step %lld", (long long)run->snap.episodes, (long long)run->snap.env_steps);
}

}  // namespace dl
