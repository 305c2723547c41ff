// core/session/lesson: lesson files parsed and checked (every error names file:line and the field), the timeline's
// triggers, the shipped lessons all load, and a lesson written back reads the same.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/rl/agent.h"
#include "core/session/lesson.h"

using namespace dl;

namespace {

const char* kGood = R"(# two runs and four beats
title = "Q-learning vs SARSA"
description = "the safe path and the short one"
order = 20
play = true
speed = 200
stage = ["environment", "values", "plot:return"]

[[runs]]
env = { id = "FrozenLake-v1", args = { is_slippery = false } }
algo = { id = "q_learning", args = { episodes = 300, alpha = 0.5 } }
seed = 3

[[runs]]
env.id = "FrozenLake-v1"
algo.id = "sarsa"
algo.args.episodes = 300

[[beats]]
at = "start"
caption = """Two learners, one lake.
Watch **the arrows** near the holes."""

[[beats]]
at = { episodes = 100, run = 1 }
caption = "SARSA after 100 episodes"
speed = 30

[[beats]]
at = { mean_return = 0.5, window = 10 }
pause = true
run = 0
set = { alpha = 0.1 }

[[beats]]
caption = "press → to go on"
)";

// The error a bad lesson gets (empty when it parses).
std::string error_of(const std::string& text) {
    try {
        parse_lesson(text, "bad.toml");
    } catch (const LessonError& e) {
        return e.what();
    }
    return "";
}

// kGood with one line replaced (the line must exist).
std::string with(const std::string& from, const std::string& to) {
    std::string s = kGood;
    const size_t i = s.find(from);
    REQUIRE(i != std::string::npos);
    return s.replace(i, from.size(), to);
}

}  // namespace

TEST_CASE("a lesson file: runs in config.json's words, transport, stage and beats with their triggers") {
    const Lesson l = parse_lesson(kGood, "lessons/qs.toml");
    CHECK(l.slug == "qs");
    CHECK(l.title == "Q-learning vs SARSA");
    CHECK(l.order == 20);
    CHECK(l.play);
    CHECK(l.speed == 200);
    CHECK(l.stage == std::vector<std::string>{"environment", "values", "plot:return"});
    REQUIRE(l.runs.size() == 2);
    CHECK(l.runs[0].env_args.at("is_slippery") == "false");
    CHECK(l.runs[0].algo_args.at("alpha") == "0.5");
    CHECK(l.runs[0].algo_args.at("episodes") == "300");
    CHECK(l.runs[0].seed == 3);
    CHECK(l.runs[1].algo_id == "sarsa");
    CHECK(l.runs[1].seed == 1);
    REQUIRE(l.beats.size() == 4);
    CHECK(l.beats[0].trigger.kind == BeatTrigger::Start);
    CHECK(l.beats[0].caption == "Two learners, one lake.\nWatch **the arrows** near the holes.");
    CHECK(l.beats[1].trigger.kind == BeatTrigger::Episodes);
    CHECK(l.beats[1].trigger.run == 1);
    CHECK(l.beats[1].trigger.value == 100);
    CHECK(*l.beats[1].speed == 30);
    CHECK(l.beats[1].line == 24);  // its [[beats]] header
    CHECK(l.beats[2].trigger.kind == BeatTrigger::MeanReturn);
    CHECK(l.beats[2].trigger.window == 10);
    CHECK(l.beats[2].play == std::optional<bool>(false));
    REQUIRE(l.beats[2].set.size() == 1);
    CHECK((l.beats[2].set[0].run == 0 && l.beats[2].set[0].name == "alpha" && l.beats[2].set[0].value == "0.1"));
    CHECK(l.beats[3].trigger.kind == BeatTrigger::Key);  // no `at`: the presenter's key

    // Written back, it reads the same.
    const Lesson back = parse_lesson(lesson_to_toml(l), "qs.toml");
    CHECK(back.title == l.title);
    CHECK(back.stage == l.stage);
    REQUIRE(back.runs.size() == 2);
    CHECK(back.runs[0].algo_args == l.runs[0].algo_args);
    CHECK(back.runs[0].env_args == l.runs[0].env_args);
    REQUIRE(back.beats.size() == 4);
    for (size_t i = 0; i < 4; ++i) {
        CHECK(back.beats[i].caption == l.beats[i].caption);
        CHECK(back.beats[i].trigger.kind == l.beats[i].trigger.kind);
        CHECK(back.beats[i].trigger.value == l.beats[i].trigger.value);
        CHECK(back.beats[i].trigger.run == l.beats[i].trigger.run);
        CHECK(back.beats[i].play == l.beats[i].play);
        CHECK(back.beats[i].speed == l.beats[i].speed);
    }
}

