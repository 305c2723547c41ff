// The lesson player: opens a lesson file (its runs, transport and view), fires its beats as the runs progress or as
// the presenter presses → (← goes back one beat by re-running the lesson from its start), and draws the caption bar
// with the beats' progress strip. The lesson itself is parsed and checked in core/session/lesson.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "app/gui/gui.h"
#include "base/files.h"
#include "core/session/run_store.h"

namespace dl {

namespace {

std::vector<RunProgress> progress(const App& app) {
    std::vector<RunProgress> p;
    for (const auto& r : app.runs) {
        RunProgress q;
        q.env_steps = r->snap.env_steps, q.episodes = r->snap.episodes, q.updates = r->snap.updates;
        const int c = r->metrics.find("return");
        if (c >= 0)
            for (double v : r->metrics.col(c))
                if (!std::isnan(v)) q.returns.push_back(v);
        p.push_back(std::move(q));
    }
    return p;
}

void set_transport(App& app, bool play, double speed) {
    app.playing = play;
    app.unthrottled = speed <= 0;
    if (speed > 0) app.speed = float(speed);
    apply_transport(app);
}

// What the lesson view names are called on the dashboard (the highlight outlines that panel).
const char* panel_of(const std::string& view) {
    if (view == "environment") return "Environment";
    if (view == "timeline") return "Timeline";
    if (view == "values" || view == "dream" || view == "compare") return "Values and policy";
    return "Plots";
}

// How long a caption needs on screen to be read aloud: 0.3 s a word, 3 to 10 s.
double reading_time(const std::string& caption) {
    const double words = double(std::count(caption.begin(), caption.end(), ' ') + 1);
    return std::clamp(0.3 * words, 3.0, 10.0);
}

void apply_beat(App& app, size_t i) {
    LessonPlay& lp = app.lesson;
    const LessonBeat& b = lp.lesson->beats[i];
    if (!b.caption.empty()) lp.caption = b.caption, lp.caption_until = ImGui::GetTime() + reading_time(b.caption);
    if (b.play) lp.play = *b.play;
    if (b.speed) lp.speed = *b.speed;
    if (lp.seek_to == SIZE_MAX && (b.play || b.speed)) set_transport(app, lp.play, lp.speed);
    for (const BeatSet& s : b.set)
        for (int r = 0; r < int(app.runs.size()); ++r) {
            if (s.run >= 0 && r != s.run) continue;
            RunSlot& run = *app.runs[size_t(r)];
            if (!run.session || run.snap.finished) continue;
            run.session->set_live(s.name, s.value);
            run.cfg.algo_args[s.name] = s.value;
        }
    if (!b.view.empty()) lp.highlight = panel_of(b.view), lp.highlight_until = ImGui::GetTime() + 4;
    if (b.branch_dream) {  // the dream restarts from the first frame of the strip: everything after it is imagined
        dream_set_context(app, 1);
        if (b.view.empty()) lp.highlight = panel_of("dream"), lp.highlight_until = ImGui::GetTime() + 4;
    }
    if (!b.load_agent.empty()) open_trained_agent(app, b.load_agent, b.play_greedy > 0 ? b.play_greedy : 100);
    if (b.overlays) overlay_enable(app, *b.overlays);
    if (b.branch_from >= 0 && b.branch_from < int(app.runs.size())) {
        // From the run's newest checkpoint: where it stands now (the timeline takes one every episode or sweep).
        RunSlot& parent = *app.runs[size_t(b.branch_from)];
        std::shared_ptr<const TrainingState> at;
        if (parent.session && parent.session->timeline()) {
            const auto states = parent.session->timeline()->states();
            if (!states.empty()) at = states.back();
        }
        std::map<std::string, std::string> changes;
        for (const BeatSet& s : b.branch_set) changes[s.name] = s.value;
        if (at) branch_run(app, parent, at, changes);
        else app.notify("the lesson's branch: run " + std::to_string(b.branch_from) + " has no checkpoint yet");
    }
    if (b.select >= 0 && b.select < int(app.runs.size())) app.selected = b.select, load_draft(app);
}

}  // namespace

const std::vector<std::shared_ptr<const Lesson>>& shipped_lessons() {
    static const std::vector<std::shared_ptr<const Lesson>> lessons = [] {
        std::vector<std::string> errors;
        std::vector<std::shared_ptr<const Lesson>> out;
        for (Lesson& l : load_lessons(lessons_dir(), &errors)) out.push_back(std::make_shared<const Lesson>(std::move(l)));
        for (const std::string& e : errors) std::cerr << "dreamlab: lesson not listed: " << e << "\n";
        return out;
    }();
    return lessons;
}

std::shared_ptr<const Lesson> find_lesson(const std::string& name_or_path) {
    for (const auto& l : shipped_lessons())
        if (l->slug == name_or_path) return l;
    return std::make_shared<const Lesson>(load_lesson(name_or_path));  // throws LessonError
}

void open_trained_agent(App& app, const std::string& dir, int episodes) {
    RunConfig cfg;
    try {
        cfg = load_run_config(dir);  // the env (and its args) it was trained on
    } catch (const std::exception& e) {
        app.notify(std::string("cannot open the agent: ") + e.what(), 8);
        return;
    }
    cfg.algo_id = "trained";
    cfg.algo_args = {{"agent", dir}, {"episodes", std::to_string(episodes)}};
    add_run(app, cfg);
    app.selected = int(app.runs.size()) - 1;
    load_draft(app);
    if (!app.runs.back()->error.empty()) app.notify("cannot open the agent: " + app.runs.back()->error, 8);
}

void open_lesson(App& app, std::shared_ptr<const Lesson> lesson) {
    app.ab.reset();  // the lockstep pair holds the runs' sessions
    app.runs.clear();
    LessonPlay& lp = app.lesson;
    lp = LessonPlay{};
    lp.lesson = std::move(lesson);
    lp.timeline = std::make_unique<LessonTimeline>(*lp.lesson);
    lp.play = lp.lesson->play, lp.speed = lp.lesson->speed;
    set_transport(app, lp.play, lp.speed);  // before the runs start: they take it from the app
    app.view = lp.lesson->view == "gradient-estimators" ? App::View::GradEstimators : App::View::Lab;
    for (const RunConfig& c : lp.lesson->runs) add_run(app, c);
    if (lp.lesson->lockstep && app.runs.size() == 2) {  // an A/B pair: what tells the two apart, as the legend says it
        name_runs(app);
        std::string flipped = app.runs[1]->label();
        if (const size_t dot = flipped.find(" · "); dot != std::string::npos && app.runs[1]->cfg.algo_id == app.runs[0]->cfg.algo_id)
            flipped = flipped.substr(dot + 3);
        else flipped = app.runs[1]->cfg.algo_id + " instead of " + app.runs[0]->cfg.algo_id;
        pair_runs(app, *app.runs[0], *app.runs[1], flipped);
    }
    // A sweep lesson runs its sweep file into sweeps/<slug>/ (resumed when it is there: a second showing is instant).
    if (lp.lesson->view == "sweep") open_sweep_file(app, lp.lesson->sweep, "sweeps/" + lp.lesson->slug);
    app.selected = 0;
    load_draft(app);
}

void lesson_frame(App& app) {
    LessonPlay& lp = app.lesson;
    if (!lp.timeline) return;
    const std::vector<RunProgress> p = progress(app);
    for (int k = 0; k < 8 && !lp.timeline->done(); ++k) {  // a few per frame: beats due at once fire together
        const bool seeking = lp.seek_to != SIZE_MAX;
        if (seeking && lp.timeline->next() >= lp.seek_to) break;
        // While seeking back, a key beat fires at once (the presenter had pressed → there).
        const LessonBeat& b = lp.lesson->beats[lp.timeline->next()];
        if (!lp.timeline->due(p) && !(seeking && b.trigger.kind == BeatTrigger::Key)) break;
        // Two captions due at once (a fast run passes two thresholds in one frame): the second waits until the
        // first has been on screen long enough to read. The runs go on meanwhile.
        if (!seeking && !b.caption.empty() && ImGui::GetTime() < lp.caption_until) break;
        apply_beat(app, lp.timeline->advance());
    }
    if (lp.seek_to != SIZE_MAX && lp.timeline->next() >= lp.seek_to) {  // arrived: the transport the beats asked for
        lp.seek_to = SIZE_MAX;
        set_transport(app, lp.play, lp.speed);
    }
}

void lesson_next(App& app) {
    LessonPlay& lp = app.lesson;
    if (!lp.timeline || lp.timeline->done() || lp.seek_to != SIZE_MAX) return;
    apply_beat(app, lp.timeline->advance());
}

void lesson_back(App& app) {
    LessonPlay& lp = app.lesson;
    if (!lp.timeline || lp.timeline->next() == 0) return;
    // Runs are deterministic for a seed: restart them all, then fast-forward (unthrottled) through the beats
    // until the one before the current beat has fired again.
    const size_t target = lp.timeline->next() - 1;
    std::shared_ptr<const Lesson> l = lp.lesson;
    open_lesson(app, l);
    if (target == 0) return;
    app.lesson.seek_to = target;
    set_transport(app, true, 0);
}

void save_lesson_from_app(App& app) {
    Lesson l;
    l.title = app.lesson.lesson ? app.lesson.lesson->title + " (edited)" : "My lesson";
    l.description = "saved from the GUI: edit the title, the captions and the beats";
    for (const auto& r : app.runs) l.runs.push_back(r->cfg);
    l.play = app.playing;
    l.speed = app.unthrottled ? 0 : app.speed;
    l.view = app.view == App::View::GradEstimators ? "gradient-estimators" : "lab";  // a sweep is saved as its own file
    if (app.lesson.lesson) l.stage = app.lesson.lesson->stage;
    LessonBeat start;
    start.trigger.kind = BeatTrigger::Start;
    start.caption = "Write what the class should notice here.";
    l.beats.push_back(start);
    char stamp[32];
    const std::time_t t = std::time(nullptr);
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&t));
    const std::string path = "lessons/lesson-" + std::string(stamp) + ".toml";
    try {
        std::filesystem::create_directories("lessons");
        write_file_atomic(path, lesson_to_toml(l));
        app.notify("saved " + path + " (open it with dreamlab gui --lesson " + path + ")", 8);
    } catch (const std::exception& e) {
        app.notify(std::string("cannot save the lesson: ") + e.what(), 8);
    }
}

