// The frame that the window (gui_main.cpp) and the offline renderer (render_lesson.cpp) both draw: fonts, the
// menu bar, the dashboard or stage layout with the caption bar, and reading the finished picture back.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <functional>

#include <epoxy/gl.h>
#include <imgui.h>
#include <imgui_impl_opengl3.h>

#include "app/gui/gui.h"

namespace dl {

std::string timestamped(const char* dir, const char* ext) {
    std::filesystem::create_directories(dir);
    char buf[64];
    const std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&t));
    return std::string(dir) + "/dreamlab-" + buf + ext;
}

std::vector<uint8_t> read_framebuffer(int w, int h, bool back_buffer) {
    std::vector<uint8_t> px(size_t(w) * h * 3);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(back_buffer ? GL_BACK : GL_COLOR_ATTACHMENT0);
    glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, px.data());
    return px;
}

void rebuild_fonts(App& app) {
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    static ImVector<ImWchar> ranges;  // ImGui keeps a pointer to the glyph ranges for the atlas's lifetime: process-wide
    if (ranges.empty()) {
        ImFontGlyphRangesBuilder b;
        b.AddRanges(io.Fonts->GetGlyphRangesDefault());
        static const ImWchar extra[] = {0x0300, 0x036F, 0x0370, 0x03FF, 0x2010, 0x2044, 0x2190, 0x21FF, 0x2200, 0x22FF, 0x25A0, 0x25FF, 0};
        b.AddRanges(extra);
        b.BuildRanges(&ranges);
    }
    const char* font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    const float size = std::round(15.0f * app.ui_scale());
    const char* bold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
    // Captions are read from the back of a hall: at least 28 px at font scale 1, growing with it.
    // On stage the whole picture scales with the height (a 1280×720 video is the 1080p stage made smaller).
    const float caption_min = app.stage ? 28.0f * std::min(1.0f, app.display_h / 1080.0f) : 28.0f;
    // 28 px at font scale 1 on the dashboard (1.9× its text), then growing with the font like the rest.
    const float caption = std::round(std::max(caption_min, 15.0f * app.ui_scale() * (app.stage ? 1.25f : 1.0f) + (app.stage ? 0.0f : 13.0f)));
    app.caption_font = app.caption_bold = nullptr;
    if (std::filesystem::exists(font)) {
        io.Fonts->AddFontFromFileTTF(font, size, nullptr, ranges.Data);
        app.caption_font = io.Fonts->AddFontFromFileTTF(font, caption, nullptr, ranges.Data);
        app.caption_bold = std::filesystem::exists(bold) ? io.Fonts->AddFontFromFileTTF(bold, caption, nullptr, ranges.Data)
                                                         : app.caption_font;
    } else {
        ImFontConfig cfg;
        cfg.SizePixels = size;
        io.Fonts->AddFontDefault(&cfg);
    }
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
    ImGuiStyle style;
    ImGui::StyleColorsDark(&style);
    style.WindowRounding = 4, style.FrameRounding = 3, style.GrabRounding = 3;
    style.ScaleAllSizes(app.ui_scale());
    ImGui::GetStyle() = style;
    app.font_dirty = false;
    app.fonts_built_at = app.ui_scale();
}


