//! The TLS of the Ingress hosts, seen as clients see it: at the address of
//! the Ingress's load balancer, with the host as server name, through the
//! TLS probes of the stack's live items (protocol versions, certificate).

use std::net::SocketAddr;

use super::super::failover::could_not;
use super::super::runtime::{PROBE_TIMEOUT, conclude, describe, observation};
use super::super::{GoliveWorld, StepFailure};
use super::live_cluster;
use crate::checks::Scope;
use crate::model::Resource;
use crate::probe::tls::{self, Support, TlsVersion, Validity};

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

/// Every host of a `tls` entry of the Ingresses in scope, with the address
/// of the Ingress's load balancer (its status: the first IP or hostname,
/// the port it reports for TCP, else 443).
async fn ingress_hosts(world: &GoliveWorld) -> Result<Vec<IngressHost>, StepFailure> {
    live_cluster(world)?;
    let run = world.run.clone();
    let scope = Scope::new(&run.inventory, &world.profile, &world.filter);
    let mut hosts = Vec::new();
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
        let balancer = ingress
            .status
            .as_ref()
            .and_then(|s| s.load_balancer.as_ref())
            .and_then(|lb| lb.ingress.as_ref())
            .and_then(|list| list.first())
            .ok_or_else(|| {
                could_not(format!(
                    "Ingress {name} has no load balancer address in its status: its controller has not admitted it"
                ))
            })?;
        let port = balancer
            .ports
            .iter()
            .flatten()
            .find(|p| p.protocol == "TCP")
            .and_then(|p| u16::try_from(p.port).ok())
            .unwrap_or(443);
        let target = balancer
            .ip
            .clone()
            .or_else(|| balancer.hostname.clone())
            .ok_or_else(|| {
                could_not(format!(
                    "Ingress {name}: its load balancer has neither IP nor hostname"
                ))
            })?;
        let address = tokio::net::lookup_host((target.as_str(), port))
            .await
            .ok()
            .and_then(|mut found| found.next())
            .ok_or_else(|| {
                could_not(format!(
                    "Ingress {name}: cannot resolve its load balancer {target} from here"
                ))
            })?;
        for host in tls_hosts {
            hosts.push(IngressHost {
                ingress: name.clone(),
                host: host.clone(),
                address,
            });
        }
    }
    if hosts.is_empty() {
        return Err(could_not(format!(
            "no Ingress in scope ({}) serves a host over TLS",
            world.filter
        )));
    }
    Ok(hosts)
}

/// What "cannot reach" means for an Ingress host: golive runs where the
/// load balancer is not reachable.
fn unreachable(host: &IngressHost, error: impl std::fmt::Display) -> StepFailure {
    could_not(format!(
        "{}: cannot be reached from where golive runs ({error}); run golive where the load balancer answers, or leave these items out with --tags",
        host.subject()
    ))
}

/// `every Ingress host refuses TLS 1.0 and 1.1 and accepts TLS 1.2 or later`.
pub async fn ingress_protocols(world: &mut GoliveWorld, _: &[String]) -> Result<(), StepFailure> {
    let mut observations = Vec::new();
    for host in ingress_hosts(world).await? {
        let mut facts = Vec::new();
        let mut answers = Vec::new();
        for version in [
            TlsVersion::Tls10,
            TlsVersion::Tls11,
            TlsVersion::Tls12,
            TlsVersion::Tls13,
        ] {
            let answer = tls::protocol_support(host.address, &host.host, version, PROBE_TIMEOUT)
                .await
                .map_err(|e| unreachable(&host, e))?;
            facts.push(describe(version, &answer));
            answers.push((version, answer));
        }
        let offered = |v: TlsVersion| {
            answers
                .iter()
                .any(|(version, a)| *version == v && matches!(a, Support::Offered { .. }))
        };
        let passed = !offered(TlsVersion::Tls10)
            && !offered(TlsVersion::Tls11)
            && (offered(TlsVersion::Tls12) || offered(TlsVersion::Tls13));
        observations.push(observation("tls.protocols", host.subject(), passed, facts));
    }
    conclude(world, observations)
}

/// `every Ingress host presents a trusted certificate for its name, valid
/// for the profile's minimum number of days, with a strong key`.
pub async fn ingress_certificates(
    world: &mut GoliveWorld,
    _: &[String],
) -> Result<(), StepFailure> {
    let trust = live_cluster(world)?.ingress_trust.clone();
    let minimum = i64::from(world.profile.cert_expiry_days);
    let mut observations = Vec::new();
    for host in ingress_hosts(world).await? {
        let report = tls::inspect_certificate(host.address, &host.host, &trust, PROBE_TIMEOUT)
            .await
            .map_err(|e| unreachable(&host, e))?;
        let leaf = &report.chain[0];
        let strong = tls::key_is_strong(&leaf.key);
        let facts = vec![
            format!("{} for {}", report.validity, host.host),
            format!("subject {}, issued by {}", leaf.subject, leaf.issuer),
            format!(
                "expires {} ({} day(s) left; the profile requires at least {minimum})",
                leaf.not_after.date(),
                leaf.days_left
            ),
            match &strong {
                Ok(()) => format!("{} key, signed with {}", leaf.key, leaf.signature_algorithm),
                Err(weak) => weak.clone(),
            },
        ];
        let passed =
            report.validity == Validity::Valid && leaf.days_left >= minimum && strong.is_ok();
        observations.push(observation(
            "tls.certificate",
            host.subject(),
            passed,
            facts,
        ));
    }
    conclude(world, observations)
}
