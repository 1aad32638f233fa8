//! The command line: `golive run | load | report combine | checks | steps |
//! validate`. Parses the
//! arguments, hands the work to the runner, the catalogue or the validator,
//! prints the result and returns the exit code (0 READY, 1 NOT READY,
//! 2 COULD NOT EVALUATE).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use clap::{Parser, Subcommand, ValueEnum};
use tokio::signal::unix::{SignalKind, signal};

use crate::checks;
use crate::error::InputError;
use crate::record::RunRecord;
use crate::record::changes::changes;
use crate::record::combine::combine;
use crate::report;
use crate::runner::{self, RunPlan};
use crate::source::Target;
use crate::stack::StackSession;
use crate::steps::{STEPS, StepFailure};
use crate::validate;
use crate::verdict::Verdict;

/// The bundled checklist and example application, used when no path is given.
const BUNDLED_FEATURES: &str = "features";
const BUNDLED_TARGET: &str = "fixtures/example";

#[derive(Parser, Debug)]
#[command(
    name = "golive",
    version,
    about = "Go-live readiness harness: runs the Gherkin go-live checklist against a target and answers READY, NOT READY or COULD NOT EVALUATE.",
    long_about = "Go-live readiness harness: runs the Gherkin go-live checklist (features/) against a target \
(rendered Kubernetes manifests from files, directories or stdin, a stack of containers golive starts, \
or a live cluster) and answers with a verdict, JUnit, JSON and Markdown reports.\n\nExit codes: 0 READY, 1 NOT READY, 2 COULD NOT EVALUATE (bad input, undefined \
steps, nothing evaluated).",
    after_help = "Examples:\n  golive run                                   # bundled checklist on the bundled example app\n  helm template my-chart | golive run --target manifests:-\n  golive run --target manifests:deploy/ --profile staging --tags @manifests\n  golive checks                                # the check catalogue"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the checklist against a target and write the reports.
    Run(RunArgs),
    /// Run a load campaign (a profile of load-profiles/ or a file) and judge it
    /// against its SLO targets: exit 0 all met, 1 a target missed, 2 could not run.
    Load(LoadArgs),
    /// List every check: ID, severity, title and rationale.
    Checks {
        /// Print the catalogue as JSON.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print the catalogue as Markdown (docs/checks.md).
        #[arg(long)]
        markdown: bool,
    },
    /// List every Gherkin step golive understands, with an example.
    Steps,
    /// Work on the reports of earlier runs.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Check features, config and profile without running anything (dry run):
    /// reports undefined or ambiguous steps and bad arguments with file:line.
    Validate {
        /// Directory (or file) of .feature files.
        #[arg(long)]
        features: Option<PathBuf>,
        /// golive.yaml to read (default: ./golive.yaml if present).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Profile to check exists.
        #[arg(long)]
        profile: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum ReportCommand {
    /// Merge the records of several runs (their report directories or summary.json files)
    /// into one dossier with one verdict, and write its reports: an item several runs judged
    /// is one item, the worst status wins, every run's status is shown.
    Combine {
        /// Report directories (holding summary.json) or summary.json files, in order.
        #[arg(required = true, value_name = "DIR")]
        runs: Vec<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

/// Where a run's reports go, what it is compared with, and what is printed.
#[derive(clap::Args, Debug)]
struct OutputArgs {
    /// Where junit.xml, summary.json, summary.md and report.html are written.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    report_dir: PathBuf,
    /// The summary.json of an earlier dossier: the reports show what changed since (new and
    /// fixed findings, items no longer judged, figures that moved). For `golive load`, a
    /// campaign slower than the baseline's by more than --tolerance also fails.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Directory (or file) of .feature files [default: the bundled features/].
    #[arg(long)]
    features: Option<PathBuf>,
    /// What to evaluate: manifests:PATH (file or directory), manifests:- / - for stdin,
    /// stack:FILE (a stack file: golive starts the system in Docker containers, runs the
    /// @stack features against it and removes it), or cluster[:CONTEXT] (a live cluster
    /// through the kubeconfig, read-only unless --allow-disruption) [default: the bundled
    /// example application, fixtures/example].
    #[arg(long, value_name = "manifests:PATH|-|stack:FILE|cluster[:CONTEXT]")]
    target: Option<String>,
    /// With a cluster target: only these namespaces (repeat or comma-separate)
    /// [default: every namespace but kube-system, kube-public and kube-node-lease].
    #[arg(long, value_name = "NS", value_delimiter = ',')]
    namespace: Vec<String>,
    /// With a cluster target: leave these namespaces out (repeat or comma-separate).
    #[arg(long, value_name = "NS", value_delimiter = ',')]
    exclude_namespace: Vec<String>,
    /// With a cluster target: the CA certificates (PEM) the Ingress hosts' certificates must
    /// chain to (an internal PKI) [default: Mozilla's root program, as browsers].
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// With a cluster target: where the kubelet does not report the user a container runs as
    /// and the pod's spec does not keep it from root, run `id -u` in the container (pods/exec:
    /// it starts a process there, which audit rules report).
    #[arg(long)]
    allow_exec: bool,
    /// With a cluster target: the release an upgrade drill (`When "DEPLOYMENT" is upgraded`)
    /// rolls a Deployment to, as `kubectl set image` would: DEPLOYMENT=IMAGE, or
    /// DEPLOYMENT:CONTAINER=IMAGE when it has several containers (DEPLOYMENT may be
    /// NAMESPACE/NAME). Repeat it for several Deployments.
    #[arg(long, value_name = "DEPLOYMENT=IMAGE")]
    image: Vec<crate::cluster::rollout::ImageChange>,
    /// With a stack: target, leave the stack running at the end and print its endpoints
    /// (remove it later with the docker command printed).
    #[arg(long)]
    keep: bool,
    /// Run the @disruptive scenarios: they kill, stop, pause or cut off parts of the target
    /// on purpose (failover). Without it they are skipped, saying so.
    #[arg(long)]
    allow_disruption: bool,
    /// Tag expression selecting scenarios, e.g. "@manifests and not @slow".
    #[arg(long, value_name = "EXPR")]
    tags: Option<String>,
    /// Only these checks (IDs or families), comma-separated, e.g. probe.liveness,probe.port.
    #[arg(long, value_name = "ID,..", value_delimiter = ',')]
    checks: Vec<String>,
    /// Profile of golive.yaml whose thresholds apply [default: the config's default_profile, production].
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Configuration file [default: ./golive.yaml if present, else built-in profiles].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Earlier runs (report directories or summary.json files) to combine with this one into
    /// one dossier (see `golive report combine`); repeat for several.
    #[arg(long, value_name = "DIR")]
    from: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(clap::Args, Debug)]
struct LoadArgs {
    /// A load profile file, or the name of a bundled one (smoke, baseline, peak, soak, spike).
    profile: String,
    /// Send the load here (http(s)://host:port) instead of the profile's host.
    #[arg(long, value_name = "URL", conflicts_with = "target")]
    host: Option<String>,
    /// A stack to start for a profile whose host is endpoint:NAME.
    #[arg(long, value_name = "stack:FILE")]
    target: Option<String>,
    /// Profile of golive.yaml giving the targets the load profile leaves out.
    #[arg(long, value_name = "NAME")]
    environment: Option<String>,
    /// Configuration file [default: ./golive.yaml if present].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    /// How much worse than the baseline's campaign still passes, in percent.
    #[arg(long, value_name = "PERCENT", default_value_t = 10.0)]
    tolerance: f64,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Human,
    Json,
}

/// A bundled path: relative to the working directory when it exists there
/// (a checkout), else next to golive's sources.
fn bundled(relative: &str) -> PathBuf {
    if Path::new(relative).exists() {
        relative.into()
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
    }
}

/// Writes to standard output; a reader that went away (`golive … | head`)
/// is not an error worth a panic: the exit code still carries the verdict.
fn emit(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Step failures are expected panics: keep them out of the terminal.
fn quiet_step_failures() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<StepFailure>().is_none() {
            default_hook(info);
        }
    }));
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(args),
        Command::Load(args) => load(args),
        Command::Checks { json, markdown } => {
            emit(&if json {
                checks::catalogue::json()
            } else if markdown {
                checks::catalogue::markdown()
            } else {
                checks::catalogue::human()
            });
            0
        }
        Command::Steps => {
            emit(&render_steps());
            0
        }
        Command::Report(ReportCommand::Combine { runs, output }) => {
            let mut errors = Vec::new();
            let records = runs
                .iter()
                .filter_map(|run| read_run(run).map_err(|e| errors.push(e)).ok())
                .collect();
            let mut dossier = combine(records);
            dossier.input_errors.extend(errors);
            report_run(dossier, &output)
        }
        Command::Validate {
            features,
            config,
            profile,
        } => {
            let features = features.unwrap_or_else(|| bundled(BUNDLED_FEATURES));
            let report = validate::validate(&features, config.as_deref(), profile.as_deref());
            // Step texts and arguments come from the user's feature files.
            emit(&report::safe::terminal(&report.to_string()));
            if report.is_clean() { 0 } else { 2 }
        }
    }
}

