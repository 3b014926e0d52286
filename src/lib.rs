//! jifen: the village points kiosk (三治积分制).
//!
//! # Layout
//!
//! Arrows point inward: `domain` depends on nothing else in the crate; `store` and
//! `app` depend on `domain`; `print` implements the app's printer port; the front ends
//! (`cli`, `ui`, `sync`) depend on `app`; `township` holds the server's use cases, and
//! `sync`'s HTTP server serves them (never the other way round; `tests/layers.rs`).
//!
//! - [`domain`]: households, ID numbers, rules, ledger, catalogue, vouchers, rankings.
//!   Pure functions; time from a `Clock`.
//! - [`store`]: SQLite schema, migrations and transactions. The only module with SQL.
//! - [`app`]: the use cases every front end calls: identify, account view, redeem,
//!   settle, void, restock, award, imports, ranking, verify, demo village.
//! - [`devices`]: the ID card reader (GA/T 467) and QR scanner codecs, as `InputEvent`s.
//! - [`print`]: templates, the CJK font, 1-bit rendering, ESC/POS, printer transports.
//! - [`sync`]: the `/v1` wire format, request signing, the kiosk's sync client and the
//!   township's HTTP server.
//! - [`township`]: the township's use cases behind a storage trait (SQLite engine).
//! - [`console`]: the township web console (`/console/`): server-rendered pages, sign-in,
//!   roles checked on every page.
//! - [`ui`]: the Slint touch kiosk; the only module that names Slint.
//! - [`voice`]: what each villager screen says, numbers in words, voice packs, espeak-ng,
//!   and the player thread.
//! - [`picture`]: item pictures (and evidence photos) made upright, bounded and free of
//!   metadata, and decoded for the screen.
//! - [`fonts`]: the compiled-in CJK font, printed with and served to browsers.
//! - [`installation`]: the data directory, its key files and the config file.
//! - [`cli`]: the `jifen` command line (clap), the binary's edge.
//! - `bench` (feature `bench`, on by default): `jifen bench`, an edge beside the front
//!   ends that none of them imports; the appliance is built without it.

pub mod app;
#[cfg(feature = "bench")]
pub mod bench;
pub mod cli;
pub mod console;
pub mod devices;
pub mod domain;
pub mod fonts;
pub mod installation;
pub mod picture;
pub mod print;
pub mod store;
pub mod sync;
pub mod township;
pub mod ui;
pub mod voice;
