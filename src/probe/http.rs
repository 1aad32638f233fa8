//! HTTP(S) probes: one request ([`get`]), what its answer says about
//! redirects ([`redirect_to_https`]) and HSTS ([`hsts`]), series of requests
//! for rate limiting ([`burst`], [`paced`]) and polling until a status
//! flips ([`poll_until`]).
//!
//! Redirects are never followed and no proxy is used: the probe observes
//! the endpoint itself. TLS is rustls (ring) with the trust anchors given,
//! or no verification at all when asked. `HttpOptions::connect_to` sends
//! the TCP connection to a given address (a published container port)
//! while SNI, certificate name and `Host` stay those of the URL.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HOST, HeaderValue, LOCATION, STRICT_TRANSPORT_SECURITY};
use reqwest::{Client, Url};
use rustls::ClientConfig;
use tokio::task::JoinSet;
use tokio::time::Instant;

pub use reqwest::header::HeaderMap;

use super::tls::{AcceptAnyCertificate, Trust};
use super::{ProbeError, provider};

/// How an HTTPS probe treats the server certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateCheck {
    /// Verify the chain against these anchors and the URL's host.
    Verify(Trust),
    /// Accept any certificate (the step is not about trust).
    Skip,
}

/// How to send a probe request.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Where to open the TCP connection instead of resolving the URL's host
    /// (then `Host`, SNI and the certificate name stay the URL's).
    pub connect_to: Option<SocketAddr>,
    pub certificates: CertificateCheck,
    /// Bound on each request, from connecting to the end of the body.
    pub timeout: Duration,
    /// Read the body into [`Answer::body_bytes`].
    pub read_body: bool,
    /// At most this many body bytes are kept (the rest is not read).
    pub max_body_bytes: usize,
}

impl Default for HttpOptions {
    fn default() -> HttpOptions {
        HttpOptions {
            connect_to: None,
            certificates: CertificateCheck::Verify(Trust::WebPki),
            timeout: Duration::from_secs(10),
            read_body: false,
            max_body_bytes: 1 << 20,
        }
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// Header names are lowercase; repeated fields are all kept.
    pub headers: HeaderMap,
    /// From sending the request to receiving the headers.
    pub elapsed: Duration,
    /// The body (truncated at `max_body_bytes`) when `read_body` was set.
    pub body_bytes: Option<Vec<u8>>,
}

/// GET `url` once.
pub async fn get(url: &str, options: &HttpOptions) -> Result<Answer, ProbeError> {
    Target::new(url, options)?.get(options.timeout).await
}

/// One URL with a client configured for it, reused by series of requests.
struct Target {
    client: Client,
    url: Url,
    /// The URL's authority when `connect_to` moved the connection.
    host: Option<HeaderValue>,
    /// URL (and connect address) for messages.
    label: String,
    read_body: bool,
    max_body_bytes: usize,
}

impl Target {
    fn new(url: &str, options: &HttpOptions) -> Result<Target, ProbeError> {
        let mut url =
            Url::parse(url).map_err(|e| ProbeError::Invalid(format!("URL {url:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ProbeError::Invalid(format!(
                "URL {url}: only http and https are probed"
            )));
        }
        let authority = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(ProbeError::Invalid(format!("URL {url} has no host"))),
        };
        let label = match options.connect_to {
            Some(addr) => format!("{url} (via {addr})"),
            None => url.to_string(),
        };
        let mut builder = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("golive/", env!("CARGO_PKG_VERSION")))
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .tls_backend_preconfigured(tls_config(&options.certificates)?);
        let mut host = None;
        if let Some(addr) = options.connect_to {
            // reqwest honours an overridden address's port only when the URL
            // has none; the URL's authority goes back into `Host`.
            match url.domain().map(str::to_owned) {
                Some(domain) => {
                    builder = builder.resolve(&domain, addr);
                    url.set_port(None).map_err(|()| {
                        ProbeError::Invalid(format!("URL {url}: cannot clear the port"))
                    })?;
                }
                None => {
                    url.set_ip_host(addr.ip()).map_err(|()| {
                        ProbeError::Invalid(format!("URL {url}: cannot set the address"))
                    })?;
                    url.set_port(Some(addr.port())).map_err(|()| {
                        ProbeError::Invalid(format!("URL {url}: cannot set the port"))
                    })?;
                }
            }
            host = Some(HeaderValue::from_str(&authority).map_err(|e| {
                ProbeError::Invalid(format!("host {authority:?} as a header: {e}"))
            })?);
        }
        let client = builder.build().map_err(|e| ProbeError::Http {
            target: label.clone(),
            detail: format!("client: {}", causes(&e)),
        })?;
        Ok(Target {
            client,
            url,
            host,
            label,
            read_body: options.read_body,
            max_body_bytes: options.max_body_bytes,
        })
    }

    async fn get(&self, timeout: Duration) -> Result<Answer, ProbeError> {
        let mut request = self.client.get(self.url.clone()).timeout(timeout);
        if let Some(host) = &self.host {
            request = request.header(HOST, host.clone());
        }
        let start = Instant::now();
        let mut response = request.send().await.map_err(|e| self.error(e, timeout))?;
        let elapsed = start.elapsed();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body_bytes = if self.read_body {
            let mut body = Vec::new();
            while body.len() < self.max_body_bytes {
                let Some(chunk) = response.chunk().await.map_err(|e| self.error(e, timeout))?
                else {
                    break;
                };
                let room = self.max_body_bytes - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Some(body)
        } else {
            None
        };
        Ok(Answer {
            status,
            headers,
            elapsed,
            body_bytes,
        })
    }

    fn error(&self, e: reqwest::Error, after: Duration) -> ProbeError {
        if e.is_timeout() {
            ProbeError::Timeout {
                target: self.label.clone(),
                during: "HTTP request",
                after,
            }
        } else {
            ProbeError::Http {
                target: self.label.clone(),
                detail: causes(&e),
            }
        }
    }
}