void menu_bar(App& app, bool& quit) {
    if (!ImGui::BeginMainMenuBar()) return;
    if (ImGui::BeginMenu("File")) {
        if (ImGui::MenuItem("Screenshot", "F12")) app.screenshot_request = timestamped("screenshots", ".png");
        if (ImGui::MenuItem(app.video.is_open() ? "Stop recording" : "Record MP4", "F9")) {
            if (app.video.is_open()) app.stop_recording_requested = true;
            else app.screenshot_request = "record:" + timestamped("recordings", ".mp4");
        }
        ImGui::Separator();
        if (ImGui::BeginMenu("Open a trained agent")) {  // it plays greedily beside the runs: the finished behaviour at once
            for (const std::string& name : pretrained_agents())
                if (ImGui::MenuItem(name.c_str())) open_trained_agent(app, agents_dir() + "/" + name);
            ImGui::Separator();
            ImGui::TextDisabled("or drop a train --out directory on the window");
            ImGui::EndMenu();
        }
        if (ImGui::BeginMenu("Open sweep")) {  // the sweep directories under ./sweeps (the GUI's own, and yours)
            std::vector<std::string> dirs;
            std::error_code ec;
            for (const auto& e : std::filesystem::directory_iterator("sweeps", ec)) {
                if (std::filesystem::exists(e.path() / "sweep.json")) dirs.push_back(e.path().string());
                if (std::filesystem::exists(e.path() / "out" / "sweep.json")) dirs.push_back((e.path() / "out").string());
            }
            std::sort(dirs.begin(), dirs.end());
            for (const std::string& d : dirs)
                if (ImGui::MenuItem(d.c_str())) open_sweep(app, d);
            if (dirs.empty()) ImGui::TextDisabled("no sweep under ./sweeps yet");
            ImGui::Separator();
            ImGui::TextDisabled("or drop a sweep directory on the window, or: dreamlab gui --sweep DIR");
            ImGui::EndMenu();
        }
        if (ImGui::BeginMenu("Open run")) {  // train --out directories under ./runs: curves, final agent, timeline
            std::vector<std::string> dirs;
            std::error_code ec;
            for (const auto& e : std::filesystem::directory_iterator("runs", ec))
                if (std::filesystem::exists(e.path() / "config.json") && std::filesystem::exists(e.path() / "metrics.csv"))
                    dirs.push_back(e.path().string());
            std::sort(dirs.begin(), dirs.end());
            for (const std::string& d : dirs)
                if (ImGui::MenuItem(d.c_str())) open_run_dir(app, d);
            if (dirs.empty()) ImGui::TextDisabled("no run under ./runs yet");
            ImGui::Separator();
            ImGui::TextDisabled("or: dreamlab gui --run DIR (any train --out directory)");
            ImGui::EndMenu();
        }
        if (ImGui::MenuItem("Sweep the selected run…")) start_sweep_form(app);
        if (ImGui::MenuItem("Save as lesson…")) save_lesson_from_app(app);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("writes the runs, their hyperparameters and the transport as a lesson file to edit");
        ImGui::Separator();
        if (ImGui::MenuItem("Quit", "Ctrl+Q")) quit = true;
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Lessons")) {  // in teaching order; a lesson file of your own: --lesson FILE or drop it here
        if (ImGui::MenuItem("All lessons, with what each shows…")) app.lesson_browser = true;
        ImGui::Separator();
        for (const auto& l : shipped_lessons()) {
            if (ImGui::MenuItem(l->title.c_str(), l->slug.c_str(), app.lesson.lesson == l)) open_lesson(app, l);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\n(assets/lessons/%s.toml)", l->description.c_str(), l->slug.c_str());
        }
        ImGui::Separator();
        ImGui::TextDisabled("your own: dreamlab gui --lesson FILE.toml, or drop the file on the window");
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("View")) {
        float s = app.font_scale;
        if (ImGui::SliderFloat("font scale", &s, 0.75f, 3.0f, "%.2f")) app.font_scale = s;
        if (ImGui::IsItemDeactivatedAfterEdit()) app.font_dirty = true;
        ImGui::Checkbox("show |V - V*| instead of V*", &app.show_error_map);
        if (ImGui::MenuItem("Presentation (stage)", "F5", app.stage)) toggle_stage(app);
        ImGui::Separator();
        if (ImGui::MenuItem("Gradient estimators (concept)", nullptr, app.view == App::View::GradEstimators))
            app.view = app.view == App::View::GradEstimators ? App::View::Lab : App::View::GradEstimators;
        if (ImGui::MenuItem("Sweep explorer", nullptr, app.view == App::View::Sweep))
            app.view = app.view == App::View::Sweep ? App::View::Lab : App::View::Sweep;
        ImGui::EndMenu();
    }
    // While recording, the window's title says so (nothing about the recording is drawn into the video).
    ImGui::SameLine(ImGui::GetWindowWidth() - ImGui::CalcTextSize("000 FPS").x - ImGui::GetStyle().WindowPadding.x * 2);
    ImGui::TextDisabled("%.0f FPS", app.fps);
    ImGui::EndMainMenuBar();
}

