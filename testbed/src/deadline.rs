//! Time limits on calls to PostgreSQL and Redis.

use std::future::Future;
use std::time::Duration;

/// `future`'s result, or an error saying nothing answered within `timeout`.
pub async fn within<T>(
    timeout: Duration,
    future: impl Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(timeout, future)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} ms", timeout.as_millis())))
}