fn run(args: RunArgs) -> i32 {
    quiet_step_failures();
    let started = std::time::Instant::now();
    let record = Arc::new(Mutex::new(RunRecord::default()));
    let target = match args.target.as_deref().map(str::parse::<Target>) {
        None => Ok(Target::Manifests(
            bundled(BUNDLED_TARGET).display().to_string(),
        )),
        Some(parsed) => parsed,
    };
    match target {
        Ok(mut target) => {
            let stack = match &target {
                Target::Stack(file) => Some(Arc::new(StackSession::new(file.into(), args.keep))),
                Target::Manifests(_) | Target::Cluster(_) => None,
            };
            if let Target::Cluster(cluster) = &mut target {
                cluster.namespaces = args.namespace;
                cluster.excluded_namespaces = args.exclude_namespace;
                cluster.ca_file = args.ca_file;
                cluster.allow_exec = args.allow_exec;
                cluster.images = args.image;
            } else {
                let cluster_only = [
                    ("--namespace", !args.namespace.is_empty()),
                    ("--exclude-namespace", !args.exclude_namespace.is_empty()),
                    ("--ca-file", args.ca_file.is_some()),
                    ("--allow-exec", args.allow_exec),
                    ("--image", !args.image.is_empty()),
                ];
                let mut shared = record.lock().unwrap_or_else(|e| e.into_inner());
                for (flag, _) in cluster_only.iter().filter(|(_, given)| *given) {
                    shared.input_errors.push(InputError::new(
                        *flag,
                        format!(
                            "{flag} only applies to a cluster target (--target cluster[:CONTEXT])"
                        ),
                    ));
                }
            }
            let plan = RunPlan {
                features: args.features.unwrap_or_else(|| bundled(BUNDLED_FEATURES)),
                target,
                stack,
                tags: args.tags,
                allow_disruption: args.allow_disruption,
                checks: args.checks,
                profile: args.profile,
                config: args.config,
            };
            let Some(runtime) = async_runtime(tokio::runtime::Builder::new_current_thread()) else {
                return 2;
            };
            runtime.block_on(async {
                // Watched before anything runs, so a Ctrl-C during loading
                // is not lost; checked first whenever the run yields. A CI
                // timeout or a closed terminal (SIGTERM, SIGHUP) ends the
                // run the same way: reports written, stack removed.
                let stopped = match interruptions() {
                    Ok(stopped) => stopped,
                    Err(message) => {
                        let error = InputError::new("golive", message);
                        record
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .input_errors
                            .push(error);
                        return;
                    }
                };
                tokio::select! {
                    biased;
                    () = stopped => {
                        record.lock().unwrap_or_else(|e| e.into_inner()).interrupted = true;
                    }
                    () = runner::run(&plan, record.clone()) => {}
                }
                // Whatever happened (finished, failed start, Ctrl-C), the
                // stack goes away now, unless --keep asked otherwise.
                if let Some(session) = &plan.stack {
                    let stack = session.finish().await;
                    record.lock().unwrap_or_else(|e| e.into_inner()).stack = Some(stack);
                }
            });
        }
        Err(error) => {
            let mut shared = record.lock().unwrap_or_else(|e| e.into_inner());
            shared.golive_version = env!("CARGO_PKG_VERSION");
            shared.target = args.target.clone().unwrap_or_default();
            shared.input_errors.push(error);
        }
    }
    let mut record = record.lock().unwrap_or_else(|e| e.into_inner()).clone();
    record.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    if !args.from.is_empty() {
        let mut errors = Vec::new();
        let mut records: Vec<(String, RunRecord)> = args
            .from
            .iter()
            .filter_map(|run| read_run(run).map_err(|e| errors.push(e)).ok())
            .collect();
        records.push((args.output.report_dir.display().to_string(), record));
        record = combine(records);
        record.input_errors.extend(errors);
    }
    report_run(record, &args.output)
}