void toggle_stage(App& app) {
    app.stage = !app.stage;
    app.font_dirty = true;
    app.stage_plots.clear();
    app.stage_compare = false;
    if (app.lesson.lesson)
        for (const std::string& v : app.lesson.lesson->stage) {
            if (v.rfind("plot:", 0) == 0) app.stage_plots.push_back(v.substr(5));
            app.stage_compare |= v == "compare";
        }
}

namespace {

// The stage: the lesson's views large, no transport or setup; the caption bar across the bottom.
void layout_stage(App& app, ImVec2 o, ImVec2 sz, ImGuiWindowFlags flags, const std::function<void(const char*)>& record) {
    std::vector<std::string> views = app.lesson.lesson ? app.lesson.lesson->stage : std::vector<std::string>{};
    if (views.empty()) views = {"environment", "values", "plots"};
    bool env = false, values = false, plots = false, timeline = false;
    for (const std::string& v : views) {
        timeline |= v == "timeline";
        env |= v == "environment";
        values |= v == "values" || v == "dream" || v == "compare";
        plots |= v == "plots" || v.rfind("plot:", 0) == 0;
    }
    auto place = [&](float x, float y, float w, float h) {
        ImGui::SetNextWindowPos(ImVec2(o.x + x, o.y + y));
        ImGui::SetNextWindowSize(ImVec2(w, h));
    };
    if (app.view == App::View::GradEstimators) {
        place(0, 0, sz.x, sz.y);
        if (ImGui::Begin("Gradient estimators", nullptr, flags)) record("Gradient estimators"), panel_grad_estimators(app);
        ImGui::End();
        return;
    }
    if (app.view == App::View::Sweep) {
        place(0, 0, sz.x, sz.y);
        if (ImGui::Begin("Sweep explorer", nullptr, flags)) record("Sweep explorer"), panel_sweep(app);
        ImGui::End();
        return;
    }
    if (timeline) {  // the strip across the bottom, on one line: drag back, Branch here (the lecturer's rewind)
        const float h = ImGui::GetFrameHeight() * 2 + ImGui::GetStyle().WindowPadding.y * 2 + ImGui::GetStyle().ItemSpacing.y;
        place(0, sz.y - h, sz.x, h);
        if (ImGui::Begin("Timeline", nullptr, flags | ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoScrollbar))
            record("Timeline"), panel_timeline(app);
        ImGui::End();
        sz.y -= h;
    }
    const float top_h = plots && (env || values) ? sz.y * 0.58f : plots ? 0 : sz.y;
    const float env_w = env && values ? std::min(sz.x * 0.36f, top_h * 1.1f) : env ? sz.x : 0;
    // A lake whose grids are nearly square (4x4, 8x8, the coin maps) gets the values the whole height on the right,
    // the environment and the plots in a column on the left, when that makes its cells clearly larger (the back
    // row reads the numbers); a wide map (the cliff) keeps the plots across the bottom.
    const float column_w = sz.x * 0.36f;
    if (values && plots && values_grid_cell(app, ImVec2(sz.x - column_w, sz.y)) >
                               1.2f * values_grid_cell(app, ImVec2(sz.x - env_w, top_h))) {
        const float env_h = env ? std::min(sz.y * 0.5f, column_w * 0.9f) : 0;
        if (env) {
            place(0, 0, column_w, env_h);
            if (ImGui::Begin("Environment", nullptr, flags)) record("Environment"), panel_environment(app);
            ImGui::End();
        }
        place(0, env_h, column_w, sz.y - env_h);
        if (ImGui::Begin("Plots", nullptr, flags)) record("Plots"), panel_plots(app);
        ImGui::End();
        place(column_w, 0, sz.x - column_w, sz.y);
        if (ImGui::Begin("Values and policy", nullptr, flags)) record("Values and policy"), panel_values(app);
        ImGui::End();
        return;
    }
    if (env) {
        place(0, 0, env_w, top_h);
        if (ImGui::Begin("Environment", nullptr, flags)) record("Environment"), panel_environment(app);
        ImGui::End();
    }
    if (values) {
        place(env_w, 0, sz.x - env_w, top_h);
        if (ImGui::Begin("Values and policy", nullptr, flags)) record("Values and policy"), panel_values(app);
        ImGui::End();
    }
    if (plots) {
        place(0, top_h, sz.x, sz.y - top_h);
        if (ImGui::Begin("Plots", nullptr, flags)) record("Plots"), panel_plots(app);
        ImGui::End();
    }
}

}  // namespace

