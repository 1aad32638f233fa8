//! The double's process side: a thread with its own tokio runtime that
//! accepts TLS connections on 127.0.0.1 and serves HTTP/1.1 (with upgrades,
//! for the WebSocket streams of exec and port forwarding), and the clock
//! task that runs the cluster's delayed tasks. Dropping the handle stops
//! both.

use std::net::TcpListener as StdListener;
use std::sync::Arc;
use std::thread::JoinHandle;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use super::api::{self, Shared};

/// The running server; stops when dropped.
pub struct Server {
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn spawn(
        shared: Arc<Shared>,
        listener: StdListener,
        tls: Arc<rustls::ServerConfig>,
    ) -> Server {
        let (shutdown, mut stop) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("kube-double".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("kube-double-worker")
                    .enable_all()
                    .build()
                    .expect("a tokio runtime");
                runtime.block_on(async move {
                    listener.set_nonblocking(true).expect("a non-blocking listener");
                    let listener = TcpListener::from_std(listener).expect("a tokio listener");
                    let acceptor = TlsAcceptor::from(tls);
                    tokio::spawn(clock(shared.clone()));
                    loop {
                        tokio::select! {
                            _ = &mut stop => break,
                            accepted = listener.accept() => {
                                let Ok((stream, _)) = accepted else { continue };
                                let acceptor = acceptor.clone();
                                let shared = shared.clone();
                                tokio::spawn(async move {
                                    let Ok(tls) = acceptor.accept(stream).await else { return };
                                    let service = service_fn(move |request| api::handle(shared.clone(), request));
                                    let _ = http1::Builder::new()
                                        .serve_connection(TokioIo::new(tls), service)
                                        .with_upgrades()
                                        .await;
                                });
                            }
                        }
                    }
                });
                // Open watches and connections end with the runtime.
                runtime.shutdown_background();
            })
            .expect("a server thread");
        Server {
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs the cluster's tasks when they are due (a pod's termination, ...).
async fn clock(shared: Arc<Shared>) {
    loop {
        let next = shared.cluster.lock().expect("cluster lock").run_due_tasks();
        match next {
            Some(at) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(at.into()) => {}
                    _ = shared.wakeup.notified() => {}
                }
            }
            None => shared.wakeup.notified().await,
        }
    }
}
