//! The points scheme itself: pure types and rules, no I/O.
//!
//! Nothing here knows SQL, Slint, serial ports, HTTP or ESC/POS; time comes from a
//! [`clock::Clock`]. Everything else in the crate depends on this module, never the reverse.

pub mod catalogue;
pub mod clock;
pub mod evidence;
pub mod funds;
pub mod honours;
pub mod household;
pub mod id_number;
pub mod kiosk;
pub mod ledger;
pub mod money;
pub mod period;
pub mod ranking;
pub mod records;
pub mod rules;
pub mod scan;
pub mod signed;
pub mod statement;
pub mod voucher;