/// The record of an earlier run, named by its report directory: `path`
/// is the directory or its summary.json.
fn read_run(path: &Path) -> Result<(String, RunRecord), InputError> {
    let file = if path.is_dir() {
        path.join("summary.json")
    } else {
        path.to_path_buf()
    };
    let record = RunRecord::read(&file)
        .map_err(|message| InputError::new(file.display().to_string(), message))?;
    Ok((path.display().to_string(), record))
}

fn load(args: LoadArgs) -> i32 {
    let stack = match args.target.as_deref().map(|t| t.strip_prefix("stack:")) {
        None => None,
        Some(Some(file)) if !file.is_empty() => Some(PathBuf::from(file)),
        Some(_) => {
            eprintln!("golive: --target: a load campaign starts a stack: give stack:FILE");
            return 2;
        }
    };
    let plan = runner::load::LoadPlan {
        profile: args.profile,
        host: args.host,
        stack,
        config: args.config,
        environment: args.environment,
        baseline: args.output.baseline.clone(),
        tolerance_percent: args.tolerance,
    };
    // Goose's users need worker threads to load a server at full speed.
    let Some(runtime) = async_runtime(tokio::runtime::Builder::new_multi_thread()) else {
        return 2;
    };
    let record = runtime.block_on(async {
        let interrupted = match interruptions() {
            Ok(interrupted) => interrupted,
            Err(message) => {
                eprintln!("golive: {message}");
                return None;
            }
        };
        Some(runner::load::run(&plan, interrupted).await)
    });
    match record {
        Some(record) => report_run(record, &args.output),
        None => Verdict::CouldNotEvaluate.exit_code(),
    }
}

