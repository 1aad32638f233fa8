//! The Kubernetes API double of the tests (`tests/kube_double/`), serving
//! the manifests of a directory as a cluster would run them: for
//! `scripts/bench.sh` (golive reading a cluster next to golive reading the
//! same files), and to try `golive run --target cluster` by hand without a
//! cluster. It is a test double, not an API server: see the README.
//!
//!   cargo run --release --example kube_double -- fixtures/example
//!
//! Prints `KUBECONFIG=PATH` (a kubeconfig whose current context reaches
//! it), then serves until its standard input closes.

#[path = "../tests/kube_double/mod.rs"]
mod kube_double;

use std::io::Read as _;
use std::path::Path;

use kube_double::{Cluster, KubeDouble, read_manifest_dir};

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: kube_double DIRECTORY (of manifests)");
        std::process::exit(2);
    };
    let documents = read_manifest_dir(Path::new(&dir));
    let double = KubeDouble::start(Cluster::from_documents(documents));
    println!("KUBECONFIG={}", double.kubeconfig_path().display());
    // Until the caller closes standard input (or ends the process).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}