TEST_CASE("bad lessons are refused naming the file, the line, the field and what is allowed") {
    struct Case {
        std::string text, expect;
    };
    const Case cases[] = {
        {"title = \"x\"\n[[runs]\n", "bad.toml:2:"},  // TOML syntax
        {with("title = \"Q-learning vs SARSA\"", "titel = \"x\""), "bad.toml:2: titel: unknown key; allowed here: title"},
        {with("id = \"FrozenLake-v1\", args", "id = \"FrozenLake-v9\", args"), "bad.toml:10: runs[0].env.id: unknown environment"},
        {with("id = \"sarsa\"", "id = \"sarza\""), "bad.toml:16: runs[1].algo.id:"},
        {with("alpha = 0.5", "alpha = 7"), "bad.toml:11: runs[0].algo.args.alpha:"},
        {with("alpha = 0.5", "alpah = 0.5"), "bad.toml:11: runs[0].algo.args.alpah:"},
        {with("is_slippery = false", "is_slippery = 3"), "bad.toml:10: runs[0].env.args.is_slippery:"},
        {with("seed = 3", "seed = -3"), "bad.toml:12: runs[0].seed: -3 is outside"},
        {with("speed = 200", "speed = 0"), "bad.toml:6: speed: 0 is outside [1, 100000]"},
        {with("\"plot:return\"]", "\"heatmap\"]"), "bad.toml:7: stage: \"heatmap\" is not a view"},
        {with("episodes = 100, run = 1", "episodes = 100, run = 2"), "bad.toml:25: beats[1].at.run: run 2 does not exist"},
        {with("episodes = 100, run = 1", "episodes = 400, run = 1"), "beats[1].at.episodes: can never fire: run 1 (sarsa) stops at episodes=300"},
        {with("episodes = 100, run = 1", "updates = 100"), "beats[1].at.updates: q_learning makes no update ticks"},
        {with("episodes = 100, run = 1", "episodes = 1, env_steps = 2"), "beats[1].at: needs exactly one of"},
        {with("at = \"start\"", "at = \"soon\""), "bad.toml:20: beats[0].at: \"soon\" is not a trigger"},
        {with("set = { alpha = 0.1 }", "set = { alpha = 2 }"), "bad.toml:33: beats[2].set.alpha:"},
        {with("set = { alpha = 0.1 }", "set = { gamma = 0.9, lambda = 0.1 }"), "beats[2].set.lambda: q_learning (run 0) has no parameter lambda"},
        {with("caption = \"press → to go on\"", "view = \"values\"\nload_agent = \"nowhere\""), "beats[3].load_agent: no trained agent at"},
        {with("caption = \"press → to go on\"", "play_greedy = 3"), "beats[3].play_greedy: plays a loaded agent"},
        {with("caption = \"press → to go on\"", "select = 2"), "beats[3].select: run 2 does not exist here: 2 run(s) by this beat"},
        {with("algo.id = \"sarsa\"\nalgo.args.episodes = 300", "algo.id = \"trained\"\nalgo.args.agent = \"nowhere\""),
         "runs[1].algo.args.agent: no trained agent at"},
        {with("caption = \"press → to go on\"", "caption = 3"), "beats[3].caption: expected a string"},
        {with("caption = \"press → to go on\"", "colour = \"red\""), "beats[3].colour: unknown key"},
        {with("caption = \"press → to go on\"", ""), "beats[3]: does nothing"},
        {with("caption = \"press → to go on\"", "overlays = [\"heat\"]"), "beats[3].overlays: \"heat\" is not an overlay; allowed: td_error, visits"},
        {with("caption = \"press → to go on\"", "overlays = \"traces\""), "beats[3].overlays: expected a list of overlay ids"},
        {with("caption = \"press → to go on\"", "branch = { from = 2 }"), "beats[3].branch.from: run 2 does not exist (2 runs)"},
        {with("caption = \"press → to go on\"", "branch = { set = { alpha = 0.2 } }"), "beats[3].branch: missing from"},
        {with("caption = \"press → to go on\"", "branch = { from = 0, set = { q_init = 0.2 } }"),
         "beats[3].branch.set.q_init: q_init takes effect only when a run restarts; a branch goes on from a checkpoint"},
        {with("caption = \"press → to go on\"", "branch = { from = 1, set = { alpha = 3 } }"), "beats[3].branch.set.alpha:"},
        {with("caption = \"press → to go on\"", "branch = { from = 0, at = 5 }"), "beats[3].branch.at: unknown key"},
        {with("caption = \"press → to go on\"", "branch = { from = 0 }\nselect = 3"), "beats[3].select: run 3 does not exist here: 3 run(s)"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.text);
        const std::string e = error_of(c.text);
        CAPTURE(e);
        CHECK(e.find(c.expect) != std::string::npos);
    }
    // A planner has no episodes; a deep learner's episode beat beyond its env-step budget can never fire.
    const std::string vi = "title = \"vi\"\n[[runs]]\nenv.id = \"FrozenLake-v1\"\nalgo.id = \"value_iteration\"\n[[beats]]\nat = { episodes = 3 }\ncaption = \"x\"\n";
    CHECK(error_of(vi).find("bad.toml:6: beats[0].at.episodes: value_iteration is a planner") == 0);
    const std::string ppo = "title = \"p\"\n[[runs]]\nenv.id = \"CartPole-v1\"\nalgo.id = \"ppo\"\nalgo.args.total_timesteps = 5000\n"
                            "[[beats]]\nat = { env_steps = 6000 }\ncaption = \"x\"\n";
    CHECK(error_of(ppo).find("beats[0].at.env_steps: can never fire: run 0 (ppo) stops at total_timesteps=5000") != std::string::npos);
    // A beat changes only what applies now: the number of envs needs a restart.
    const std::string restart = "title = \"p\"\n[[runs]]\nenv.id = \"CartPole-v1\"\nalgo.id = \"ppo\"\n[[beats]]\nset = { num_envs = 4 }\n";
    CHECK(error_of(restart).find("bad.toml:6: beats[0].set.num_envs: num_envs takes effect only when a run restarts") == 0);
    CHECK(error_of("title = \"no runs\"\n").find("a lesson needs at least one [[runs]]") != std::string::npos);
    // A sweep lesson names a sweep file that loads; a sweep file is only for a sweep lesson.
    CHECK(error_of("title = \"s\"\nview = \"sweep\"\n").find("bad.toml:2: sweep: missing") == 0);
    CHECK(error_of("title = \"s\"\nview = \"sweep\"\nsweep = \"/nonexistent/s.toml\"\n").find("bad.toml:3: sweep: cannot read sweep file") == 0);
    CHECK(error_of(with("title = \"Q-learning vs SARSA\"", "title = \"x\"\nsweep = \"s.toml\"")).find("sweep: a sweep file is for a lesson with view") !=
          std::string::npos);
    CHECK_THROWS_WITH(load_lesson("/nonexistent/x.toml"), doctest::Contains("/nonexistent/x.toml: cannot read"));
}

