//! Disruptions of one container of a running stack, and their undoing:
//! what failover scenarios break on purpose. Every disruption a scenario
//! applies is healed after it (the container brought back and waited on
//! until healthy), whatever the scenario's outcome, so the next scenario
//! starts from a whole stack.

use std::fmt;

use super::health;
use super::lifecycle::RunningStack;

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
}

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
            Disruption::Disconnect => {
                engine
                    .connect_to(
                        &self.network,
                        container,
                        &self.aliases_of(instance)?,
                        Some(found.address),
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
}
