//! What an exec probe's command connects to: the command itself, or each
//! simple command of the script a shell runs with `-c`, read for the hosts
//! the usual network clients are told to reach (curl and wget URLs, nc's
//! host, grpc_health_probe's `-addr`, the `-h`/`--host` of database
//! clients, connection URLs and `host=` conninfo anywhere).

/// Shells whose `-c` argument is a script.
const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh"];

/// Clients whose `-h HOST` / `--host HOST` names the server they connect to.
const DATABASE_CLIENTS: &[&str] = &[
    "psql",
    "pg_isready",
    "mysql",
    "mysqladmin",
    "redis-cli",
    "mongo",
    "mongosh",
    "cqlsh",
];

/// curl and wget options followed by a value that is not the URL.
const HTTP_VALUE_OPTIONS: &[&str] = &[
    "-u",
    "--user",
    "-H",
    "--header",
    "-X",
    "--request",
    "-o",
    "--output",
    "-O",
    "--output-document",
    "-d",
    "--data",
    "-A",
    "--user-agent",
    "-U",
    "-w",
    "--write-out",
    "-m",
    "--max-time",
    "--connect-timeout",
    "-T",
    "--timeout",
    "-t",
    "--tries",
    "--retry",
    "-e",
    "--cacert",
    "--cert",
    "--key",
    "--resolve",
];

/// nc options followed by a value that is not the host.
const NC_VALUE_OPTIONS: &[&str] = &["-w", "-i", "-p", "-s", "-q", "-W"];

/// The first call the command makes to another host, as
/// `` `curl -f http://db:8080/` reaches db ``; `None` when every host it
/// names is the pod itself or a shell variable.
pub fn remote_call(command: &[String]) -> Option<String> {
    simple_commands(command).into_iter().find_map(|words| {
        let host = hosts(&words).into_iter().find(|h| is_remote(h))?;
        Some(format!("`{}` reaches {host}", words.join(" ")))
    })
}

/// The simple commands the probe runs.
fn simple_commands(command: &[String]) -> Vec<Vec<String>> {
    let is_shell = command
        .first()
        .is_some_and(|program| SHELLS.contains(&basename(program)));
    let script = command
        .iter()
        .position(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('c'))
        .and_then(|i| command.get(i + 1));
    match script {
        Some(script) if is_shell => split_script(script),
        _ => vec![command.to_vec()],
    }
}

/// A shell script split into simple commands of words: quotes are
/// removed, and `;`, `&`, `|`, newlines, parentheses and backquotes end a
/// command (so `$(curl ...)` is a command of its own, even in double
/// quotes). Not a shell: enough to find the programs a probe runs and
/// their arguments.
fn split_script(script: &str) -> Vec<Vec<String>> {
    let mut commands = vec![Vec::new()];
    let mut word: Option<String> = None;
    let mut chars = script.chars().peekable();
    let end_word = |word: &mut Option<String>, commands: &mut Vec<Vec<String>>| {
        if let Some(w) = word.take() {
            commands.last_mut().expect("a command").push(w);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        // A command substitution inside the quotes is read
                        // as a command of its own (the rest of the quoted
                        // text as another word).
                        '$' if chars.peek() == Some(&'(') => {
                            chars.next();
                            end_word(&mut word, &mut commands);
                            commands.push(Vec::new());
                            break;
                        }
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            '$' if chars.peek() == Some(&'(') => {}
            ';' | '&' | '|' | '\n' | '(' | ')' | '`' => {
                end_word(&mut word, &mut commands);
                if !commands.last().expect("a command").is_empty() {
                    commands.push(Vec::new());
                }
            }
            c if c.is_whitespace() => end_word(&mut word, &mut commands),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    end_word(&mut word, &mut commands);
    commands.retain(|c| !c.is_empty());
    commands
}

/// The hosts one simple command connects to.
fn hosts(words: &[String]) -> Vec<String> {
    let words = without_wrappers(words);
    let Some((program, args)) = words.split_first() else {
        return Vec::new();
    };
    let mut hosts: Vec<String> = args.iter().filter_map(|a| url_host(a)).collect();
    hosts.extend(args.iter().filter_map(|a| conninfo_host(a)));
    let tool = basename(program);
    match tool {
        "curl" | "wget" => hosts.extend(
            operands(args, HTTP_VALUE_OPTIONS)
                .filter(|a| !a.contains("://"))
                .filter_map(bare_host),
        ),
        "nc" | "ncat" | "netcat" | "telnet" => hosts.extend(
            operands(args, NC_VALUE_OPTIONS)
                .find(|a| !a.chars().all(|c| c.is_ascii_digit()))
                .map(str::to_string),
        ),
        "grpc_health_probe" => {
            hosts.extend(option_value(args, &["-addr", "--addr"]).map(|a| strip_port(&a)))
        }
        _ if DATABASE_CLIENTS.contains(&tool) => {
            hosts.extend(option_value(args, &["-h", "--host"]));
        }
        _ => {}
    }
    hosts
}

/// The command without what only wraps it: `exec`, `command`, `env` and
/// variable assignments, `timeout DURATION`.
fn without_wrappers(words: &[String]) -> &[String] {
    let mut rest = words;
    loop {
        match rest.first().map(String::as_str) {
            Some("exec" | "command" | "env") => rest = &rest[1..],
            Some("timeout") => rest = rest.get(2..).unwrap_or_default(),
            Some(word) if word.contains('=') && !word.starts_with('-') => rest = &rest[1..],
            _ => return rest,
        }
    }
}

/// The arguments that are neither options nor the values of `value_options`.
fn operands<'a>(
    args: &'a [String],
    value_options: &'a [&str],
) -> impl Iterator<Item = &'a str> + 'a {
    let mut skip_next = false;
    args.iter().filter_map(move |arg| {
        if std::mem::take(&mut skip_next) {
            return None;
        }
        if arg.starts_with('-') {
            skip_next = value_options.contains(&arg.as_str());
            return None;
        }
        Some(arg.as_str())
    })
}

/// The value of the first of `names` among `args`: `-h db`, `-hdb` (a
/// one-letter option), `--host=db`, `-addr=db:50051`.
fn option_value(args: &[String], names: &[&str]) -> Option<String> {
    args.iter().enumerate().find_map(|(i, arg)| {
        names.iter().find_map(|name| {
            if arg == name {
                return args.get(i + 1).cloned();
            }
            let rest = arg.strip_prefix(name)?;
            if let Some(value) = rest.strip_prefix('=') {
                return Some(value.to_string());
            }
            let one_letter = name.len() == 2 && !name.starts_with("--");
            (one_letter && !rest.is_empty()).then(|| rest.to_string())
        })
    })
}

/// The host of a URL (`http://user@db:8080/x` is `db`).
fn url_host(word: &str) -> Option<String> {
    let (_, rest) = word.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    Some(strip_port(host))
}

/// The host of a `host=db` conninfo word.
fn conninfo_host(word: &str) -> Option<String> {
    word.split_whitespace()
        .find_map(|pair| pair.strip_prefix("host="))
        .map(str::to_string)
}

/// The host of a curl or wget operand written without a scheme
/// (`db:8080/health`), if it looks like one.
fn bare_host(word: &str) -> Option<String> {
    let host = strip_port(word.split('/').next().unwrap_or_default());
    let host_like = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        && !host.chars().all(|c| c.is_ascii_digit());
    host_like.then_some(host)
}

/// `db:5432` is `db`, `[::1]:80` is `::1`, `:8080` is empty (this host).
fn strip_port(host_port: &str) -> String {
    if let Some(rest) = host_port.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_string();
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            host.to_string()
        }
        _ => host_port.to_string(),
    }
}

