// The GUI's state and its panels (one panel per file). The App owns the runs; each run's worker thread
// publishes snapshots that panels read without waiting.
//
// [SECTION] RunSlot   — one run shown in the GUI (config, live session, what it last published)
// [SECTION] App       — every run, transport settings, view settings, window services
// [SECTION] Panels    — one function per panel, each in its own file
#pragma once
#include <algorithm>
#include <cmath>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <imgui.h>

#include "core/rl/run.h"
#include "core/session/lesson.h"
#include "core/session/lockstep.h"
#include "core/session/session.h"
#include "media/media.h"
#include "render/texture.h"

namespace dl {

// [SECTION] RunSlot

struct RunSlot {
    int id = 0;
    ImU32 color = 0;
    RunConfig cfg;                         // what the session runs (live changes are mirrored here)
    std::unique_ptr<Session> session;
    Snapshot snap;
    uint64_t snap_seq = 0;
    MetricsTable metrics;                  // the UI's incremental copy
    std::vector<Marker> markers;
    std::string error;
    std::string alert;                     // the run is held (training produced NaN): why, until it is resumed
    bool visible = true;
    // Training throughput as seen by the UI (wall-clock, so it lives here and never in metrics.csv).
    std::vector<double> sps_x, sps_y;
    // The derived views this frame's panels asked for (dream strip, state maps): sent to the worker by poll_runs
    // at the start of the next frame, answered in snap.views.
    ViewRequest want_views;

    std::string name;                      // what sets it apart from the other runs ("td3 · noise=ou"); name_runs
    std::string label() const;             // its name, or "q_learning #1" before it has one

    // The timeline (core/rl/timeline.h): the session's checkpoints. While one is on show (rewind), `snap` is the
    // agent as it was there (its tables, networks, env; the derived views computed here) and `live` what the worker
    // publishes meanwhile; otherwise snap is the live snapshot.
    Snapshot live;
    std::shared_ptr<const TrainingState> rewind;
    std::shared_ptr<const TrainingState> rewind_shown;            // rewind, with its views (rebuilt if it had none)
    std::future<std::shared_ptr<TrainingState>> rewind_loading;   // a checkpoint read from disk, its views rebuilding
    ComputedViews rewind_views;
    ViewRequest rewind_req;
    const TrainingState* rewind_views_for = nullptr;
    const TrainingState* rewind_built_for = nullptr;   // what snap was last built from (show_rewound)
    uint64_t rewind_built_seq = ~uint64_t(0);
    // A branch: its parent run, and where it left it (the curves draw it from that row on).
    int parent_id = 0;
    int64_t branch_units = -1, branch_row = 0;  // env steps (sweeps for a planner), and the metrics row, there
    std::string branch_note;               // what changed there ("alpha=0.5"), or "continued"
    std::string opened_from;               // File → Open run: the run directory it was reopened from
};

// [SECTION] App

struct GroundTruth {
    std::string key;                       // env args + gamma it was solved for
    std::vector<double> v, q, pi;          // V*, Q*, greedy π* (one-hot, lowest-index ties)
};

// The lesson being played (lesson_player.cpp): its timeline, the caption on show, the transport its beats set.
struct LessonPlay {
    std::shared_ptr<const Lesson> lesson;
    std::unique_ptr<LessonTimeline> timeline;
    std::string caption;
    double caption_until = 0;              // a later beat's caption waits until this one has been read
    bool play = false;
    double speed = 30;                     // steps/s (app.unthrottled: no limit)
    size_t seek_to = SIZE_MAX;             // ← re-runs the lesson up to this beat (unthrottled), then restores
    std::string highlight;                 // a panel a beat pointed at, outlined until highlight_until
    double highlight_until = 0;
};

// Lockstep A/B (runs.cpp, panel_ab.cpp): run a and run b from one seed, b with the switches flipped, advanced
// together: neither takes a step past the other before the views draw them.
struct AbPair {
    int a = 0, b = 0;                      // run ids
    std::string flipped;                   // what differs ("target_network=off", "sarsa instead of q_learning")
    std::unique_ptr<LockstepPair> pair;
    double owed = 0;                       // steps the speed limit allowed but not yet asked for
};

struct App {
    std::vector<std::unique_ptr<RunSlot>> runs;
    std::unique_ptr<AbPair> ab;            // the lockstep pair on show, if any
    LessonPlay lesson;
    int selected = 0;
    int next_id = 1;