TEST_CASE("a beat turns overlays on and branches a run; lesson_to_toml writes both back") {
    const std::string text = "title = \"b\"\n[[runs]]\nenv.id = \"FrozenLake-v1\"\nalgo.id = \"q_learning\"\n[[beats]]\nat = { episodes = 10 }\n"
                             "overlays = [\"visits\", \"td_error\"]\nbranch = { from = 0, set = { epsilon = 0.0, alpha = 0.5 } }\nselect = 1\n";
    const Lesson l = parse_lesson(text, "b.toml");
    REQUIRE(l.beats.size() == 1);
    const LessonBeat& b = l.beats[0];
    REQUIRE(b.overlays);
    CHECK(*b.overlays == std::vector<std::string>{"visits", "td_error"});
    CHECK(b.branch_from == 0);
    REQUIRE(b.branch_set.size() == 2);
    CHECK(b.branch_set[0].name == "alpha");  // TOML tables iterate by key
    CHECK(b.branch_set[1].name == "epsilon");
    CHECK(b.select == 1);  // the branch is run 1
    const Lesson again = parse_lesson(lesson_to_toml(l), "again.toml");
    CHECK(*again.beats[0].overlays == *b.overlays);
    CHECK(again.beats[0].branch_from == 0);
    CHECK(again.beats[0].branch_set.size() == 2);
}

TEST_CASE("lessons load pretrained agents by name or path; a run of the trained algorithm plays one") {
    const std::string text = "title = \"a\"\n[[runs]]\nenv.id = \"CartPole-v1\"\nalgo = { id = \"trained\", args = { agent = \"cartpole-ppo\" } }\n"
                             "[[beats]]\nload_agent = \"cartpole-dqn\"\nplay_greedy = 5\nselect = 1\n";
    const Lesson l = parse_lesson(text, "/somewhere/a.toml");
    const std::string ppo = agents_dir() + "/cartpole-ppo", dqn = agents_dir() + "/cartpole-dqn";
    CHECK(l.runs[0].algo_args.at("agent") == std::filesystem::absolute(ppo).lexically_normal().string());
    REQUIRE(l.beats.size() == 1);
    CHECK(l.beats[0].load_agent == std::filesystem::absolute(dqn).lexically_normal().string());
    CHECK(l.beats[0].play_greedy == 5);
    CHECK(l.beats[0].select == 1);  // the lesson's run 0, then the loaded one
    // A path is relative to the lesson file.
    const std::string rel = "title = \"a\"\n[[runs]]\nenv.id = \"CartPole-v1\"\nalgo.id = \"ppo\"\n[[beats]]\nload_agent = \"../agents/cartpole-ppo\"\n";
    CHECK(parse_lesson(rel, lessons_dir() + "/x.toml").beats[0].load_agent == std::filesystem::absolute(ppo).lexically_normal().string());
    CHECK_THROWS_WITH(parse_lesson(rel, "/elsewhere/x.toml"), doctest::Contains("no trained agent at /elsewhere/../agents/cartpole-ppo"));
}