/// Whether a host is another machine than the pod: not empty, not a Unix
/// socket path, not a loopback or unspecified address, not a shell
/// variable (which the manifest does not resolve).
pub fn is_remote(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let local = host.is_empty()
        || host.starts_with('/')
        || host.contains('$')
        || host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host == "0.0.0.0"
        || host.starts_with("127.");
    !local
}

fn basename(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(command: &[&str]) -> Option<String> {
        let command: Vec<String> = command.iter().map(|w| w.to_string()).collect();
        remote_call(&command)
    }

    #[test]
    fn clients_reaching_the_pod_itself_are_local() {
        for local in [
            &["curl", "-fsS", "http://localhost:8080/health"][..],
            &["curl", "-fsS", "-o", "/dev/null", "127.0.0.1:8080/health"],
            &["wget", "-q", "-O", "-", "http://[::1]:8080/"],
            &["grpc_health_probe", "-addr=:50051"],
            &["grpc_health_probe", "-addr", "localhost:50051"],
            &["pg_isready", "-U", "app", "-h", "127.0.0.1", "-p", "5432"],
            &["pg_isready", "-h", "/var/run/postgresql"],
            &["psql", "-c", "select 1"],
            &["redis-cli", "ping"],
            &["nc", "-z", "-w", "2", "0.0.0.0", "6379"],
            &["curl", "-f", "http://$POD_IP:8080/health"],
            &["/bin/worker", "healthcheck", "--dependencies"],
            &[
                "sh",
                "-c",
                "curl -fs http://localhost:3000/health || exit 1",
            ],
        ] {
            assert_eq!(call(local), None, "{local:?}");
        }
    }

    #[test]
    fn clients_reaching_another_host_are_found() {
        for (remote, host) in [
            (&["curl", "-f", "http://postgres:5432/"][..], "postgres"),
            (
                &["curl", "-u", "me:secret", "api.example.com/health"],
                "api.example.com",
            ),
            (
                &["wget", "-T", "2", "-q", "https://auth.internal/health"],
                "auth.internal",
            ),
            (&["nc", "-z", "-w", "2", "redis", "6379"], "redis"),
            (&["grpc_health_probe", "-addr=payments:50051"], "payments"),
            (
                &["pg_isready", "-h", "postgres.production.svc", "-p", "5432"],
                "postgres.production.svc",
            ),
            (&["psql", "--host=db", "-c", "select 1"], "db"),
            (&["redis-cli", "-hredis", "ping"], "redis"),
            (
                &[
                    "psql",
                    "postgresql://app@db.internal/factory",
                    "-c",
                    "select 1",
                ],
                "db.internal",
            ),
            (&["psql", "host=db dbname=factory", "-c", "select 1"], "db"),
            (
                &[
                    "/bin/sh",
                    "-c",
                    "exec timeout 2 redis-cli -h redis ping | grep PONG",
                ],
                "redis",
            ),
            (
                &[
                    "bash",
                    "-ec",
                    "test -f /tmp/ok && curl -sf \"http://orders:8080/ready\"",
                ],
                "orders",
            ),
            (
                &["sh", "-c", "[ \"$(redis-cli -h cache ping)\" = PONG ]"],
                "cache",
            ),
        ] {
            let found = call(remote).unwrap_or_else(|| panic!("{remote:?} is not found"));
            assert!(
                found.ends_with(&format!("reaches {host}")),
                "{remote:?}: {found}"
            );
        }
    }

    #[test]
    fn scripts_split_into_commands_without_their_quotes() {
        assert_eq!(
            split_script("a 'b c' \"d\\\"e\"; f|g && $(h i)"),
            vec![
                vec!["a".to_string(), "b c".into(), "d\"e".into()],
                vec!["f".into()],
                vec!["g".into()],
                vec!["h".into(), "i".into()],
            ]
        );
    }
}