/// Compares a finished run with the baseline, judges it, writes its
/// reports, prints its summary and returns its exit code: the end of
/// every command that evaluates something. A baseline that cannot be read
/// is an input error; the reports are written all the same.
fn report_run(mut record: RunRecord, output: &OutputArgs) -> i32 {
    if let Some(file) = &output.baseline {
        let place = file.display().to_string();
        match RunRecord::read(file) {
            Ok(baseline) => record.changes = Some(changes(&place, &baseline, &record)),
            // `golive load` read it already, for its campaign's comparison.
            Err(_) if record.input_errors.iter().any(|e| e.place == place) => {}
            Err(message) => record.input_errors.push(InputError::new(place, message)),
        }
    }
    let verdict = record.verdict();
    let written = match report::write_all(&record, verdict, &output.report_dir) {
        Ok(written) => written,
        Err(error) => {
            eprintln!("golive: {error}");
            return Verdict::CouldNotEvaluate.exit_code();
        }
    };
    match output.format {
        Format::Human => emit(&report::human::render(&record, verdict, &written)),
        Format::Json => emit(&(report::json::render(&record, verdict) + "\n")),
    }
    verdict.exit_code()
}

/// The async runtime `builder` makes, or `None` after saying why not.
fn async_runtime(mut builder: tokio::runtime::Builder) -> Option<tokio::runtime::Runtime> {
    builder
        .enable_all()
        .build()
        .map_err(|e| eprintln!("golive: cannot start the async runtime: {e}"))
        .ok()
}

/// Ctrl-C, SIGTERM and SIGHUP as one future (call it inside the runtime).
/// Ctrl-C goes through the ctrlc crate, installed before Goose's handler
/// (which then fails quietly, and with it Goose's second-Ctrl-C
/// `process::exit` that would leave a stack behind); it also stops a
/// running load campaign through Goose's killswitch, so what was measured
/// is still judged and reported.
fn interruptions() -> Result<impl Future<Output = ()>, String> {
    let ctrl_c = Arc::new(tokio::sync::Notify::new());
    let notify = ctrl_c.clone();
    ctrlc::set_handler(move || {
        crate::load::engine::stop();
        notify.notify_one();
    })
    .map_err(|e| format!("cannot watch for Ctrl-C: {e}"))?;
    let mut streams = Vec::new();
    for kind in [SignalKind::terminate(), SignalKind::hangup()] {
        streams.push(signal(kind).map_err(|e| format!("cannot watch for termination: {e}"))?);
    }
    Ok(async move {
        let terminated =
            futures::future::select_all(streams.iter_mut().map(|s| Box::pin(s.recv())));
        tokio::select! {
            () = ctrl_c.notified() => {}
            _ = terminated => {}
        }
    })
}

fn render_steps() -> String {
    let mut out = String::new();
    for step in STEPS {
        out.push_str(&format!(
            "{:?} /{}/\n    e.g. {}\n    {}\n\n",
            step.keyword, step.pattern, step.example, step.description
        ));
    }
    out
}
