//! The `golive` executable: see `golive --help`.

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GOLIVE_LOG")
                .unwrap_or_else(|_| "warn,goose=off,rustls=off,kube_client=off".into()),
        )
        .init();
    // One rustls crypto provider for the whole process (the TLS probes and
    // any other rustls user), chosen before anything opens a connection.
    golive::probe::install_crypto_provider();
    std::process::exit(golive::cli::main());
}