TEST_CASE("the timeline: beats fire in order, each on its trigger; a key fires the next beat whatever it waits for") {
    const Lesson l = parse_lesson(kGood, "qs.toml");
    LessonTimeline t(l);
    std::vector<RunProgress> p(2);
    CHECK(t.due(p));  // "start"
    CHECK(t.advance() == 0);
    CHECK(!t.due(p));  // run 1 needs 100 episodes
    p[0].episodes = 500;
    CHECK(!t.due(p));  // run 0's episodes do not count
    p[1].episodes = 99;
    CHECK(!t.due(p));
    p[1].episodes = 100;
    CHECK(t.due(p));
    CHECK(t.advance() == 1);
    // Mean return of the last 10 episodes of run 0 ≥ 0.5: NaN (never due) before 10 episodes.
    for (int i = 0; i < 9; ++i) p[0].returns.push_back(1.0);
    CHECK(std::isnan(p[0].mean_return(10)));
    CHECK(!t.due(p));
    p[0].returns.push_back(0.0);
    CHECK(p[0].mean_return(10) == doctest::Approx(0.9));
    CHECK(t.due(p));
    for (int i = 0; i < 4; ++i) p[0].returns.push_back(0.0);  // last 10: five 1s, five 0s
    CHECK(t.due(p));
    p[0].returns.push_back(0.0);
    CHECK(!t.due(p));  // 0.4
    CHECK(t.advance() == 2);  // the presenter's key fires it anyway
    CHECK(!t.due(p));         // a key beat is never due by itself
    CHECK(t.advance() == 3);
    CHECK(t.done());
    CHECK(!t.due(p));
    t.rewind();
    CHECK(t.next() == 0);
    CHECK(l.beats[1].label() == "line 24: episodes ≥ 100 (run 1)");
}

TEST_CASE("every shipped lesson loads, in teaching order, with captions") {
    std::vector<std::string> errors;
    const std::vector<Lesson> lessons = load_lessons(std::string(DREAMLAB_SOURCE_DIR) + "/assets/lessons", &errors);
    for (const std::string& e : errors) FAIL_CHECK(e);
    CHECK(lessons.size() >= 20);
    for (size_t i = 1; i < lessons.size(); ++i) CHECK(lessons[i - 1].order <= lessons[i].order);
    for (const Lesson& l : lessons) {
        CAPTURE(l.slug);
        CHECK(!l.description.empty());
        int captions = 0;
        for (const LessonBeat& b : l.beats) captions += !b.caption.empty();
        CHECK(captions >= 2);
    }
}

TEST_CASE("the README's example lesson is a valid lesson") {
    std::ifstream f(std::string(DREAMLAB_SOURCE_DIR) + "/README.md");
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string readme = ss.str();
    const size_t a = readme.find("```toml\n");
    REQUIRE(a != std::string::npos);
    const size_t b = readme.find("```", a + 8);
    REQUIRE(b != std::string::npos);
    const Lesson l = parse_lesson(readme.substr(a + 8, b - a - 8), "README.md");
    CHECK(l.runs.size() == 1);
    CHECK(l.beats.size() == 4);
    CHECK(l.beats[3].trigger.kind == BeatTrigger::Key);
}

TEST_CASE("the README's lesson table is the shipped lessons: order, name, title, description and beats") {
    std::ifstream f(std::string(DREAMLAB_SOURCE_DIR) + "/README.md");
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string readme = ss.str();
    std::vector<std::string> errors;
    const std::vector<Lesson> lessons = load_lessons(std::string(DREAMLAB_SOURCE_DIR) + "/assets/lessons", &errors);
    size_t last = 0;
    for (const Lesson& l : lessons) {
        CAPTURE(l.slug);
        std::string desc;  // a | in a Markdown table cell is written \|
        for (char ch : l.description) desc += ch == '|' ? std::string("\\|") : std::string(1, ch);
        const std::string row = "| " + std::to_string(l.order) + " | `" + l.slug + "`" + (l.slug == "lake" ? " (default)" : "") + " | " +
                                l.title + " | " + desc + " | " + std::to_string(l.beats.size()) + " |";
        const size_t at = readme.find(row);
        CHECK_MESSAGE(at != std::string::npos, row);
        if (at != std::string::npos) CHECK(at > last);  // in teaching order
        if (at != std::string::npos) last = at;
    }
}