namespace {

// Lessons → All lessons: every lesson in teaching order with its description and beats, one click to open.
void lesson_browser(App& app) {
    if (!app.lesson_browser) return;
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + vp->WorkSize.x * 0.5f, vp->WorkPos.y + vp->WorkSize.y * 0.5f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x * 0.8f, vp->WorkSize.y * 0.8f), ImGuiCond_Appearing);
    ImGui::SetNextWindowBgAlpha(1.0f);  // opaque: the dashboard behind must not show through the text
    if (ImGui::Begin("Lessons", &app.lesson_browser, ImGuiWindowFlags_NoCollapse)) {
        ImGui::TextDisabled("in teaching order; your own: dreamlab gui --lesson FILE.toml, or drop the file on the window");
        if (ImGui::BeginTable("##lessons", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_ScrollY)) {
            const float fs = ImGui::GetFontSize();
            float title_w = fs * 8;  // the longest title decides (a title is never cut)
            for (const auto& l : shipped_lessons()) title_w = std::max(title_w, ImGui::CalcTextSize(l->title.c_str()).x + fs);
            ImGui::TableSetupColumn("lesson", ImGuiTableColumnFlags_WidthFixed, title_w);
            ImGui::TableSetupColumn("what the class sees", ImGuiTableColumnFlags_WidthStretch);
            ImGui::TableSetupColumn("beats", ImGuiTableColumnFlags_WidthFixed, fs * 3);
            ImGui::TableSetupScrollFreeze(0, 1);
            ImGui::TableHeadersRow();
            for (const auto& l : shipped_lessons()) {
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::PushID(l->slug.c_str());
                if (ImGui::Selectable(l->title.c_str(), app.lesson.lesson == l, ImGuiSelectableFlags_SpanAllColumns)) {
                    open_lesson(app, l);
                    app.lesson_browser = false;
                }
                ImGui::PopID();
                ImGui::TableNextColumn();
                ImGui::TextWrapped("%s", l->description.c_str());
                ImGui::TextDisabled("--lesson %s", l->slug.c_str());
                ImGui::TableNextColumn();
                ImGui::Text("%zu", l->beats.size());
            }
            ImGui::EndTable();
        }
    }
    ImGui::End();
}

}  // namespace