// A caption with **emphasis**, word-wrapped to `width`, drawn with the caption fonts. Returns its height.
float draw_caption(App& app, ImVec2 o, float width, const std::string& text, bool draw, float scale = 1.0f) {
    ImFont* regular = app.caption_font ? app.caption_font : ImGui::GetFont();
    ImFont* bold = app.caption_bold ? app.caption_bold : regular;
    const float size = regular->FontSize * scale, line_h = size * 1.25f;
    ImDrawList* dl = draw ? ImGui::GetWindowDrawList() : nullptr;
    float x = 0, y = 0;
    bool emph = false;
    size_t i = 0;
    while (i < text.size()) {
        if (text.compare(i, 2, "**") == 0) {
            emph = !emph, i += 2;
            continue;
        }
        if (text[i] == '\n') {  // as in Markdown: a blank line starts a new paragraph, a single line break is a space
            if (i + 1 < text.size() && text[i + 1] == '\n') {
                x = 0, y += line_h * 1.3f, i += 2;
                while (i < text.size() && text[i] == '\n') ++i;
            } else {
                x += regular->CalcTextSizeA(size, 1e9f, 0, " ").x, ++i;
            }
            continue;
        }
        size_t j = i;  // one word and the spaces after it
        while (j < text.size() && text[j] != ' ' && text[j] != '\n' && text.compare(j, 2, "**") != 0) ++j;
        while (j < text.size() && text[j] == ' ') ++j;
        ImFont* f = emph ? bold : regular;
        const ImVec2 ws = f->CalcTextSizeA(size, 1e9f, 0, text.c_str() + i, text.c_str() + j);
        if (x > 0 && x + ws.x > width) x = 0, y += line_h;
        if (draw)
            dl->AddText(f, size, ImVec2(o.x + x, o.y + y), emph ? IM_COL32(255, 214, 90, 255) : IM_COL32(240, 240, 240, 255),
                        text.c_str() + i, text.c_str() + j);
        x += ws.x;
        i = j;
    }
    return y + line_h;
}