    // Transport: applies to every run, so compared runs stay in step.
    bool playing = false;
    bool unthrottled = false;
    float speed = 30;                      // steps per second (the selected algorithm's step unit)

    // Draft of the selected run's configuration, edited by the setup panel.
    std::unique_ptr<ArgsBase> draft_env, draft_algo;
    std::string draft_env_id, draft_algo_id;
    uint64_t draft_seed = 1;
    bool restart_needed = false;
    std::string setup_error;

    // Views.
    enum class View { Lab, GradEstimators, Sweep } view = View::Lab;  // the dashboard, or a concept panel or the sweep explorer in its place
    // Presentation mode (F5, View menu; Esc leaves it): the lesson's stage views large, controls hidden, the caption
    // bar, and text at least 1.9× (28 px captions and axis labels at font scale 1) for the back of a lecture hall.
    bool stage = false;
    std::vector<std::string> stage_plots;  // the plot:<metric> entries of the lesson's stage
    bool stage_compare = false;            // the stage's values panel shows every run's V and π side by side
    bool show_error_map = false;           // |V − V*| instead of V*
    bool lesson_browser = false;           // Lessons → All lessons (the window listing every lesson)
    // Each panel keeps its own state in its own file (App holds it opaquely, created on first draw).
    std::shared_ptr<struct PlotsPanelState> plots_panel;
    std::shared_ptr<struct GradPanelState> grad_panel;
    GroundTruth truth;
    // State maps (continuous envs): their state lives in panel_state_maps.cpp.
    std::shared_ptr<struct StateMapsState> state_maps_panel;
    // The environment panel (map editor, human play, replays) and the pixel panel keep their state in their files.
    std::shared_ptr<struct EnvironmentPanelState> environment_panel;
    std::shared_ptr<struct PixelPanelState> pixel_panel;
    // Dream vs reality (world-model learners): its state lives in panel_dream.cpp.
    std::shared_ptr<struct DreamPanelState> dream_panel;
    // The sweep explorer (panel_sweep.cpp): the open sweep directory, a sweep running here, the views' choices.
    std::shared_ptr<struct SweepPanelState> sweep_panel;
    // The timeline strip (panel_timeline.cpp): its branch form.
    std::shared_ptr<struct TimelinePanelState> timeline_panel;
    // The Compare A/B form (panel_ab.cpp).
    std::shared_ptr<struct AbFormState> ab_form;
    // The overlays on show (panel_overlays.cpp): which of the algorithm's insides are drawn.
    std::shared_ptr<struct OverlayPanelState> overlay_panel;
    // Offline rendering (dreamlab render): the renderer drives every session in lock step with the video, so the
    // transport never touches the sessions' controls and runs start paused; no menu bar.
    bool offline = false;
    bool keys_taken = false;               // a panel drives a world from the keyboard this frame (no Space/N/E)


    // Window services.
    struct PanelRect {
        std::string name;
        float x, y, w, h;  // in framebuffer pixels
    };
    std::vector<PanelRect> panel_rects;    // where each panel was drawn this frame (written beside test screenshots)
    float font_scale = 1.0f;
    bool font_dirty = true;
    ImFont* caption_font = nullptr;        // captions: at least 28 px at font scale 1 (the back row)
    ImFont* caption_bold = nullptr;        // their **emphasis**
    std::string dropped;                   // a file dropped on the window (a lesson to open)
    std::string screenshot_request;        // path; taken after the next frame is drawn
    VideoWriter video;
    bool stop_recording_requested = false; // File → Stop recording (the window finishes it)
    double video_t0 = 0;
    int video_fps = 30;
    std::string toast;                     // a short message at the bottom
    double toast_until = 0;
    double fps = 0;