// The dashboard: setup + transport on the left, env / values on top, plots below.
void layout_and_draw(App& app) {
    app.keys_taken = false;  // the panels claim the keyboard again each frame
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    const ImVec2 o = vp->WorkPos;
    // The lesson's caption bar, across the bottom; never more than 40% of the window (a long caption scrolls).
    const float caption_h = std::min(caption_height(app, vp->WorkSize.x), vp->WorkSize.y * 0.4f);
    const ImVec2 sz(vp->WorkSize.x, vp->WorkSize.y - caption_h);
    // The pictures get the room first: the controls' column narrows (to a quarter) as the font grows.
    const float left = std::min(420.0f * app.ui_scale(), sz.x * (app.ui_scale() > 1.4f ? 0.25f : 0.32f));
    const float transport_h = 190.0f * app.ui_scale();
    const float top_h = std::max(sz.y * 0.55f, 300.0f);
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse;
    app.panel_rects.clear();
    auto place = [&](float x, float y, float w, float h) {
        ImGui::SetNextWindowPos(ImVec2(o.x + x, o.y + y));
        ImGui::SetNextWindowSize(ImVec2(w, h));
    };
    const ImVec2 fb = ImGui::GetIO().DisplayFramebufferScale;
    auto record = [&](const char* name) {  // inside Begin: this panel's rectangle, for the screenshot checker
        const ImVec2 p = ImGui::GetWindowPos(), q = ImGui::GetWindowSize();
        app.panel_rects.push_back({name, p.x * fb.x, p.y * fb.y, q.x * fb.x, q.y * fb.y});
    };
    if (app.stage) {
        layout_stage(app, o, sz, flags, record);
    } else {
    place(0, 0, left, transport_h);
    if (ImGui::Begin("Transport", nullptr, flags)) record("Transport"), panel_transport(app);
    ImGui::End();
    place(0, transport_h, left, sz.y - transport_h);
    if (ImGui::Begin("Run setup", nullptr, flags)) record("Run setup"), panel_setup(app);
    ImGui::End();
    if (app.view == App::View::GradEstimators) {  // a concept panel takes the place of the env, values and plots
        place(left, 0, sz.x - left, sz.y);
        if (ImGui::Begin("Gradient estimators", nullptr, flags)) record("Gradient estimators"), panel_grad_estimators(app);
        ImGui::End();
    } else if (app.view == App::View::Sweep) {  // the sweep explorer too
        place(left, 0, sz.x - left, sz.y);
        if (ImGui::Begin("Sweep explorer", nullptr, flags)) record("Sweep explorer"), panel_sweep(app);
        ImGui::End();
    } else {
        const float env_w = std::min((sz.x - left) * (app.ui_scale() > 1.4f ? 0.28f : 0.34f), top_h * 0.95f);
        place(left, 0, env_w, top_h);
        if (ImGui::Begin("Environment", nullptr, flags)) record("Environment"), panel_environment(app);
        ImGui::End();
        place(left + env_w, 0, sz.x - left - env_w, top_h);
        if (ImGui::Begin("Values and policy", nullptr, flags)) record("Values and policy"), panel_values(app);
        ImGui::End();
        // The timeline strip under the plots: two lines (what is on show, the budget, Branch here; the strip).
        // At a large font the strip is thinner: the plots keep their room.
        const float timeline_h = (app.ui_scale() > 1.4f ? ImGui::GetFrameHeight() : ImGui::GetFontSize() * 3.8f) + ImGui::GetStyle().WindowPadding.y * 2 +
                                 ImGui::GetStyle().ItemSpacing.y;
        place(left, top_h, sz.x - left, sz.y - top_h - timeline_h);
        if (ImGui::Begin("Plots", nullptr, flags)) record("Plots"), panel_plots(app);
        ImGui::End();
        place(left, sz.y - timeline_h, sz.x - left, timeline_h);
        if (ImGui::Begin("Timeline", nullptr, flags | ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoScrollbar))
            record("Timeline"), panel_timeline(app);
        ImGui::End();
    }
    }
    if (caption_h > 0) {
        place(0, sz.y, sz.x, caption_h);
        if (ImGui::Begin("Lesson", nullptr, flags | ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoScrollbar)) record("Lesson"), panel_caption(app);
        ImGui::End();
    }
    if (!app.lesson.highlight.empty() && ImGui::GetTime() < app.lesson.highlight_until)  // a beat points at a panel
        for (const auto& r : app.panel_rects)
            if (r.name == app.lesson.highlight)
                ImGui::GetForegroundDrawList()->AddRect(ImVec2(r.x / fb.x + 2, r.y / fb.y + 2), ImVec2((r.x + r.w) / fb.x - 2, (r.y + r.h) / fb.y - 2),
                                                        IM_COL32(255, 214, 90, 255), 4, 0, 4);
    lesson_browser(app);
    ab_form(app);
    if (!app.toast.empty() && ImGui::GetTime() < app.toast_until) {
        ImGui::SetNextWindowPos(ImVec2(o.x + sz.x * 0.5f, o.y + sz.y - 40), 0, ImVec2(0.5f, 1));
        ImGui::SetNextWindowBgAlpha(0.85f);
        ImGui::Begin("##toast", nullptr, ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoInputs);
        ImGui::TextUnformatted(app.toast.c_str());
        ImGui::End();
    }
}


}  // namespace dl
