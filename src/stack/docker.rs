//! The Docker engine, as golive uses it: connect (negotiating the API
//! version, since Debian's engine speaks 1.41), create labelled networks and
//! containers with service-name aliases, exec, logs, stop/start/kill, and
//! remove everything a run labelled. A thin layer over bollard; it knows
//! nothing of stack files.
//!
//! testcontainers 0.28 is not used: it pins Docker API 1.53, which the
//! engine Debian ships (20.10, API 1.41) refuses.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, EndpointIpamConfig, EndpointSettings,
    HostConfig, Ipam, IpamConfig, Mount, MountType, NetworkConnectRequest, NetworkCreateRequest,
    NetworkDisconnectRequest, NetworkingConfig, PortBinding,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, InspectNetworkOptions, KillContainerOptionsBuilder,
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, RestartContainerOptionsBuilder, StopContainerOptionsBuilder,
    TopOptionsBuilder,
};
use futures::StreamExt;

/// The label every container and network of a run carries.
pub const RUN_LABEL: &str = "dev.golive.run";
/// The label naming the stack instance (service replica) of a container.
pub const INSTANCE_LABEL: &str = "dev.golive.instance";

/// A Docker failure, saying what golive was doing.
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {source}")]
pub struct EngineError {
    doing: String,
    #[source]
    source: bollard::errors::Error,
}

fn failed(doing: impl Into<String>) -> impl FnOnce(bollard::errors::Error) -> EngineError {
    let doing = doing.into();
    move |source| EngineError { doing, source }
}

/// What a container is created with.
#[derive(Debug, Clone)]
pub struct ContainerRequest {
    pub name: String,
    pub image: String,
    pub command: Option<Vec<String>>,
    pub env: Vec<String>,
    pub user: Option<String>,
    pub read_only: bool,
    /// `PATH` or `PATH:OPTIONS` (as `docker run --tmpfs`).
    pub tmpfs: Vec<String>,
    /// Container ports published on an ephemeral port of 127.0.0.1.
    pub ports: Vec<u16>,
    /// Host files bind-mounted read-only: (host path, container path).
    pub files: Vec<(String, String)>,
    /// Host directories bind-mounted writable (a data store's backups).
    pub directories: Vec<(String, String)>,
    pub network: String,
    /// Its fixed IPv4 address on the network (kept across restarts).
    pub address: Ipv4Addr,
    /// Names other containers of the network resolve to this one.
    pub aliases: Vec<String>,
    pub labels: HashMap<String, String>,
}

/// A network's IPv4 subnet: its first address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    pub base: Ipv4Addr,
    pub prefix: u8,
}

impl Subnet {
    /// `172.18.0.0/16`.
    fn parse(text: &str) -> Option<Subnet> {
        let (base, prefix) = text.split_once('/')?;
        let prefix: u8 = prefix.parse().ok().filter(|p| *p <= 30)?;
        Some(Subnet {
            base: base.parse().ok()?,
            prefix,
        })
    }

