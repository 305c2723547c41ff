// Trained agent — no learning: a saved agent plays its greedy policy, episode after episode.
//
// A class sees the finished behaviour at once, with everything the views show of a learner (value maps, policy
// arrows, saliency, a world model's dreams), before or after watching it learn. The agent is a run directory that
// `dreamlab train --out DIR` wrote (agent.json + agent.ckpt for a deep learner, model.json for a tabular one), or
// one of the pretrained agents in assets/agents/. The env is this run's own (the lesson's or the CLI's): it must
// give the observations the agent was trained on.
#include <filesystem>

#include "core/algos/registry.h"
#include "core/rl/agent.h"
#include "core/nn/layers.h"
#include "core/rl/replay.h"
#include "core/rl/tabular.h"
#include "core/rl/world_model_agent.h"

namespace dl {

struct TrainedArgs : Args<TrainedArgs> {
    std::string agent;       // a trained agent: a train --out directory, or a pretrained one's name (assets/agents/)
    int64_t episodes = 100;  // greedy episodes to play

    void visit(ParamVisitor& v) override {
        v.text("agent", agent, "a trained agent: a train --out directory, or a pretrained one's name (assets/agents/)", Apply::Restart);
        v.integer("episodes", episodes, 1, 1000000, "greedy episodes to play", Apply::Now);
    }
};

void run_trained(TrainedArgs& args, RunContext& ctx) {
    namespace fs = std::filesystem;
    fs::path dir;
    try {
        dir = resolve_agent_dir(args.agent);  // a path, or a pretrained agent's name (assets/agents/)
    } catch (const std::invalid_argument& e) {
        throw ParamError("agent=" + args.agent + ": " + e.what());
    }
    Env& env = ctx.make_env();
    const Space obs_space = env.observation_space();
    const bool box = env.action_space().kind == Space::Box;

    // 1. --- the agent: networks (any kind agent.json names) or a table ---
    std::shared_ptr<const AgentFn> agent;
    TabularModelFile table;
    if (fs::exists(dir / "agent.json")) {
        try {
            agent = load_agent(dir.string(), ctx.config().env_id, env);  // refused unless trained on this env's spaces
        } catch (const nn::CheckpointError& e) {
            throw ParamError(std::string("agent=") + args.agent + ": " + e.what());
        }
    } else {
        try {
            table = load_tabular_model(dir, ctx.config().env_id, env);  // refused unless learned on this env
        } catch (const ParamError& e) {
            throw ParamError(std::string("agent=") + args.agent + ": " + e.what());
        }
    }
    // A world model shows its dream beside reality: it is handed the newest real steps with each snapshot.
    std::shared_ptr<const nn::WorldModelAgent> dreamer;
    std::unique_ptr<nn::SequenceBuffer> recent;
    if (agent && agent->kind() == "world_model") {
        dreamer = nn::WorldModelAgent::load(dir.string());
        recent = std::make_unique<nn::SequenceBuffer>(env.obs_dim(), 256);
    }
    auto view = agent ? ctx.on_agent([&]() -> std::shared_ptr<const AgentFn> {
        if (!dreamer) return agent;
        auto copy = std::make_shared<nn::WorldModelAgent>(*dreamer);
        copy->recent = recent->last(int(std::min<int64_t>(32, recent->size())));
        return copy;
    })
                      : ctx.on_view([&](TabularView& v) {
                            v.nS = table.nS, v.nA = table.nA, v.v = table.v, v.q = table.q, v.pi = table.pi;
                            if (v.pi.empty()) {  // the greedy policy as π: the arrows show what it plays
                                v.pi.assign(size_t(table.nS) * size_t(table.nA), 0.0);
                                for (int s = 0; s < table.nS; ++s) v.pi[size_t(s) * size_t(table.nA) + size_t(table.policy[size_t(s)])] = 1.0;
                            }
                        });

    // 2. --- play: the greedy action every step (a world model filters the episode so far) ---
    AgentFn::EpisodePolicy player;
    if (agent && !box) player = agent->greedy_player(agent);
    std::vector<float> enc(size_t(env.obs_dim())), action(size_t(std::max(1, agent ? agent->act_dim : 0)));
    int64_t episode = 0;
    auto state = ctx.keep_state([&](StateIO& io) {  // the timeline's checkpoints
        io(episode, env);
        if (recent) io(*recent);
    });
    for (; episode < args.episodes; ++episode) {
        ctx.checkpoint();
        Obs obs = env.reset(episode == 0 ? std::optional<uint64_t>(ctx.seed()) : std::nullopt);
        if (recent) encode_obs(obs_space, obs, enc.data()), recent->add(enc.data(), -1, 0, false, true);
        double ret = 0;
        int64_t length = 0;
        for (bool first = true, done = false; !done; first = false) {
            StepResult r;
            int a = -1;
            if (!agent) {
                r = env.step(table.policy[size_t(obs[0])]);
            } else {
                encode_obs(obs_space, obs, enc.data());
                if (box) agent->act_continuous(enc.data(), int(enc.size()), action.data()), r = env.step_box(action.data());
                else a = player(enc.data(), int(enc.size()), first), r = env.step(a);
            }
            if (recent) encode_obs(obs_space, r.obs, enc.data()), recent->add(enc.data(), a, float(r.reward), r.terminated, false);
            ret += r.reward, ++length;
            done = r.terminated || r.truncated;
            obs = std::move(r.obs);
            if (!ctx.tick(Tick::EnvStep)) return;
        }
        ctx.log("return", ret);
        ctx.log("length", double(length));
        if (env.defines_success()) ctx.log("success", env.last_success() ? 1.0 : 0.0);
        if (!ctx.tick(Tick::Episode)) return;
    }
}

AlgoInfo trained_info() {
    AlgoInfo info = make_algo_info<TrainedArgs>("trained", "Trained agent (no learning)",
                                                "a saved agent plays its greedy policy: the finished behaviour at once",
                                                AlgoKind::Deep, run_trained);
    info.box_actions = true;  // whatever the agent acts in
    info.ticks_updates = false;
    info.learns = false;
    return info;
}

}  // namespace dl
