// A lesson: a text file a lecturer writes (TOML, assets/lessons/*.toml) naming the runs to train, what is on stage,
// and a timeline of beats — captions, pauses, speed and hyperparameter changes — that fire at points of a run's
// progress or on the presenter's key. Parsed and checked here, headless; the GUI plays it (app/gui/lesson_player).
//
// Why TOML: a lecturer writes these by hand, and TOML has comments, multi-line strings for captions and tables that
// read like the config.json of a run directory (`env.id`, `env.args`, `algo.id`, `algo.args`, `seed`); Debian's
// toml++ parser also gives the line of every value, so an error names the file, the line and the field.
//
// [SECTION] Lesson   — the parsed file: runs, transport, stage, beats
// [SECTION] Loading  — parse_lesson / load_lesson (every field checked; errors name file:line and the field)
// [SECTION] Timeline — LessonTimeline: which beat fires next, from the runs' progress and the presenter's keys
// [SECTION] Writing  — lesson_to_toml (a lesson saved from the GUI's current state, to edit)
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/rl/run.h"

namespace dl {

// [SECTION] Lesson

// When a beat fires. Beats fire in file order: a beat's trigger is only looked at once the one before it fired.
struct BeatTrigger {
    enum Kind {
        Key,         // the presenter presses → or Space (every beat also fires on the key: the presenter can skip ahead)
        Start,       // as soon as the beat before it fired (the lesson's first beat: when the lesson opens)
        EnvSteps,    // run `run` has taken at least `value` env steps
        Episodes,    // … finished `value` episodes
        Updates,     // … made `value` updates (a planner's sweeps, a deep learner's gradient updates)
        MeanReturn,  // … the mean return of its last `window` episodes reached `value`
    } kind = Key;
    int run = 0;
    double value = 0;
    int window = 20;
};

// A live hyperparameter change made by a beat (marked on the curves like a change made by hand).
struct BeatSet {
    int run = -1;  // -1: every run
    std::string name, value;
};

struct LessonBeat {
    int line = 0;                       // where it is in the file
    BeatTrigger trigger;
    std::string caption;                // shown until the next caption; **bold** spans are emphasised; as in
                                        // Markdown a single line break is a space, a blank line a new paragraph
    std::optional<bool> play;           // true: play, false: pause
    std::optional<double> speed;        // env steps (planners: sweeps) per second; 0 = no limit
    std::vector<BeatSet> set;
    std::string view;                   // bring this view to the stage ("values", "environment", "plots", "dream")
    std::string load_agent;             // a run directory (agent.json …) whose trained agent to show
    int play_greedy = 0;                // play this many episodes of the loaded agent's greedy policy
    bool branch_dream = false;          // branch the dream strip from the current frame
    int select = -1;                    // the run the views show from now on (runs a load_agent added count on)
    std::optional<std::vector<std::string>> overlays;  // the overlay layers on show from now on (inside_layer_ids())
    // branch = { from = 0, set = { alpha = 0.5 } }: a new run going on from run `from`'s newest checkpoint, with
    // these hyperparameters changed there (none: an exact continuation); drawn from its branch point.
    int branch_from = -1;
    std::vector<BeatSet> branch_set;
    std::string label() const;          // "beat at line 12 (episodes ≥ 100)" for the progress strip
};

struct Lesson {
    std::string file;                   // where it was read from ("" for a lesson built in memory)
    std::string slug;                   // the file's stem: "qlearning-vs-sarsa"
    std::string title, description;
    int order = 1000;                   // position in the Lessons menu (the teaching sequence)
    std::vector<RunConfig> runs;
    bool play = false;                  // start playing (else paused: the presenter presses Play or →)
    double speed = 30;                  // env steps per second at the start; 0 = no limit
    std::string view = "lab";           // "lab" (the dashboard of runs), "gradient-estimators" (the concept panel) or
                                        // "sweep" (the sweep explorer, running `sweep`)
    std::string sweep;                  // view = "sweep": the sweep file (resolved: relative to the lesson file), run
                                        // on this machine's cores into sweeps/<slug>/ (resumed if it is there)
    std::vector<std::string> stage;     // the views on stage, in order
    bool lockstep = false;              // its two runs are an A/B pair advancing in lockstep (lockstep = true)
    std::vector<LessonBeat> beats;
};

// The views a lesson can name (stage, a beat's view).
const std::vector<std::string>& lesson_views();

// [SECTION] Loading

// A bad lesson: what() is "FILE:LINE: FIELD: what is wrong; what is allowed".
struct LessonError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// Parses and checks everything — TOML syntax, unknown keys, every env, algorithm and hyperparameter against the
// registries, beat triggers against the run's budget — and throws LessonError at the first problem. `name` is
// what errors call the file.
Lesson parse_lesson(const std::string& text, const std::string& name);
Lesson load_lesson(const std::string& path);   // reads the file (at most 1 MiB) and parses it
// Every *.toml in `dir`, sorted by (order, slug); a file that does not load is reported in `errors`, not listed.
std::vector<Lesson> load_lessons(const std::string& dir, std::vector<std::string>* errors = nullptr);
// The lesson directory shipped with the app: $DREAMLAB_LESSONS, else assets/lessons beside the executable's
// source tree (the build records it), else ./assets/lessons.
std::string lessons_dir();

// [SECTION] Timeline

// One run's progress as the timeline sees it.
struct RunProgress {
    int64_t env_steps = 0, episodes = 0, updates = 0;
    std::vector<double> returns;        // every finished episode's return, in order
    double mean_return(int window) const;  // NaN until `window` episodes finished
};

class LessonTimeline {
public:
    explicit LessonTimeline(const Lesson& lesson) : beats_(&lesson.beats) {}
    // The index of the next beat (beats().size() when every beat fired).
    size_t next() const { return next_; }
    bool done() const { return next_ >= beats_->size(); }
    // Is the next beat due with this progress? (Key beats are due only through advance().)
    bool due(const std::vector<RunProgress>& runs) const;
    // Fires the next beat: returns its index (the caller applies it). Call when due() or on the presenter's key.
    size_t advance() { return next_++; }
    // Back to the start (← re-runs the lesson deterministically up to the beat before the current one).
    void rewind() { next_ = 0; }

private:
    const std::vector<LessonBeat>* beats_;
    size_t next_ = 0;
};

// [SECTION] Writing

// A lesson file for `l` (runs with their full arguments as given, transport, stage, beats); parse_lesson reads
// it back to the same lesson.
std::string lesson_to_toml(const Lesson& l);

}  // namespace dl