    /// The `n`-th address of the subnet, if it has one (0 is the network
    /// address itself).
    pub fn host(&self, n: u32) -> Option<Ipv4Addr> {
        let size = 1u64 << (32 - self.prefix);
        (u64::from(n) < size - 1).then(|| Ipv4Addr::from(u32::from(self.base) + n))
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

/// The output of a command run in a container.
#[derive(Debug, Clone)]
pub struct ExecOutput {
    pub exit_code: i64,
    pub stdout: String,
    pub stderr: String,
}

fn fixed_address(address: Ipv4Addr) -> Option<EndpointIpamConfig> {
    Some(EndpointIpamConfig {
        ipv4_address: Some(address.to_string()),
        ..Default::default()
    })
}

/// A connected engine.
#[derive(Clone)]
pub struct Engine {
    docker: Docker,
}

impl Engine {
    /// Connects to the engine `DOCKER_HOST` names (default: the local
    /// socket) and agrees on an API version it speaks.
    pub async fn connect() -> Result<Engine, String> {
        let place =
            std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
        let unreachable = |e: &dyn std::fmt::Display| {
            format!(
                "cannot reach the Docker engine at {place}: {e} (is dockerd running? scripts/docker.sh starts it)"
            )
        };
        let docker = Docker::connect_with_defaults()
            .map_err(|e| unreachable(&e))?
            .with_timeout(Duration::from_secs(120));
        let docker = tokio::time::timeout(Duration::from_secs(10), docker.negotiate_version())
            .await
            .map_err(|_| unreachable(&"no answer within 10 s"))?
            .map_err(|e| unreachable(&e))?;
        Ok(Engine { docker })
    }

    /// Fails with a clear message when an image is not present locally.
    pub async fn require_image(&self, image: &str) -> Result<(), String> {
        self.docker.inspect_image(image).await.map(|_| ()).map_err(|e| match e {
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            } => format!(
                "image {image} is not present on this Docker engine (golive does not pull; build the bundled ones with scripts/images.sh, or docker pull yours)"
            ),
            e => format!("cannot inspect image {image}: {e}"),
        })
    }

    /// Creates a bridge network whose containers can have fixed addresses,
    /// and returns its subnet. The engine only accepts fixed addresses on a
    /// subnet the user configured, so the network is created once to let
    /// the engine pick a free subnet from its pools, then created again
    /// with that subnet stated (again if another run took it meanwhile).
    pub async fn create_network(
        &self,
        name: &str,
        labels: HashMap<String, String>,
    ) -> Result<Subnet, EngineError> {
        let create = |ipam: Option<Ipam>| NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".into()),
            labels: Some(labels.clone()),
            ipam,
            ..Default::default()
        };
        let doing = format!("creating network {name}");
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.docker
                .create_network(create(None))
                .await
                .map_err(failed(&doing))?;
            let picked = self
                .docker
                .inspect_network(name, None::<InspectNetworkOptions>)
                .await
                .map_err(failed(&doing))?
                .ipam
                .and_then(|ipam| ipam.config)
                .into_iter()
                .flatten()
                .find_map(|config| Subnet::parse(config.subnet.as_deref()?));
            self.docker
                .remove_network(name)
                .await
                .map_err(failed(&doing))?;
            let Some(subnet) = picked else {
                return Err(EngineError {
                    doing,
                    source: bollard::errors::Error::DockerResponseServerError {
                        status_code: 500,
                        message: "the engine gave the network no IPv4 subnet".into(),
                    },
                });
            };
            let ipam = Ipam {
                config: Some(vec![IpamConfig {
                    subnet: Some(subnet.to_string()),
                    gateway: subnet.host(1).map(|g| g.to_string()),
                    ..Default::default()
                }]),
                ..Default::default()
            };
            match self.docker.create_network(create(Some(ipam))).await {
                Ok(_) => return Ok(subnet),
                Err(_) if attempt < 5 => continue,
                Err(source) => return Err(EngineError { doing, source }),
            }
        }
    }

    /// Creates and starts a container; returns its ID.
    pub async fn run(&self, request: &ContainerRequest) -> Result<String, EngineError> {
        let name = &request.name;
        let port_bindings = request
            .ports
            .iter()
            .map(|port| {
                (
                    format!("{port}/tcp"),
                    Some(vec![PortBinding {
                        host_ip: Some("127.0.0.1".into()),
                        host_port: Some(String::new()),
                    }]),
                )
            })
            .collect();
        let bind = |(source, target): &(String, String), read_only: bool| Mount {
            source: Some(source.clone()),
            target: Some(target.clone()),
            typ: Some(MountType::BIND),
            read_only: Some(read_only),
            ..Default::default()
        };
        let mounts = request
            .files
            .iter()
            .map(|file| bind(file, true))
            .chain(request.directories.iter().map(|dir| bind(dir, false)))
            .collect();
        // `PATH` or `PATH:OPTIONS` as `docker run --tmpfs` takes them; by
        // default writable by any user (the container's user is not root).
        let tmpfs = request
            .tmpfs
            .iter()
            .map(|entry| match entry.split_once(':') {
                Some((path, options)) => (path.to_string(), options.to_string()),
                None => (entry.clone(), "rw,size=64m,mode=777".to_string()),
            })
            .collect();
        let body = ContainerCreateBody {
            image: Some(request.image.clone()),
            cmd: request.command.clone(),
            env: Some(request.env.clone()),
            user: request.user.clone(),
            labels: Some(request.labels.clone()),
            exposed_ports: Some(request.ports.iter().map(|p| format!("{p}/tcp")).collect()),
            host_config: Some(HostConfig {
                network_mode: Some(request.network.clone()),
                port_bindings: Some(port_bindings),
                mounts: Some(mounts),
                tmpfs: Some(tmpfs),
                readonly_rootfs: Some(request.read_only),
                ..Default::default()
            }),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(
                    request.network.clone(),
                    EndpointSettings {
                        aliases: Some(request.aliases.clone()),
                        ipam_config: fixed_address(request.address),
                        ..Default::default()
                    },
                )])),
            }),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::new().name(name).build();
        let created = self
            .docker
            .create_container(Some(options), body)
            .await
            .map_err(failed(format!("creating container {name}")))?;
        self.docker
            .start_container(&created.id, None)
            .await
            .map_err(failed(format!("starting container {name}")))?;
        Ok(created.id)
    }

    pub async fn inspect(&self, container: &str) -> Result<ContainerInspectResponse, EngineError> {
        self.docker
            .inspect_container(container, None)
            .await
            .map_err(failed(format!("inspecting container {container}")))
    }

    /// The 127.0.0.1 port a container port is published on (it changes
    /// when the container restarts).
    pub async fn host_port(&self, container: &str, port: u16) -> Result<u16, String> {
        let inspected = self.inspect(container).await.map_err(|e| e.to_string())?;
        inspected
            .network_settings
            .and_then(|n| n.ports)
            .and_then(|ports| ports.get(&format!("{port}/tcp")).cloned().flatten())
            .and_then(|bindings| bindings.into_iter().find_map(|b| b.host_port))
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("port {port} of {container} is not published"))
    }

    /// Runs a command in a running container (as its configured user, or
    /// as `user`) and collects its output.
    pub async fn exec(
        &self,
        container: &str,
        user: Option<&str>,
        command: &[&str],
    ) -> Result<ExecOutput, EngineError> {
        let doing = || format!("running {command:?} in container {container}");
        let exec = self
            .docker
            .create_exec(
                container,
                CreateExecOptions {
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    cmd: Some(command.to_vec()),
                    user,
                    ..Default::default()
                },
            )
            .await
            .map_err(failed(doing()))?;
        let mut stdout = String::new();
        let mut stderr = String::new();
        if let StartExecResults::Attached { mut output, .. } = self
            .docker
            .start_exec(&exec.id, None)
            .await
            .map_err(failed(doing()))?
        {
            while let Some(chunk) = output.next().await {
                match chunk.map_err(failed(doing()))? {
                    bollard::container::LogOutput::StdErr { message } => {
                        stderr.push_str(&String::from_utf8_lossy(&message))
                    }
                    other => stdout.push_str(&String::from_utf8_lossy(&other.into_bytes())),
                }
            }
        }
        let inspected = self
            .docker
            .inspect_exec(&exec.id)
            .await
            .map_err(failed(doing()))?;
        Ok(ExecOutput {
            exit_code: inspected.exit_code.unwrap_or(-1),
            stdout,
            stderr,
        })
    }

    /// The last `lines` lines of a container's output.
    pub async fn logs(&self, container: &str, lines: usize) -> String {
        let options = LogsOptionsBuilder::new()
            .stdout(true)
            .stderr(true)
            .tail(&lines.to_string())
            .build();
        let mut stream = self.docker.logs(container, Some(options));
        let mut text = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
        text
    }

    /// The UID of every process of a running container (from the host's
    /// view, as `docker top` shows it), with its command.
    pub async fn process_uids(
        &self,
        container: &str,
    ) -> Result<Vec<(String, String)>, EngineError> {
        let options = TopOptionsBuilder::new().ps_args("-o uid,pid,args").build();
        let top = self
            .docker
            .top_processes(container, Some(options))
            .await
            .map_err(failed(format!("listing the processes of {container}")))?;
        let titles = top.titles.unwrap_or_default();
        let column = |name: &str| titles.iter().position(|t| t == name);
        let (Some(uid), Some(args)) = (column("UID"), column("COMMAND")) else {
            return Ok(Vec::new());
        };
        Ok(top
            .processes
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| Some((p.get(uid)?.clone(), p.get(args)?.clone())))
            .collect())
    }

    pub async fn stop(&self, container: &str) -> Result<(), EngineError> {
        let options = StopContainerOptionsBuilder::new().t(10).build();
        self.docker
            .stop_container(container, Some(options))
            .await
            .map_err(failed(format!("stopping container {container}")))
    }

    pub async fn start(&self, container: &str) -> Result<(), EngineError> {
        self.docker
            .start_container(container, None)
            .await
            .map_err(failed(format!("starting container {container}")))
    }

    /// `docker restart`: SIGTERM, up to 10 s for a graceful stop, start.
    pub async fn restart(&self, container: &str) -> Result<(), EngineError> {
        let options = RestartContainerOptionsBuilder::new().t(10).build();
        self.docker
            .restart_container(container, Some(options))
            .await
            .map_err(failed(format!("restarting container {container}")))
    }

    /// SIGKILL: the process dies at once, nothing is flushed.
    pub async fn kill(&self, container: &str) -> Result<(), EngineError> {
        self.signal(container, "SIGKILL").await
    }

    /// Sends `signal` to the container's main process (`SIGHUP`: nginx
    /// reloads).
    pub async fn signal(&self, container: &str, signal: &str) -> Result<(), EngineError> {
        let options = KillContainerOptionsBuilder::new().signal(signal).build();
        self.docker
            .kill_container(container, Some(options))
            .await
            .map_err(failed(format!("sending {signal} to container {container}")))
    }

    /// Removes a container, running or not, with its anonymous volumes.
    pub async fn remove(&self, container: &str) -> Result<(), EngineError> {
        let options = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        self.docker
            .remove_container(container, Some(options))
            .await
            .map_err(failed(format!("removing container {container}")))
    }

    /// Freezes every process of the container (cgroup freezer): it keeps
    /// its connections but answers nothing.
    pub async fn pause(&self, container: &str) -> Result<(), EngineError> {
        self.docker
            .pause_container(container)
            .await
            .map_err(failed(format!("pausing container {container}")))
    }

    pub async fn unpause(&self, container: &str) -> Result<(), EngineError> {
        self.docker
            .unpause_container(container)
            .await
            .map_err(failed(format!("unpausing container {container}")))
    }

    /// Cuts the container off `network` (its name no longer resolves there).
    pub async fn disconnect_from(&self, network: &str, container: &str) -> Result<(), EngineError> {
        let request = NetworkDisconnectRequest {
            container: container.to_string(),
            force: Some(true),
        };
        self.docker
            .disconnect_network(network, request)
            .await
            .map_err(failed(format!("disconnecting {container} from {network}")))
    }

    /// Puts the container back on `network`, answering to `aliases` at
    /// its fixed address.
    pub async fn connect_to(
        &self,
        network: &str,
        container: &str,
        aliases: &[String],
        address: Ipv4Addr,
    ) -> Result<(), EngineError> {
        let request = NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(EndpointSettings {
                aliases: Some(aliases.to_vec()),
                ipam_config: fixed_address(address),
                ..EndpointSettings::default()
            }),
        };
        self.docker
            .connect_network(network, request)
            .await
            .map_err(failed(format!("connecting {container} to {network}")))
    }

    /// Runs `command` in a short-lived helper container of `image` that
    /// shares the network namespace of `container` and may change its
    /// traffic control (NET_ADMIN): what `tc` needs, without giving
    /// the stack's own containers that capability. The helper carries
    /// `labels` (so a run's removal finds it) and is removed afterwards.
    pub async fn exec_in_network_of(
        &self,
        container: &str,
        image: &str,
        labels: HashMap<String, String>,
        command: &[&str],
    ) -> Result<ExecOutput, EngineError> {
        let doing = format!("starting a {image} helper in the network of {container}");
        let body = ContainerCreateBody {
            image: Some(image.to_string()),
            // Lives long enough for the command, and no longer if golive dies.
            entrypoint: Some(vec!["sleep".into(), "120".into()]),
            cmd: Some(Vec::new()),
            labels: Some(labels),
            host_config: Some(HostConfig {
                network_mode: Some(format!("container:{container}")),
                cap_add: Some(vec!["NET_ADMIN".into()]),
                auto_remove: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        };
        let helper = self
            .docker
            .create_container(
                None::<bollard::query_parameters::CreateContainerOptions>,
                body,
            )
            .await
            .map_err(failed(doing.clone()))?
            .id;
        let ran = match self.docker.start_container(&helper, None).await {
            Ok(()) => self.exec(&helper, None, command).await,
            Err(source) => Err(EngineError { doing, source }),
        };
        let remove = RemoveContainerOptionsBuilder::new().force(true).build();
        // Already gone when auto-removed; any other failure is the run's
        // removal's to report.
        let _ = self.docker.remove_container(&helper, Some(remove)).await;
        ran
    }

    /// Removes every container and network labelled with run `run_id`;
    /// returns how many of each were removed. A failure does not stop the
    /// others: every one is tried, then the failures are reported together.
    pub async fn remove_run(&self, run_id: &str) -> Result<(usize, usize), String> {
        let label = format!("{RUN_LABEL}={run_id}");
        let filters = HashMap::from([("label".to_string(), vec![label])]);
        let containers = self
            .docker
            .list_containers(Some(
                ListContainersOptionsBuilder::new()
                    .all(true)
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(|e| format!("listing the containers of run {run_id}: {e}"))?;
        let remove = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        let mut failures = Vec::new();
        let mut removed = 0;
        for id in containers.into_iter().filter_map(|c| c.id) {
            match self
                .docker
                .remove_container(&id, Some(remove.clone()))
                .await
            {
                Ok(()) => removed += 1,
                Err(e) => failures.push(format!("removing container {id}: {e}")),
            }
        }
        let networks = self
            .docker
            .list_networks(Some(
                ListNetworksOptionsBuilder::new().filters(&filters).build(),
            ))
            .await
            .map_err(|e| format!("listing the networks of run {run_id}: {e}"))?;
        let mut removed_networks = 0;
        for name in networks.into_iter().filter_map(|n| n.name) {
            match self.docker.remove_network(&name).await {
                Ok(()) => removed_networks += 1,
                Err(e) => failures.push(format!("removing network {name}: {e}")),
            }
        }
        if failures.is_empty() {
            Ok((removed, removed_networks))
        } else {
            Err(failures.join("; "))
        }
    }
}
