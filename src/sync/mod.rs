//! Township sync: the `/v1` wire format, request signing, the kiosk's client and the
//! township's HTTP server. The only module that knows the JSON on the wire; both ends
//! turn it into domain records at once and hand them to the use cases in `app`
//! (kiosk) and `township` (server). See docs/sync-protocol.md.

pub mod auth;
pub mod client;
pub mod photos;
pub mod server;
pub mod wire;

pub use client::{client_options, sync_once, ClientOptions, SyncClient, SyncError, SyncLoop, SyncReport};
