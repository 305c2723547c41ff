// The agent as the rest of the program meets it: a learned policy as a pure function (AgentFn), the views it
// can offer (each a small interface; the GUI asks for one, never for a concrete class), and the registry of
// agent kinds through which every agent saves and loads itself (agent.json names the kind).
//
// [SECTION] TabularView — V, Q, π over the states of a tabular env
// [SECTION] AgentFn     — evaluate, act, play, save; the views it offers
// [SECTION] Kinds       — load any saved agent by agent.json's kind
#pragma once
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json_fwd.hpp>

namespace dl {

class Env;
struct Space;
struct ContinuousPolicyView;
struct WorldModelView;

// [SECTION] TabularView

// What a tabular algorithm shows: any of V, Q and π may be empty. q and pi are nS x nA, row-major.
struct TabularView {
    int nS = 0, nA = 0;
    std::vector<double> v, q, pi;
};

// [SECTION] EnvSignature

// What a saved agent was trained on (agent.json's "env"). It is loaded only into an env with the same id and the same
// observation and action spaces: a CartPole agent reading a 2x2 lake's 4 numbers, a 4-action lake agent pushing a
// cart, a minimal-action Breakout agent in a run of all 6 actions (its action 2 would mean something else) are
// refused, saying why. Spaces are written as Gymnasium prints them: Discrete(16), Box(-2, 2, (1,)).
struct EnvSignature {
    std::string id, observation, action;
};
EnvSignature env_signature(const std::string& env_id, const Env& env);
std::string space_text(const Space& s);
nlohmann::json to_json(const EnvSignature& s);
// Reads a saved agent's or table's "env" field (f: the fields of its file) and throws ParamError unless it names
// `env`: "the agent was trained on …" / "the table was learned on …" (subject, verb), saying what each side is.
class JsonFields;
void require_saved_env(const JsonFields& f, const EnvSignature& env, const char* subject, const char* verb);

// [SECTION] AgentFn

// A learned agent as a pure function, so views can query it anywhere (a value map over a 2-D slice, the
// arrows on a lake) without touching the trainer: algorithms hand out a copy of their networks.
struct AgentFn {
    virtual ~AgentFn() = default;
    int n_actions = 0;
    bool q_values = false;  // action_values are Q(s,a) (value-based) rather than π(a|s)
    // obs: B × obs_dim (encoded). value: B × 1 (empty if there is no critic). action_values: B × n_actions.
    virtual void evaluate(const Eigen::Matrix<float, -1, -1, Eigen::RowMajor>& obs,
                          Eigen::Matrix<float, -1, -1, Eigen::RowMajor>& value,
                          Eigen::Matrix<float, -1, -1, Eigen::RowMajor>& action_values) const = 0;
    // The action the agent takes greedily (argmax of π or Q).
    int greedy(const float* obs, int obs_dim) const;
    // Continuous actions (act_dim > 0): the deterministic action for obs, in the env's units, into action[act_dim].
    int act_dim = 0;
    virtual void act_continuous(const float* obs, int obs_dim, float* action) const {
        (void)obs, (void)obs_dim, (void)action;
        throw std::logic_error("this agent has no continuous actions");
    }
    // A greedy player of whole episodes, for agents with a memory of the episode so far (a world model filters
    // frame after frame: one picture of CartPole shows no velocity). Call it on every observation, first = true at
    // an episode's start. The default forgets: greedy() on each observation alone. The player holds the agent.
    using EpisodePolicy = std::function<int(const float* obs, int obs_dim, bool first)>;
    virtual EpisodePolicy greedy_player(std::shared_ptr<const AgentFn> self) const;
    // What the agent looks at: |∂y/∂obs| per observation entry, y = Q(s, greedy a) for Q-learners, V(s) for
    // actor-critics. False if this agent cannot tell.
    virtual bool saliency(const float* obs, int obs_dim, std::vector<float>& out) const {
        (void)obs, (void)obs_dim, (void)out;
        return false;
    }

    // ---- describing itself ----
    int obs_dim = 0;  // the encoded observation it reads
    // Its kind as agent.json names it (one of agent_kinds()): saving and loading go through it.
    virtual std::string kind() const = 0;
    // agent.json (kind, architecture, the env it was trained on) + agent.ckpt (weights) into dir, each atomically.
    virtual void save(const std::string& dir, const EnvSignature& env) const = 0;
    // The views it offers beyond evaluate(): nullptr where it has none (core/rl/views.h).
    virtual const ContinuousPolicyView* continuous_policy() const { return nullptr; }
    virtual const WorldModelView* world_model() const { return nullptr; }
    // Bytes its parameters hold (the timeline's memory budget counts the copies it keeps).
    virtual int64_t footprint_bytes() const = 0;
    // The slow target network it bootstraps from (DQN), or null: the target-lag overlay maps |Q − Q_target|.
    std::shared_ptr<const AgentFn> target;
};

// On a Discrete-observation env, V, π (or Q) for every state from an agent fed one-hot observations.
void tabular_from_agent(const Env& env, const AgentFn& agent, TabularView& view);

// [SECTION] Kinds

struct AgentKind {
    std::string kind;     // agent.json's "kind"
    std::string summary;  // which algorithms save it
    std::function<std::shared_ptr<AgentFn>(const std::string& dir)> load;  // throws CheckpointError / IoError
};
const std::vector<AgentKind>& agent_kinds();
// Any saved agent, by agent.json's kind, for the env `env` describes: agent.json's "env" must match it (checked
// before anything is built), and the loaded agent's sizes must be the env's. Throws CheckpointError naming the
// file, the field and what was expected (an unknown kind lists the known ones).
std::shared_ptr<AgentFn> load_agent(const std::string& dir, const EnvSignature& env);
// The same for an env made here (what a run's config.json names, or any other).
std::shared_ptr<AgentFn> load_agent(const std::string& dir, const std::string& env_id, const Env& env);

// The pretrained agents shipped in assets/agents/ (their names), and where they live.
std::string agents_dir();
std::vector<std::string> pretrained_agents();
// A trained agent's directory (agent.json + agent.ckpt, or a tabular model.json): a path, relative to `base` if
// given (a lesson file's folder) or else to the working directory, or the name of a pretrained agent. Returns it
// normalised; throws std::invalid_argument naming what was looked for and the pretrained agents.
std::string resolve_agent_dir(const std::string& name_or_path, const std::string& base = "");

}  // namespace dl