void panel_caption(App& app) {
    LessonPlay& lp = app.lesson;
    if (!lp.lesson) return;
    const float fs = ImGui::GetFontSize();
    const ImVec2 o = ImGui::GetCursorScreenPos(), avail = ImGui::GetContentRegionAvail();
    const float strip_w = std::min(avail.x * 0.22f, fs * 18);
    // Left: the lesson's title and the caption on show.
    ImGui::TextDisabled("%s", lp.lesson->title.c_str());
    const ImVec2 c = ImGui::GetCursorScreenPos();
    const std::string& text = lp.caption.empty() ? lp.lesson->description : lp.caption;
    // A caption taller than the bar (a small window at a large font: the bar is at most 40% of it) is set a
    // little smaller, down to 60%, rather than cut at the bar's edge; only past that does it scroll.
    const float room = o.y + avail.y - c.y, text_w = avail.x - strip_w - fs;
    float scale = 1;
    while (scale > 0.6f && draw_caption(app, c, text_w, text, false, scale) > room) scale *= 0.95f;
    const float h = draw_caption(app, c, text_w, text, true, scale);
    ImGui::Dummy(ImVec2(text_w, h));
    // Right: one dot per beat (filled: fired; ringed: next), hover for what it waits for; → and ← hints.
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const auto& beats = lp.lesson->beats;
    const size_t next = lp.timeline ? lp.timeline->next() : 0;
    const float x0 = o.x + avail.x - strip_w, r = fs * 0.35f;
    const float step = beats.empty() ? 0 : std::min(fs * 1.2f, (strip_w - fs) / float(beats.size()));
    for (size_t i = 0; i < beats.size(); ++i) {
        const ImVec2 p(x0 + r + float(i) * step, o.y + fs * 0.7f);
        if (i < next) dl->AddCircleFilled(p, r, IM_COL32(90, 170, 255, 255));
        else dl->AddCircle(p, r, i == next ? IM_COL32(255, 214, 90, 255) : IM_COL32(120, 120, 130, 255), 12, i == next ? 2.5f : 1.0f);
        if (ImGui::IsMouseHoveringRect(ImVec2(p.x - step / 2, p.y - r * 2), ImVec2(p.x + step / 2, p.y + r * 2)))
            ImGui::SetTooltip("beat %zu of %zu — %s%s", i + 1, beats.size(), beats[i].label().c_str(),
                              i < next ? " (fired)" : i == next ? " (next)" : "");
    }
    // The hint in pieces that wrap inside the strip (never clipped at the window's edge).
    std::vector<std::string> hint;
    char buf[96];
    if (app.offline) {  // a video: no keys
        std::snprintf(buf, sizeof buf, "beat %zu/%zu", std::min(next, beats.size()), beats.size());
        hint = {buf};
    } else if (lp.seek_to != SIZE_MAX) {
        std::snprintf(buf, sizeof buf, "re-running to beat %zu…", lp.seek_to);
        hint = {"going back:", buf};
    } else if (next < beats.size()) {
        std::snprintf(buf, sizeof buf, "beat %zu/%zu", next, beats.size());
        hint = {buf, beats[next].trigger.kind == BeatTrigger::Key ? "→ next (waits for →)" : "→ next", "← back"};
    } else {
        std::snprintf(buf, sizeof buf, "all %zu beats done", beats.size());
        hint = {buf, "← back"};
    }
    const float gap = ImGui::CalcTextSize("  ").x;
    float hx = 0, hy = o.y + fs * 1.5f;
    for (const std::string& part : hint) {
        const float w = ImGui::CalcTextSize(part.c_str()).x;
        if (hx > 0 && hx + w > strip_w) hx = 0, hy += ImGui::GetTextLineHeightWithSpacing();
        dl->AddText(ImVec2(x0 + hx, hy), IM_COL32(170, 170, 180, 255), part.c_str());
        hx += w + gap;
    }
}

float caption_height(App& app, float width) {
    if (!app.lesson.lesson) return 0;
    const LessonPlay& lp = app.lesson;
    const std::string& text = lp.caption.empty() ? lp.lesson->description : lp.caption;
    const float fs = ImGui::GetFontSize();
    const float strip_w = std::min(width * 0.22f, fs * 18);
    // Room for the tallest caption of the lesson, so the panels do not jump as captions change.
    float h = draw_caption(app, ImVec2(0, 0), width - strip_w - fs * 2, text, false);
    for (const LessonBeat& b : lp.lesson->beats)
        if (!b.caption.empty()) h = std::max(h, draw_caption(app, ImVec2(0, 0), width - strip_w - fs * 2, b.caption, false));
    return h + fs * 2.2f + ImGui::GetStyle().WindowPadding.y * 2;
}

}  // namespace dl