/// The underlying causes of a reqwest error ("tcp connect error:
/// Connection refused"), which its own message (naming the URL) hides.
fn causes(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// The rustls configuration of a client that checks certificates as asked
/// (also used by the load engine for a profile's CA).
pub(crate) fn tls_config(check: &CertificateCheck) -> Result<ClientConfig, ProbeError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ProbeError::Invalid(format!("TLS configuration: {e}")))?;
    Ok(match check {
        CertificateCheck::Verify(trust) => builder
            .with_root_certificates(trust.root_store()?)
            .with_no_client_auth(),
        CertificateCheck::Skip => builder
            .dangerous()
            .with_custom_certificate_verifier(AcceptAnyCertificate::new())
            .with_no_client_auth(),
    })
}

/// A Strict-Transport-Security policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hsts {
    pub max_age_seconds: u64,
    /// `max_age_seconds` in whole days, rounded down.
    pub max_age_days: u64,
    pub include_subdomains: bool,
    /// The `preload` token of hstspreload.org (not in RFC 6797).
    pub preload: bool,
}

/// Parses the first Strict-Transport-Security field of `headers` as RFC
/// 6797 section 6.1 says a browser does (only the first field counts,
/// section 8.1): directive names are case-insensitive, values are tokens or
/// quoted strings, unknown directives are ignored, a repeated directive or
/// a missing or non-numeric max-age makes the whole header invalid.
pub fn hsts(headers: &HeaderMap) -> Result<Hsts, String> {
    let value = headers
        .get(STRICT_TRANSPORT_SECURITY)
        .ok_or("no Strict-Transport-Security header")?;
    let text = value
        .to_str()
        .map_err(|_| "Strict-Transport-Security is not ASCII text".to_owned())?;
    parse_hsts(text).map_err(|e| format!("Strict-Transport-Security {text:?}: {e}"))
}

