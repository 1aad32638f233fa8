//! Disruptions of one container of a running stack, and their undoing:
//! what failover scenarios break on purpose. Every disruption a scenario
//! applies is healed after it (the container brought back and waited on
//! until healthy), whatever the scenario's outcome, so the next scenario
//! starts from a whole stack.

use std::fmt;
use std::net::Ipv4Addr;

use super::docker::RUN_LABEL;
use super::health;
use super::lifecycle::{RunningStack, aliases};

/// What happens to the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disruption {
    /// SIGKILL: the process dies at once, nothing is flushed.
    Kill,
    /// `docker stop`: SIGTERM (the image's stop signal), then SIGKILL.
    Stop,
    /// Every process frozen: connections stay open, nothing answers.
    Pause,
    /// Stopped and started again by the engine.
    Restart,
    /// Cut off the stack network: its address and names disappear.
    Disconnect,
    /// What it sends to `towards` limited to `kbit` kbit/s (`tc` HTB on
    /// its interface, from a helper container), the rest of its traffic
    /// untouched: a thin link to a distant standby, which falls behind
    /// whenever more is written than the link carries.
    Throttle { kbit: u32, towards: Ipv4Addr },
}

/// The image of the helper that runs `tc` (scripts/images.sh builds it).
const TC_IMAGE: &str = "golive/tc:latest";

/// Run by `sh -c SCRIPT tc ADDRESS [KBIT]` in the helper: the interface
/// that reaches ADDRESS gets an HTB queue whose class 1:20, limited to
/// KBIT, takes the packets to ADDRESS (a u32 filter) and class 1:10 the
/// rest, unlimited; without KBIT, that queue is removed (if the container
/// restarted since, there is none). HTB rather than netem's delay: the
/// kernels of these machines have no netem.
const TC_SCRIPT: &str = r#"set -eu
dev=$(ip -o route get "$1" | sed -n 's/.* dev \([^ ]*\).*/\1/p')
[ -n "$dev" ] || { echo "no route to $1" >&2; exit 1; }
if [ $# -eq 2 ]; then
  tc qdisc add dev "$dev" root handle 1: htb default 10
  tc class add dev "$dev" parent 1: classid 1:10 htb rate 10gbit
  tc class add dev "$dev" parent 1: classid 1:20 htb rate "$2kbit" ceil "$2kbit"
  tc filter add dev "$dev" parent 1: protocol ip prio 1 u32 match ip dst "$1/32" flowid 1:20
  echo "$dev: packets to $1 limited to $2 kbit/s"
elif tc qdisc show dev "$dev" | grep -q htb; then
  tc qdisc del dev "$dev" root
  echo "$dev: limit removed"
fi
"#;

impl Disruption {
    /// `killed`, `stopped`... as the steps write them.
    pub fn from_participle(text: &str) -> Option<Disruption> {
        Some(match text {
            "killed" => Disruption::Kill,
            "stopped" => Disruption::Stop,
            "paused" => Disruption::Pause,
            "restarted" => Disruption::Restart,
            "cut off the network" => Disruption::Disconnect,
            _ => return None,
        })
    }
}

impl fmt::Display for Disruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Disruption::Kill => "killed (SIGKILL)",
            Disruption::Stop => "stopped",
            Disruption::Pause => "paused",
            Disruption::Restart => "restarted",
            Disruption::Disconnect => "cut off the network",
            Disruption::Throttle { kbit, towards } => {
                return write!(f, "throttled to {kbit} kbit/s towards {towards}");
            }
        })
    }
}

impl RunningStack {
    /// Applies `disruption` to the container of `instance`.
    pub async fn disrupt(&self, instance: &str, disruption: Disruption) -> Result<(), String> {
        let found = self.instance(instance)?;
        let engine = self.engine();
        let container = &found.container;
        let applied = match disruption {
            Disruption::Kill => engine.kill(container).await,
            Disruption::Stop => engine.stop(container).await,
            Disruption::Pause => engine.pause(container).await,
            Disruption::Restart => engine.restart(container).await,
            Disruption::Disconnect => engine.disconnect_from(&self.network, container).await,
            Disruption::Throttle { kbit, towards } => {
                return self.traffic_control(container, towards, Some(kbit)).await;
            }
        };
        applied.map_err(|e| e.to_string())?;
        if disruption == Disruption::Restart {
            // Its published ports changed.
            self.refresh_ports(instance).await?;
        }
        Ok(())
    }

    /// Undoes `disruption` and waits until the container is healthy again.
    pub async fn heal(&self, instance: &str, disruption: Disruption) -> Result<(), String> {
        let found = self.instance(instance)?;
        let engine = self.engine();
        let container = &found.container;
        let undone = match disruption {
            Disruption::Kill | Disruption::Stop => engine.start(container).await,
            Disruption::Pause => engine.unpause(container).await,
            Disruption::Restart => Ok(()),
            Disruption::Throttle { towards, .. } => {
                return self.traffic_control(container, towards, None).await;
            }
            Disruption::Disconnect => {
                engine
                    .connect_to(
                        &self.network,
                        container,
                        &aliases(&found.name, &found.service),
                        found.address,
                    )
                    .await
            }
        };
        undone.map_err(|e| e.to_string())?;
        let healthcheck = self
            .service(&found.service)
            .and_then(|s| s.healthcheck.clone());
        health::wait_healthy(engine, container, healthcheck.as_ref())
            .await
            .map_err(|e| format!("{container} {e}"))?;
        self.refresh_ports(instance).await
    }

    /// Limits what `container` sends to `towards` to `kbit` kbit/s, or
    /// lifts the limit (`None`).
    async fn traffic_control(
        &self,
        container: &str,
        towards: Ipv4Addr,
        kbit: Option<u32>,
    ) -> Result<(), String> {
        let labels = [(RUN_LABEL.to_string(), self.run_id.clone())].into();
        let address = towards.to_string();
        let kbit = kbit.map(|k| k.to_string());
        let mut command = vec!["sh", "-c", TC_SCRIPT, "tc", &address];
        command.extend(kbit.as_deref());
        self.engine().require_image(TC_IMAGE).await?;
        let output = self
            .engine()
            .exec_in_network_of(container, TC_IMAGE, labels, &command)
            .await
            .map_err(|e| e.to_string())?;
        if output.exit_code == 0 {
            Ok(())
        } else {
            Err(format!(
                "tc in the network of {container} exited with {}: {}",
                output.exit_code,
                output.stderr.trim()
            ))
        }
    }
}
