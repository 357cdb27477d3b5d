//! `scim-bench`: fills a tenant (`load`) and drives SCIM scenarios at fixed
//! concurrency for a fixed time (`run`), recording throughput, latency
//! percentiles, errors, the CPU time and database statements each request
//! cost, and the peak RSS of the services under test.
//! `scripts/bench.sh` runs the whole comparison; see `bench/README.md`.

mod data;
mod load;
mod probe;
mod run;
mod scenarios;
mod state;
mod stats;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "scim-bench", version, about = "Load tool for SCIM 2.0 servers (ours and peers)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Creates the users (and optionally the groups) and records their ids in
    /// the state file. Through identity-core's gRPC API (`--core-url`), or
    /// through any SCIM server's HTTP API (`--scim-url`, for peers).
    Load(LoadArgs),
    /// Runs scenarios against a SCIM base URL, each for `--seconds`, at
    /// `--concurrency` requests in flight; prints a table and writes JSON.
    Run(RunArgs),
}

/// Where and how to load.
#[derive(Args, Debug)]
pub struct LoadArgs {
    /// identity-core's gRPC URL (e.g. http://127.0.0.1:50051): users with
    /// UserService.CreateUser, members with GroupService.UpdateGroup ADD.
    #[arg(long, conflicts_with = "scim_url", required_unless_present = "scim_url")]
    pub core_url: Option<String>,
    /// A SCIM base URL (e.g. http://127.0.0.1:8080/v2): users with POST
    /// /Users, members with PATCH /Groups add (for servers without gRPC).
    #[arg(long)]
    pub scim_url: Option<String>,
    /// The tenant's bearer token.
    #[arg(long, env = "BENCH_TOKEN")]
    pub token: String,
    /// The state file (created, or extended when it exists).
    #[arg(long)]
    pub state: PathBuf,
    /// Users the lookup and list scenarios see (`user0@example.com` ...).
    #[arg(long)]
    pub users: Option<usize>,
    /// Group sizes to create, comma-separated (e.g. 100,10000,100000).
    /// Users are added past `--users` when a group needs more.
    #[arg(long, value_delimiter = ',')]
    pub group_sizes: Vec<usize>,
    /// Groups larger than this are not loaded (recorded as skipped).
    #[arg(long)]
    pub max_group_size: Option<usize>,
    /// Create calls in flight while loading.
    #[arg(long, default_value_t = 16)]
    pub in_flight: usize,
}

/// What to run, against what.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2. Several
    /// (repeated or comma-separated: replicas of one service, e.g. two
    /// scim-edges) take the requests in turn, round-robin per request.
    #[arg(long, required = true, value_delimiter = ',')]
    pub base: Vec<String>,
    /// The tenant's bearer token.
    #[arg(long, env = "BENCH_TOKEN")]
    pub token: String,
    /// The state file written by `load`.
    #[arg(long)]
    pub state: PathBuf,
    /// Measured seconds per run of a scenario.
    #[arg(long, default_value_t = 6.0)]
    pub seconds: f64,
    /// Runs of each scenario, back to back (each after its own warm-up);
    /// the report gives their median and range.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Unmeasured warm-up seconds before each run of a scenario.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Requests in flight.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Scenarios, comma-separated, or `users`, `groups`, `all`.
    #[arg(long, value_delimiter = ',', default_value = "all")]
    pub scenarios: Vec<String>,
    /// Name of the system under test in the results (e.g. mariadb, peer).
    #[arg(long)]
    pub label: String,
    /// Where to write the JSON results.
    #[arg(long)]
    pub out: PathBuf,
    /// A process under test: its CPU time (utime + stime) is read before
    /// and after each measured window, its peak RSS (VmHWM) at the end:
    /// NAME=PID. Repeatable; processes given the same NAME (replicas) are
    /// summed.
    #[arg(long = "pid")]
    pub pids: Vec<String>,
    /// identity-core's metrics (`http://ADDR/metrics`, served with
    /// `--metrics-listen ADDR`): the statements it sent in each measured
    /// window, per request, and the transactions it retried. Several
    /// (repeated or comma-separated: identity-core replicas) are summed.
    #[arg(long, value_delimiter = ',')]
    pub metrics_url: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Load(args) => load::load(args).await,
        Command::Run(args) => run::run(args).await,
    }
}
