//! The peer of `scripts/bench-load.sh`: plain Goose as its documentation
//! shows it (configured from the command line, its own metrics on), one
//! scenario of GET /. Prints one line the script reads:
//! `requests=N failures=F seconds=S p50_us=A p99_us=B` (Goose's own
//! percentiles).
//!
//!   cargo run --release --example raw_goose -- --host http://127.0.0.1:8080 \
//!       --users 32 --increase-rate 32 --run-time 20s --no-telnet --quiet

use goose::prelude::*;

async fn get_root(user: &mut GooseUser) -> TransactionResult {
    let _answer = user.get("/").await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), GooseError> {
    let metrics = GooseAttack::initialize()?
        .register_scenario(scenario!("Root").register_transaction(transaction!(get_root)))
        .execute()
        .await?;
    let Some(root) = metrics.requests.values().next() else {
        eprintln!("raw_goose: no request was made");
        std::process::exit(1);
    };
    println!(
        "requests={} failures={} seconds={} p50_us={} p99_us={}",
        root.success_count + root.fail_count,
        root.fail_count,
        metrics.duration,
        root.raw_data.percentile_us(0.50),
        root.raw_data.percentile_us(0.99),
    );
    Ok(())
}
