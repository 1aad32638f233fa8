//! The TLS of the Ingress hosts, seen as clients see it: at the address of
//! the Ingress's load balancer, with the host as server name, through the
//! TLS probes and the judges of the stack's live items (protocol
//! versions, certificate): one rule per item, `checks::live::tls`.

use std::net::SocketAddr;

use super::super::failover::could_not;
use super::super::runtime::{PROBE_TIMEOUT, conclude};
use super::super::{GoliveWorld, StepFailure};
use super::live_cluster;
use crate::checks::Scope;
use crate::checks::live::Live;
use crate::checks::live::tls::{
    CERTIFICATE, EXPIRY, Handshake, KEY, Key, Lifetime, MODERN_PROTOCOLS, OLD_PROTOCOLS, Presented,
    Protocols,
};
use crate::evidence::Observation;
use crate::model::Resource;
use crate::probe::tls;
use k8s_openapi::api::networking::v1::Ingress;

/// A host an Ingress serves over TLS, and where its load balancer answers.
struct IngressHost {
    /// `production/factory-api`.
    ingress: String,
    host: String,
    address: SocketAddr,
}

impl IngressHost {
    fn subject(&self) -> String {
        format!(
            "Ingress {} host {} ({})",
            self.ingress, self.host, self.address
        )
    }
}

/// The TLS hosts of the Ingresses in scope, with the address of each
/// Ingress's load balancer (its status: the first IP or hostname, port
/// 443, else the first TCP port it lists); an Ingress golive cannot
/// address, or a wildcard host, is a failed observation of each of
/// `checks`.
async fn ingress_hosts<M: 'static>(
    world: &GoliveWorld,
    checks: &[&'static Live<M>],
    observations: &mut Vec<Observation>,
) -> Result<Vec<IngressHost>, StepFailure> {
    live_cluster(world)?;
    let run = world.run.clone();
    let scope = Scope::new(&run.inventory, &world.profile, &world.filter);
    let mut hosts = Vec::new();
    let mut any = false;
    for object in scope.objects("Ingress") {
        let Resource::Ingress(ingress) = &object.resource else {
            continue;
        };
        let name = format!(
            "{}/{}",
            object.namespace().unwrap_or_default(),
            object.metadata.name.as_deref().unwrap_or_default()
        );
        let tls_hosts: Vec<&String> = ingress
            .spec
            .as_ref()
            .and_then(|s| s.tls.as_ref())
            .into_iter()
            .flatten()
            .flat_map(|tls| tls.hosts.iter().flatten())
            .collect();
        if tls_hosts.is_empty() {
            continue;
        }
        any = true;
        let address = match balancer_address(ingress).await {
            Ok(address) => address,
            Err(why) => {
                observations.extend(
                    checks
                        .iter()
                        .map(|check| check.unmeasured(format!("Ingress {name}"), why.clone())),
                );
                continue;
            }
        };
        for host in tls_hosts {
            if host.starts_with('*') {
                observations.extend(checks.iter().map(|check| {
                    check.unmeasured(
                        format!("Ingress {name} host {host}"),
                        "a wildcard host: name a host it serves in a tls entry to have it checked"
                            .into(),
                    )
                }));
                continue;
            }
            hosts.push(IngressHost {
                ingress: name.clone(),
                host: host.clone(),
                address,
            });
        }
    }
    if !any {
        return Err(could_not(format!(
            "no Ingress in scope ({}) serves a host over TLS",
            world.filter
        )));
    }
    Ok(hosts)
}

/// Where an Ingress's load balancer answers TLS, from its status.
async fn balancer_address(ingress: &Ingress) -> Result<SocketAddr, String> {
    let balancer = ingress
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .and_then(|list| list.first())
        .ok_or("no load balancer address in its status: its controller has not admitted it")?;
    let tcp: Vec<u16> = balancer
        .ports
        .iter()
        .flatten()
        .filter(|p| p.protocol == "TCP")
        .filter_map(|p| u16::try_from(p.port).ok())
        .collect();
    let port = if tcp.is_empty() || tcp.contains(&443) {
        443
    } else {
        tcp[0]
    };
    let target = balancer
        .ip
        .clone()
        .or_else(|| balancer.hostname.clone())
        .ok_or("its load balancer has neither IP nor hostname")?;
    tokio::net::lookup_host((target.as_str(), port))
        .await
        .ok()
        .and_then(|mut found| found.next())
        .ok_or_else(|| format!("cannot resolve its load balancer {target} from here"))
}

/// A connection or handshake that failed: golive runs where the load
/// balancer is not reachable, so the item cannot be evaluated.
fn unreachable(host: &IngressHost, error: impl std::fmt::Display) -> StepFailure {
    could_not(format!(
        "{}: cannot be reached from where golive runs ({error}); run golive where the load balancer answers, or leave these items out with --tags",
        host.subject()
    ))
}

/// `every Ingress host refuses TLS 1.0 and 1.1 and accepts TLS 1.2 or later`:
/// the stack's two protocol items, from one handshake per version.
pub async fn ingress_protocols(world: &mut GoliveWorld, _: &[String]) -> Result<(), StepFailure> {
    let mut observations = Vec::new();
    let checks = [&OLD_PROTOCOLS, &MODERN_PROTOCOLS];
    for host in ingress_hosts(world, &checks, &mut observations).await? {
        let mut handshakes = Vec::new();
        for version in Protocols::OLD.into_iter().chain(Protocols::MODERN) {
            let support = tls::protocol_support(host.address, &host.host, version, PROBE_TIMEOUT)
                .await
                .map_err(|e| unreachable(&host, e))?;
            handshakes.push(Handshake { version, support });
        }
        let protocols = Protocols { handshakes };
        observations.extend(
            checks
                .iter()
                .map(|check| check.observe(host.subject(), &protocols)),
        );
    }
    conclude(world, observations)
}

/// `every Ingress host presents a trusted certificate for its name, valid
/// for the profile's minimum number of days, with a strong key`: the three
/// certificate items of the stack's live TLS checks, per host.
pub async fn ingress_certificates(
    world: &mut GoliveWorld,
    _: &[String],
) -> Result<(), StepFailure> {
    let trust = live_cluster(world)?.ingress_trust.clone();
    let minimum = i64::from(world.profile.cert_expiry_days);
    let mut observations = Vec::new();
    for host in ingress_hosts(world, &[&CERTIFICATE], &mut observations).await? {
        let report = tls::inspect_certificate(host.address, &host.host, &trust, PROBE_TIMEOUT)
            .await
            .map_err(|e| unreachable(&host, e))?;
        observations.extend([
            CERTIFICATE.observe(host.subject(), &Presented::of(&report, &host.host)),
            EXPIRY.observe(host.subject(), &Lifetime::of(&report, minimum)),
            KEY.observe(host.subject(), &Key::of(&report)),
        ]);
    }
    conclude(world, observations)
}
