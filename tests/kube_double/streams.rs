//! The WebSocket side of the streaming subresources (`pods/exec`,
//! `pods/portforward`): reading the upgrade request (`Sec-WebSocket-Key`,
//! the offered subprotocols), choosing the subprotocol as the server's
//! `wsstream` does (the first one the client offers that the endpoint
//! serves; none offered is the empty protocol), answering `101 Switching
//! Protocols`, and handing the upgraded connection to the endpoint's
//! session. The channel protocols (`vN.channel.k8s.io`) put the channel
//! number in the first byte of every binary frame; what each channel
//! carries is the endpoint's business (`exec.rs`, `portforward.rs`).

use std::future::Future;
use std::sync::Mutex;

use hyper::body::Incoming;
use hyper::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, UPGRADE,
};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::api::{Body, empty_body};

/// The server end of an upgraded connection.
pub type WebSocket = WebSocketStream<TokioIo<Upgraded>>;

/// A request asking for a WebSocket upgrade.
pub struct WebSocketRequest {
    key: String,
    /// The offered subprotocols, in the client's order of preference.
    pub protocols: Vec<String>,
    upgrade: Mutex<Option<OnUpgrade>>,
}

impl WebSocketRequest {
    /// The upgrade of `request`, if it asks for a WebSocket one (`Upgrade:
    /// websocket` and a key).
    pub fn from_request(request: &mut Request<Incoming>) -> Option<WebSocketRequest> {
        let headers = request.headers();
        let websocket = headers
            .get(UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        let key = headers.get(SEC_WEBSOCKET_KEY)?.to_str().ok()?.to_string();
        if !websocket {
            return None;
        }
        let protocols = headers
            .get_all(SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        Some(WebSocketRequest {
            key,
            protocols,
            upgrade: Mutex::new(Some(hyper::upgrade::on(request))),
        })
    }

    /// The first offered subprotocol in `supported` (`""` in `supported`
    /// accepts a client that offers none).
    pub fn choose(&self, supported: &[&str]) -> Option<String> {
        if self.protocols.is_empty() {
            return supported.contains(&"").then(String::new);
        }
        self.protocols
            .iter()
            .find(|p| supported.contains(&p.as_str()))
            .cloned()
    }

    /// Answers 101 with `protocol` and runs `session` on the upgraded
    /// connection (on the server's runtime).
    pub fn accept<F, Fut>(&self, protocol: &str, session: F) -> Response<Body>
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let upgrade = self
            .upgrade
            .lock()
            .expect("upgrade lock")
            .take()
            .expect("a connection upgrades once");
        tokio::spawn(async move {
            let Ok(upgraded) = upgrade.await else {
                return;
            };
            let socket =
                WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
            session(socket).await;
        });
        let mut response = Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header(UPGRADE, "websocket")
            .header(CONNECTION, "Upgrade")
            .header(SEC_WEBSOCKET_ACCEPT, derive_accept_key(self.key.as_bytes()));
        if !protocol.is_empty() {
            response = response.header(SEC_WEBSOCKET_PROTOCOL, protocol);
        }
        response.body(empty_body()).expect("a valid response")
    }
}

/// A binary frame of a channel protocol: the channel, then the data.
pub fn frame(channel: u8, data: &[u8]) -> Message {
    let mut bytes = Vec::with_capacity(data.len() + 1);
    bytes.push(channel);
    bytes.extend_from_slice(data);
    Message::binary(bytes)
}