fn parse_hsts(text: &str) -> Result<Hsts, String> {
    let mut directives: Vec<(String, Option<String>)> = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches([' ', '\t']);
        let Some(first) = rest.chars().next() else {
            break;
        };
        if first == ';' {
            rest = &rest[1..];
            continue;
        }
        let name_end = rest.find(|c| !is_tchar(c)).unwrap_or(rest.len());
        if name_end == 0 {
            return Err(format!("unexpected {first:?}"));
        }
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start_matches([' ', '\t']);
        let mut value = None;
        if let Some(after) = rest.strip_prefix('=') {
            rest = after.trim_start_matches([' ', '\t']);
            if let Some(quoted) = rest.strip_prefix('"') {
                let (unquoted, after) = quoted_string(quoted)
                    .ok_or_else(|| format!("unterminated quoted value of {name}"))?;
                value = Some(unquoted);
                rest = after;
            } else {
                let end = rest.find(|c| !is_tchar(c)).unwrap_or(rest.len());
                if end == 0 {
                    return Err(format!("{name} has an empty value"));
                }
                value = Some(rest[..end].to_owned());
                rest = &rest[end..];
            }
            rest = rest.trim_start_matches([' ', '\t']);
        }
        if let Some(c) = rest.chars().next().filter(|c| *c != ';') {
            return Err(format!("unexpected {c:?} after {name}"));
        }
        if directives.iter().any(|(seen, _)| *seen == name) {
            return Err(format!("{name} appears twice"));
        }
        directives.push((name, value));
    }
    let value_of = |wanted: &str| {
        directives
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, value)| value.as_deref())
    };
    let max_age_seconds = match value_of("max-age") {
        None => return Err("no max-age".to_owned()),
        Some(None) => return Err("max-age has no value".to_owned()),
        Some(Some(v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            // Absurdly long numbers saturate rather than fail.
            v.parse::<u64>().unwrap_or(u64::MAX)
        }
        Some(Some(v)) => return Err(format!("max-age {v:?} is not a number of seconds")),
    };
    let flag = |name: &str| match value_of(name) {
        None => Ok(false),
        Some(None) => Ok(true),
        Some(Some(_)) => Err(format!("{name} takes no value")),
    };
    Ok(Hsts {
        max_age_seconds,
        max_age_days: max_age_seconds / 86_400,
        include_subdomains: flag("includesubdomains")?,
        preload: flag("preload")?,
    })
}

/// RFC 7230 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// The content of a quoted string whose opening quote is already consumed,
/// and what follows its closing quote.
fn quoted_string(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[i + 1..])),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
    None
}

