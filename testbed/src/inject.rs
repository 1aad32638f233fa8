//! Latency and error injection on `/api/v1/items*`.
//!
//! Shares are spread deterministically rather than drawn at random, so a test
//! knows exactly what to expect: with a share of `p` percent, request `n`
//! (counting from 1) is picked when `n * p / 100` crosses an integer, which
//! picks exactly `p` requests out of any 100 consecutive ones, evenly spaced.
//! The query parameters `latency_ms=N` and `status=N` override the
//! configuration for one request (calibration).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;

use crate::config::InjectionConfig;

/// Picks exactly `percent` requests out of every 100, evenly spread.
#[derive(Debug)]
pub struct Spread {
    percent: u8,
    count: AtomicU64,
}

impl Spread {
    /// A spread picking `percent` (0-100) requests out of 100.
    pub fn new(percent: u8) -> Self {
        Spread {
            percent: percent.min(100),
            count: AtomicU64::new(0),
        }
    }

    /// Counts one request and says whether it is picked.
    pub fn next(&self) -> bool {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        let percent = u64::from(self.percent);
        n * percent / 100 != (n - 1) * percent / 100
    }
}

/// The per-request overrides read from the query string.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Overrides {
    /// `latency_ms`: wait exactly this long instead of the configured latency.
    pub latency_ms: Option<u64>,
    /// `status`: answer this status instead of handling the request.
    pub status: Option<u16>,
}

/// What one request suffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// How long to wait before handling the request.
    pub latency: Duration,
    /// The status to answer instead of handling the request, if any.
    pub status: Option<u16>,
}

/// Decides the latency and error of each `/api/v1/items*` request.
#[derive(Debug)]
pub struct Injector {
    config: InjectionConfig,
    slow: Spread,
    errors: Spread,
}

impl Injector {
    /// An injector for `config`; its spreads start counting at the first request.
    pub fn new(config: InjectionConfig) -> Self {
        Injector {
            config,
            slow: Spread::new(config.slow_percent),
            errors: Spread::new(config.error_percent),
        }
    }

    /// Counts one request and decides what it suffers. Every request advances
    /// both spreads, overridden or not, so the shares stay exact.
    pub fn decide(&self, overrides: Overrides) -> Decision {
        let slow = self.slow.next();
        let error = self.errors.next();
        let configured_latency = if slow {
            self.config.slow_latency
        } else {
            self.config.latency
        };
        Decision {
            latency: overrides
                .latency_ms
                .map_or(configured_latency, Duration::from_millis),
            status: overrides.status.or(error.then_some(500)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picked(spread: &Spread, requests: usize) -> Vec<usize> {
        (1..=requests).filter(|_| spread.next()).collect()
    }

    #[test]
    fn exact_share_over_every_window_of_100() {
        for percent in 0..=100 {
            let spread = Spread::new(percent);
            let flags: Vec<bool> = (0..1000).map(|_| spread.next()).collect();
            assert_eq!(
                flags.iter().filter(|&&picked| picked).count(),
                usize::from(percent) * 10,
                "{percent}% over 1000 requests"
            );
            for window in flags.windows(100) {
                let count = window.iter().filter(|&&picked| picked).count();
                assert_eq!(
                    count,
                    usize::from(percent),
                    "{percent}% over a window of 100"
                );
            }
        }
    }

    #[test]
    fn picks_are_evenly_spaced() {
        assert_eq!(picked(&Spread::new(10), 40), [10, 20, 30, 40]);
        assert_eq!(picked(&Spread::new(50), 6), [2, 4, 6]);
        assert_eq!(picked(&Spread::new(100), 3), [1, 2, 3]);
        assert!(picked(&Spread::new(0), 1000).is_empty());
    }

    #[test]
    fn slow_requests_wait_the_slow_latency_instead() {
        let injector = Injector::new(InjectionConfig {
            latency: Duration::from_millis(5),
            slow_latency: Duration::from_millis(800),
            slow_percent: 25,
            error_percent: 0,
        });
        let latencies: Vec<u64> = (0..8)
            .map(|_| injector.decide(Overrides::default()).latency.as_millis() as u64)
            .collect();
        assert_eq!(latencies, [5, 5, 5, 800, 5, 5, 5, 800]);
    }

    #[test]
    fn errors_answer_500_at_the_configured_share() {
        let injector = Injector::new(InjectionConfig {
            error_percent: 20,
            ..InjectionConfig::default()
        });
        let statuses: Vec<Option<u16>> = (0..100)
            .map(|_| injector.decide(Overrides::default()).status)
            .collect();
        assert_eq!(statuses.iter().filter(|s| **s == Some(500)).count(), 20);
        assert!(statuses.iter().all(|s| matches!(s, None | Some(500))));
        assert_eq!(statuses[4], Some(500));
    }

    #[test]
    fn query_overrides_win_and_still_count() {
        let injector = Injector::new(InjectionConfig {
            latency: Duration::from_millis(5),
            error_percent: 50,
            ..InjectionConfig::default()
        });
        let overrides = Overrides {
            latency_ms: Some(0),
            status: Some(418),
        };
        assert_eq!(
            injector.decide(overrides),
            Decision {
                latency: Duration::ZERO,
                status: Some(418)
            }
        );
        // The overridden request was request 1: request 2 is the first error.
        assert_eq!(injector.decide(Overrides::default()).status, Some(500));
    }
}