    float display_h = 1080;                // the window's (or video's) height in pixels
    float fonts_built_at = 0;              // the ui_scale the font atlas was built for
    // What fonts and layout use. The stage looks the same at every size, like a slide: at 1920×1080 text is 1.9×
    // (28 px captions and axis labels) or the font scale if larger, and the whole of it scales with the height (a
    // 1280×720 stage is the 1080p one made smaller, at any font scale).
    float ui_scale() const { return stage ? std::max(font_scale, 1.9f) * display_h / 1080.0f : font_scale; }
    // Call before each frame: rebuilds the fonts when the stage's scale followed a new window height.
    bool fonts_stale() const { return font_dirty || std::abs(ui_scale() - fonts_built_at) > 0.02f * fonts_built_at; }
    RunSlot* current() { return runs.empty() ? nullptr : runs[size_t(std::clamp(selected, 0, int(runs.size()) - 1))].get(); }
    void notify(const std::string& msg, double seconds = 4.0);
};

// Run management (runs.cpp).
void add_run(App& app, const RunConfig& cfg);                // starts it with the app's transport state
void restart_run(App& app, RunSlot& run, const RunConfig& cfg);
void poll_runs(App& app);                                    // pulls snapshots and metrics, never blocks
// The timeline: show `run` as it was at checkpoint `at` (nullptr: live again).
void rewind_run(App& app, RunSlot& run, std::shared_ptr<const TrainingState> at);
// A new run going on from `parent`'s checkpoint `at`, with `changes` applied there (none: an exact continuation);
// it is drawn on the plots from its branch point, and listed under its parent. Returns it (nullptr on error).
RunSlot* branch_run(App& app, RunSlot& parent, std::shared_ptr<const TrainingState> at,
                    const std::map<std::string, std::string>& changes);
// File → Open run: a train --out directory with its curves and timeline, resumed from its newest checkpoint and
// replayed unthrottled to its end (it stands done, as it stood).
void open_run_dir(App& app, const std::string& dir);
RunSlot* find_run(App& app, int id);
// Compare A/B: restarts `a` from its start and adds b (its config with `b_cfg`'s differences), the two in lockstep.
void start_ab(App& app, RunSlot& a, const RunConfig& b_cfg, const std::string& flipped);
void pair_runs(App& app, RunSlot& a, RunSlot& b, const std::string& flipped);  // two runs at their start, in lockstep
void stop_ab(App& app);                  // the two go on as ordinary runs
bool in_ab(const App& app, const RunSlot& run);
void open_ab_form(App& app);             // Compare A/B… for the selected run (panel_ab.cpp)
void ab_form(App& app);                  // the form, while open (drawn every frame)
// The values panel of a lockstep pair on a lake: V of a, V of b (their arrows), and ΔV = V_b − V_a with the cells
// where the greedy actions differ outlined. False if the selected run is in no pair (or not on a lake).
bool ab_values(App& app);
void panel_timeline(App& app);  // the strip under the plots: checkpoints, drag back, branch here
// Names every run by what differs from its siblings: the algorithm, then the env, each setting and the seed where
// the runs disagree ("ppo · norm_adv=off", "q_learning · seed 2"); " #id" only where two are otherwise the same.
void name_runs(App& app);
void apply_transport(App& app);                              // pushes play/pause/speed to every session
void step_all(App& app, Tick unit);
void load_draft(App& app);                                   // draft ← selected run's config
RunConfig draft_config(const App& app);
// Lessons (lesson_player.cpp): the shipped ones (assets/lessons, in teaching order), one by slug or path.
const std::vector<std::shared_ptr<const Lesson>>& shipped_lessons();
std::shared_ptr<const Lesson> find_lesson(const std::string& name_or_path);  // throws LessonError
void open_lesson(App& app, std::shared_ptr<const Lesson> lesson);           // replaces every run
// Adds a run in which a trained agent (a train --out directory or assets/agents/NAME) plays greedily, and selects it.
void open_trained_agent(App& app, const std::string& dir, int episodes = 100);
void lesson_frame(App& app);   // fires the beats that are due (after poll_runs, every frame)
void lesson_next(App& app);    // →: the next beat now
void lesson_back(App& app);    // ←: back one beat (re-runs the lesson from its start)
void save_lesson_from_app(App& app);  // File → Save as lesson: lessons/lesson-<time>.toml
void panel_caption(App& app);
float caption_height(App& app, float width);
const GroundTruth& ground_truth(App& app, const RunSlot& run);

// The frame (frame.cpp), drawn the same by the window and by the offline renderer.
void rebuild_fonts(App& app);            // after a font-scale or stage change (app.font_dirty)
void toggle_stage(App& app);             // dashboard ⇄ stage (F5)
void menu_bar(App& app, bool& quit);
void layout_and_draw(App& app);          // the dashboard or the stage, the caption bar, highlight and toast
std::string timestamped(const char* dir, const char* ext);  // dir/dreamlab-<time><ext>, creating dir
// The finished frame as RGB rows, bottom row first: the window's back buffer, or the bound framebuffer object's.
std::vector<uint8_t> read_framebuffer(int w, int h, bool back_buffer);

// [SECTION] Panels
void panel_setup(App& app);
void panel_transport(App& app);
void panel_environment(App& app);
void panel_values(App& app);
// The cell size (px) the values panel's lake grids get in a panel of outer size `panel` (0: not a lake view).
float values_grid_cell(App& app, ImVec2 panel);
void panel_state_maps(App& app);  // called by panel_values for continuous-state envs
void panel_pixel_policy(App& app);  // called by panel_values for pixel games (MinAtar)
void panel_dream(App& app);              // world-model learners: dream vs reality, latent sliders, play in the dream
void dream_set_context(App& app, int observed);  // where the dream branches: after this many observed real frames
void panel_dream_transitions(App& app);  // world-model learners on Frozen Lake: learned vs true P(s'|s,a)
// The MinAtar action (full set) the keyboard asks for: Space fires, arrows or WASD move, else `latched` (a key
// tapped between two game steps, kept until the next step) or a no-op.
int keyboard_action(int& latched);
void panel_plots(App& app);
void panel_grad_estimators(App& app);  // concept: score-function, baseline, pathwise, Gumbel-softmax estimators
// The sweep explorer (panel_sweep.cpp): heatmap, sensitivity, learning curves, trials, parallel coordinates.
void panel_sweep(App& app);
void open_sweep(App& app, const std::string& dir);  // a sweep directory (running or done): the explorer shows it
// Runs a sweep file into out_dir on this machine's cores (resuming what is there) and shows it filling in.
void open_sweep_file(App& app, const std::string& file, const std::string& out_dir);
void start_sweep_form(App& app);                   // the explorer's "Sweep this run" form, for the selected run

// Overlays (panel_overlays.cpp): the algorithm's insides (core/rl/insides.h) drawn on the value views.
struct OverlayChoice {
    const InsideLayer* heat = nullptr;       // a heat or backup layer: the right-hand grid shows it instead of V*
    std::vector<const InsideLayer*> drawn;   // arrows, paths, points, histograms drawn over the views
    int backup_state = -1;                   // the cell whose backup is written out
};
// The toggles (hidden on stage), one per layer this view can draw (`grid`: a tabular grid, else a state plane);
// returns what is on.
OverlayChoice overlay_controls(App& app, const Insides* in, bool grid);
void overlay_enable(App& app, const std::vector<std::string>& ids);  // a lesson's overlays = [...]
void overlay_select_cell(App& app, int s);                           // a click on the learned grid
bool overlay_take(App& app, const std::string& id);  // a lesson asked for a layer a panel draws itself (once)
float overlay_caption_height(const OverlayChoice& c, float width);
void overlay_caption(const OverlayChoice& c);                        // one line per layer on: what it shows
void overlay_grid(const OverlayChoice& c, const GridLayout& g, int layer, ImVec2 at, float cell);
void overlay_path_tooltip(const OverlayChoice& c, int hovered_state);
bool overlay_heat(const OverlayChoice& c, const TabularView& t, std::vector<double>& values, struct GridViewOptions& o);
void backup_readout(const OverlayChoice& c, const DiscreteEnv& env, const TabularView& t);
void backup_arrows(const OverlayChoice& c, const DiscreteEnv& env, const TabularView& t, const GridLayout& g, int layer, ImVec2 at,
                   float cell);
int backup_cell(const OverlayChoice& c, const TabularView& t);  // the clicked cell, else the one the sweep changed most
void overlay_histograms(const OverlayChoice& c, float width);
float overlay_histograms_height(const OverlayChoice& c);
void overlay_plane(const OverlayChoice& c, const StatePlane& sp, ImDrawList* dl, ImVec2 origin, float size);

// Widgets shared by panels.
// The i-th colour of the runs' palette (Okabe & Ito's, colour-blind safe; 8 colours, then again): runs, and any
// panel's series (the sweep explorer's configurations).
ImU32 palette_colour(int i);
bool param_editor(ArgsBase& args, std::vector<std::pair<std::string, std::string>>& changed, bool show_apply);
void help_marker(const char* text);
// Puts the next item on this line if `width` more still fits in the panel, else lets it start a new line: rows of
// controls flow onto the next line at a large font instead of being cut at the panel's edge.
void same_line_if_fits(float width);
float button_width(const char* label);                 // a Button's width
float checkbox_width(const char* label);               // a Checkbox with its label
float labelled_width(float item_width, const char* label);  // a slider or combo of item_width with its label

}  // namespace dl