/// The Location header of an answer, if any.
pub fn location(answer: &Answer) -> Option<String> {
    answer
        .headers
        .get(LOCATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// `Ok(location)` when an answer with `status` and `location` is a
/// permanent redirect (301 or 308) to an https:// URL; otherwise what it
/// is instead.
pub fn redirect_to_https(status: u16, location: Option<&str>) -> Result<String, String> {
    match (status, &location) {
        (301 | 308, Some(_)) => {}
        (301 | 308, None) => return Err(format!("{status} without a Location header")),
        (302 | 303 | 307, _) => {
            return Err(format!(
                "{status} is a temporary redirect{}; 301 or 308 expected",
                location.map(|l| format!(" (to {l})")).unwrap_or_default()
            ));
        }
        _ => return Err(format!("status {status}, not a redirect")),
    }
    let location = location.unwrap_or_default();
    match Url::parse(location) {
        Ok(url) if url.scheme() == "https" && url.host().is_some() => Ok(location.to_string()),
        Ok(_) => Err(format!("redirects to {location}, not to https")),
        Err(_) => Err(format!(
            "Location {location:?} is not an absolute URL (https://... expected)"
        )),
    }
}

/// Statuses of a series of requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusCounts {
    by_status: BTreeMap<u16, usize>,
    errors: usize,
    first_error: Option<String>,
}

impl StatusCounts {
    fn record(&mut self, result: Result<Answer, ProbeError>) {
        match result {
            Ok(answer) => *self.by_status.entry(answer.status).or_default() += 1,
            Err(e) => self.record_error(e.to_string()),
        }
    }

    fn record_error(&mut self, message: String) {
        self.errors += 1;
        self.first_error.get_or_insert(message);
    }

    /// Answers with `status`.
    pub fn count(&self, status: u16) -> usize {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    /// Answers saying "slow down": 429 and 503.
    pub fn limited(&self) -> usize {
        self.count(429) + self.count(503)
    }

    /// Requests sent: answers plus transport errors.
    pub fn total(&self) -> usize {
        self.by_status.values().sum::<usize>() + self.errors
    }

    /// Requests without an answer (refused, reset, timed out...).
    pub fn errors(&self) -> usize {
        self.errors
    }

    /// The first transport error, for the evidence.
    pub fn first_error(&self) -> Option<&str> {
        self.first_error.as_deref()
    }

    /// (status, count), by status.
    pub fn statuses(&self) -> impl Iterator<Item = (u16, usize)> + '_ {
        self.by_status.iter().map(|(s, n)| (*s, *n))
    }
}

impl fmt::Display for StatusCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self
            .statuses()
            .map(|(status, n)| format!("{n}×{status}"))
            .collect();
        if self.errors > 0 {
            parts.push(format!("{} without answer", self.errors));
        }
        if parts.is_empty() {
            f.write_str("no requests")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// Fires `requests` GETs at once and counts the statuses.
pub async fn burst(
    url: &str,
    options: &HttpOptions,
    requests: usize,
) -> Result<StatusCounts, ProbeError> {
    let target = Target::new(url, options)?;
    let results =
        futures::future::join_all((0..requests).map(|_| target.get(options.timeout))).await;
    let mut counts = StatusCounts::default();
    for result in results {
        counts.record(result);
    }
    Ok(counts)
}

/// Sends `count` GETs evenly spaced at `per_second` (each sent on time
/// whether or not earlier ones were answered) and counts the statuses.
pub async fn paced(
    url: &str,
    options: &HttpOptions,
    per_second: f64,
    count: usize,
) -> Result<StatusCounts, ProbeError> {
    let period = (per_second.is_finite() && per_second > 0.0)
        .then(|| Duration::try_from_secs_f64(1.0 / per_second).ok())
        .flatten()
        .ok_or_else(|| ProbeError::Invalid(format!("{per_second} requests per second")))?;
    let target = Arc::new(Target::new(url, options)?);
    let timeout = options.timeout;
    let start = Instant::now();
    let mut pending = JoinSet::new();
    for i in 0..count {
        let offset = period.mul_f64(i as f64);
        tokio::time::sleep_until(start + offset).await;
        let target = Arc::clone(&target);
        pending.spawn(async move { target.get(timeout).await });
    }
    let mut counts = StatusCounts::default();
    while let Some(joined) = pending.join_next().await {
        match joined {
            Ok(result) => counts.record(result),
            Err(e) => counts.record_error(format!("request task: {e}")),
        }
    }
    Ok(counts)
}

/// When polling stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollOutcome {
    /// Time from the start until the first answer whose status matched;
    /// `None` when none did within the time allowed.
    pub first_matching_after: Option<Duration>,
    /// Status of the last answer.
    pub last_status: Option<u16>,
    /// The last request that got no answer, if any.
    pub last_error: Option<String>,
    pub attempts: usize,
}

/// GETs `url` every `interval` until a status satisfies `matches` or
/// `within` has passed (each request is also cut at the deadline).
pub async fn poll_until(
    url: &str,
    options: &HttpOptions,
    matches: impl Fn(u16) -> bool,
    within: Duration,
    interval: Duration,
) -> Result<PollOutcome, ProbeError> {
    let target = Target::new(url, options)?;
    let start = Instant::now();
    let deadline = start + within;
    let mut outcome = PollOutcome::default();
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let budget = if remaining.is_zero() {
            options.timeout
        } else {
            options.timeout.min(remaining)
        };
        outcome.attempts += 1;
        match target.get(budget).await {
            Ok(answer) => {
                outcome.last_status = Some(answer.status);
                if matches(answer.status) {
                    outcome.first_matching_after = Some(start.elapsed());
                    return Ok(outcome);
                }
            }
            Err(e) => outcome.last_error = Some(e.to_string()),
        }
        let next = Instant::now() + interval;
        if next >= deadline {
            return Ok(outcome);
        }
        tokio::time::sleep_until(next).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::testing::{Pki, http_server, response};

    fn options() -> HttpOptions {
        HttpOptions {
            timeout: Duration::from_secs(5),
            ..HttpOptions::default()
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn sts(value: &str) -> Result<Hsts, String> {
        hsts(&headers(&[("Strict-Transport-Security", value)]))
    }

    #[tokio::test]
    async fn get_reports_status_lowercase_headers_timing_and_body_on_demand() {
        let (addr, seen) = http_server(None, |_, _| {
            response("200 OK", &[("X-Golive-Test", "yes")], "hello world")
        })
        .await;
        let url = format!("http://{addr}/healthz");
        let answer = get(&url, &options()).await.unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.headers["x-golive-test"], "yes");
        assert!(
            answer
                .headers
                .keys()
                .all(|k| k.as_str() == k.as_str().to_lowercase())
        );
        assert!(answer.elapsed < Duration::from_secs(5));
        assert_eq!(answer.body_bytes, None);

        let body = HttpOptions {
            read_body: true,
            ..options()
        };
        assert_eq!(
            get(&url, &body).await.unwrap().body_bytes.unwrap(),
            b"hello world"
        );
        let capped = HttpOptions {
            read_body: true,
            max_body_bytes: 5,
            ..options()
        };
        assert_eq!(
            get(&url, &capped).await.unwrap().body_bytes.unwrap(),
            b"hello"
        );
        let head = seen.lock().unwrap()[0].to_lowercase();
        assert!(head.starts_with("get /healthz http/1.1\r\n"), "{head}");
        assert!(head.contains("\r\nuser-agent: golive/"), "{head}");
    }

    #[tokio::test]
    async fn connect_to_keeps_the_urls_host_header() {
        let (addr, seen) = http_server(None, |_, _| response("204 No Content", &[], "")).await;
        let via = HttpOptions {
            connect_to: Some(addr),
            ..options()
        };
        let answer = get("http://service.invalid:8080/api/v1/health", &via)
            .await
            .unwrap();
        assert_eq!(answer.status, 204);
        let answer = get("http://service.invalid/ready", &via).await.unwrap();
        assert_eq!(answer.status, 204);
        let seen = seen.lock().unwrap();
        assert!(
            seen[0].starts_with("GET /api/v1/health HTTP/1.1\r\n"),
            "{}",
            seen[0]
        );
        assert!(
            seen[0]
                .to_lowercase()
                .contains("\r\nhost: service.invalid:8080\r\n"),
            "{}",
            seen[0]
        );
        assert!(
            seen[1]
                .to_lowercase()
                .contains("\r\nhost: service.invalid\r\n"),
            "{}",
            seen[1]
        );
    }

    #[tokio::test]
    async fn https_with_sni_and_a_custom_ca() {
        let pki = Pki::new("Test CA");
        let leaf = pki.valid_leaf(&["localhost"]);
        let (addr, _) = http_server(Some(&leaf), |_, _| response("200 OK", &[], "ok")).await;
        let url = "https://localhost/";
        let trusted = HttpOptions {
            connect_to: Some(addr),
            certificates: CertificateCheck::Verify(Trust::Pem(pki.ca_pem())),
            ..options()
        };
        assert_eq!(get(url, &trusted).await.unwrap().status, 200);

        let untrusted = HttpOptions {
            certificates: CertificateCheck::Verify(Trust::WebPki),
            ..trusted.clone()
        };
        let error = get(url, &untrusted).await.unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, ProbeError::Http { .. }), "{error:?}");
        assert!(
            message.starts_with(&format!("https://localhost/ (via {addr}): ")),
            "{message}"
        );
        assert!(message.contains("UnknownIssuer"), "{message}");

        let unchecked = HttpOptions {
            certificates: CertificateCheck::Skip,
            ..trusted.clone()
        };
        assert_eq!(get(url, &unchecked).await.unwrap().status, 200);

        // The name checked is the URL's, not the address connected to.
        let wrong_name = get("https://other.invalid/", &trusted).await;
        assert!(wrong_name.is_err(), "{wrong_name:?}");
    }

    #[tokio::test]
    async fn a_permanent_redirect_is_reported_not_followed() {
        let (addr, seen) = http_server(None, |_, _| {
            response(
                "301 Moved Permanently",
                &[("Location", "https://localhost/")],
                "",
            )
        })
        .await;
        let answer = get(&format!("http://{addr}/"), &options()).await.unwrap();
        assert_eq!(answer.status, 301);
        assert_eq!(
            redirect_to_https(answer.status, location(&answer).as_deref()),
            Ok("https://localhost/".to_owned())
        );
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn redirect_to_https_accepts_only_permanent_redirects_to_https() {
        let ok = Ok("https://example.org/x".to_owned());
        assert_eq!(redirect_to_https(301, Some("https://example.org/x")), ok);
        assert_eq!(redirect_to_https(308, Some("https://example.org/x")), ok);
        assert_eq!(
            redirect_to_https(302, Some("https://example.org/x")),
            Err(
                "302 is a temporary redirect (to https://example.org/x); 301 or 308 expected"
                    .to_owned()
            )
        );
        assert!(redirect_to_https(307, None).is_err());
        assert_eq!(
            redirect_to_https(301, Some("http://example.org/")),
            Err("redirects to http://example.org/, not to https".to_owned())
        );
        assert!(redirect_to_https(301, Some("/login")).is_err());
        assert_eq!(
            redirect_to_https(301, None),
            Err("301 without a Location header".to_owned())
        );
        assert_eq!(
            redirect_to_https(200, None),
            Err("status 200, not a redirect".to_owned())
        );
    }

    #[tokio::test]
    async fn hsts_from_a_live_answer() {
        let (addr, _) = http_server(None, |_, _| {
            response(
                "200 OK",
                &[(
                    "Strict-Transport-Security",
                    "max-age=31536000; includeSubDomains",
                )],
                "",
            )
        })
        .await;
        let answer = get(&format!("http://{addr}/"), &options()).await.unwrap();
        assert_eq!(
            hsts(&answer.headers),
            Ok(Hsts {
                max_age_seconds: 31_536_000,
                max_age_days: 365,
                include_subdomains: true,
                preload: false,
            })
        );
    }

    #[test]
    fn hsts_parsing_follows_rfc_6797() {
        let full = sts("max-age=63072000; includeSubDomains; preload").unwrap();
        assert_eq!(
            (full.max_age_days, full.include_subdomains, full.preload),
            (730, true, true)
        );
        // Case-insensitive names, quoted values, spaces, empty directives.
        let odd = sts(" MAX-AGE = \"86400\" ;; INCLUDESUBDOMAINS ; ").unwrap();
        assert_eq!(
            (odd.max_age_seconds, odd.include_subdomains),
            (86_400, true)
        );
        // Unknown directives (even with quoted values holding ';') are ignored.
        let extra = sts("max-age=0; report-uri=\"https://x/;y\"; foo").unwrap();
        assert_eq!((extra.max_age_days, extra.preload), (0, false));
        // Partial days round down; huge values saturate.
        assert_eq!(sts("max-age=86399").unwrap().max_age_days, 0);
        assert_eq!(
            sts("max-age=99999999999999999999999")
                .unwrap()
                .max_age_seconds,
            u64::MAX
        );
        // Escapes inside quoted strings.
        assert_eq!(sts("max-age=\"1\\2\"").unwrap().max_age_seconds, 12);

        for (value, why) in [
            ("includeSubDomains", "no max-age"),
            ("", "no max-age"),
            ("max-age=1; max-age=2", "max-age appears twice"),
            (
                "max-age=1; includeSubDomains; INCLUDESUBDOMAINS",
                "includesubdomains appears twice",
            ),
            ("max-age", "max-age has no value"),
            ("max-age=", "max-age has an empty value"),
            ("max-age=-1", "max-age \"-1\" is not a number of seconds"),
            ("max-age=1.5", "max-age \"1.5\" is not a number of seconds"),
            ("max-age=1,5", "unexpected ',' after max-age"),
            ("max-age=\"\"", "max-age \"\" is not a number of seconds"),
            ("max-age=\"10", "unterminated quoted value of max-age"),
            (
                "max-age=10 includeSubDomains",
                "unexpected 'i' after max-age",
            ),
            (
                "max-age=10; includeSubDomains=yes",
                "includesubdomains takes no value",
            ),
            ("max-age=10; preload=1", "preload takes no value"),
            ("=10", "unexpected '='"),
        ] {
            let error = sts(value).unwrap_err();
            assert!(error.ends_with(&format!(": {why}")), "{value:?}: {error}");
        }
        assert_eq!(
            hsts(&HeaderMap::new()),
            Err("no Strict-Transport-Security header".to_owned())
        );
        // Only the first header field counts (RFC 6797 section 8.1).
        let two = headers(&[
            ("strict-transport-security", "max-age=10"),
            ("strict-transport-security", "max-age=20"),
        ]);
        assert_eq!(hsts(&two).unwrap().max_age_seconds, 10);
    }

    #[tokio::test]
    async fn a_burst_counts_the_rate_limited_answers() {
        let (addr, _) = http_server(None, |n, _| {
            if n < 5 {
                response("200 OK", &[], "")
            } else {
                response("429 Too Many Requests", &[("Retry-After", "1")], "")
            }
        })
        .await;
        let counts = burst(&format!("http://{addr}/api"), &options(), 12)
            .await
            .unwrap();
        assert_eq!((counts.count(200), counts.count(429)), (5, 7));
        assert_eq!(
            (counts.limited(), counts.total(), counts.errors()),
            (7, 12, 0)
        );
        assert_eq!(counts.to_string(), "5×200, 7×429");
        assert_eq!(counts.statuses().collect::<Vec<_>>(), [(200, 5), (429, 7)]);
    }

    #[tokio::test]
    async fn paced_requests_are_spread_over_time() {
        let (addr, seen) = http_server(None, |n, _| {
            let status = if n % 2 == 0 {
                "200 OK"
            } else {
                "503 Service Unavailable"
            };
            response(status, &[], "")
        })
        .await;
        let started = Instant::now();
        let counts = paced(&format!("http://{addr}/"), &options(), 50.0, 6)
            .await
            .unwrap();
        // Five gaps of 20 ms.
        assert!(
            started.elapsed() >= Duration::from_millis(100),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            (counts.count(200), counts.count(503), counts.limited()),
            (3, 3, 3)
        );
        assert_eq!(seen.lock().unwrap().len(), 6);
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-300] {
            let error = paced(&format!("http://{addr}/"), &options(), rate, 1).await;
            assert!(
                matches!(error, Err(ProbeError::Invalid(_))),
                "{rate}: {error:?}"
            );
        }
    }

    #[tokio::test]
    async fn poll_until_sees_readiness_flip() {
        let (addr, _) = http_server(None, |n, _| {
            if n < 3 {
                response("503 Service Unavailable", &[], "")
            } else {
                response("200 OK", &[], "")
            }
        })
        .await;
        let url = format!("http://{addr}/ready");
        let ready = |status| status == 200;
        let outcome = poll_until(
            &url,
            &options(),
            ready,
            Duration::from_secs(5),
            Duration::from_millis(20),
        )
        .await
        .unwrap();
        assert_eq!((outcome.attempts, outcome.last_status), (4, Some(200)));
        assert!(outcome.first_matching_after.unwrap() >= Duration::from_millis(60));

        let never = poll_until(
            &url,
            &options(),
            |s| s == 418,
            Duration::from_millis(200),
            Duration::from_millis(50),
        )
        .await
        .unwrap();
        assert_eq!(
            (never.first_matching_after, never.last_status),
            (None, Some(200))
        );
        assert!((2..=5).contains(&never.attempts), "{}", never.attempts);
    }

    #[tokio::test]
    async fn silence_and_refusal_are_errors_naming_the_target() {
        let silent = crate::probe::testing::raw_server(None).await;
        let quick = HttpOptions {
            timeout: Duration::from_millis(200),
            ..options()
        };
        let url = format!("http://{silent}/");
        let error = get(&url, &quick).await.unwrap_err();
        assert!(matches!(error, ProbeError::Timeout { .. }), "{error:?}");
        assert!(error.to_string().starts_with(&url), "{error}");
        let counts = burst(&url, &quick, 3).await.unwrap();
        assert_eq!((counts.errors(), counts.total()), (3, 3));
        assert!(counts.first_error().unwrap().contains("no answer within"));

        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let url = format!("http://{closed}/");
        let error = get(&url, &options()).await.unwrap_err().to_string();
        assert!(error.starts_with(&format!("{url}: ")), "{error}");
        assert!(error.to_lowercase().contains("refused"), "{error}");
        let polled = poll_until(
            &url,
            &options(),
            |_| true,
            Duration::from_millis(100),
            Duration::from_millis(30),
        )
        .await
        .unwrap();
        assert_eq!(
            (polled.first_matching_after, polled.last_status),
            (None, None)
        );
        assert!(polled.last_error.unwrap().contains("refused"));
    }

    #[tokio::test]
    async fn bad_urls_are_invalid() {
        for url in ["not a url", "ftp://example.org/", "unix:/run/x.sock"] {
            let error = get(url, &options()).await.unwrap_err();
            assert!(matches!(error, ProbeError::Invalid(_)), "{url}: {error:?}");
        }
    }
}
