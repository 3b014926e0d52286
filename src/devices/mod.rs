//! Input devices: the resident-ID card reader and QR scanners, turned into
//! [`InputEvent`]s. This module knows bytes and protocols; it knows nothing of SQL or
//! Slint, and an ID number leaves it only as an [`IdNumber`] (which never prints in clear).

pub mod hub;
pub mod idcard;
pub mod link;
pub mod pty;
pub mod qr;

use crate::domain::id_number::IdNumber;

/// Which input device an event is about: the screen says different things when the card
/// reader is gone (scan the household card instead) and when the scanner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    CardReader,
    QrScanner,
}

/// What the kiosk learns from its input devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputEvent {
    /// A card was placed on the reader and read. The name is only for the greeting.
    CardRead {
        id_number: IdNumber,
        name: String,
    },
    /// A household QR card was scanned.
    HouseholdCard {
        token: String,
    },
    /// Something shaped like an ID number was scanned or typed. It opens nothing (only
    /// the card reader does, `domain::scan` says why), and the number is not carried.
    IdNumberTyped,
    /// A voucher's QR code was scanned (settlement in clerk mode).
    VoucherScanned {
        payload: String,
    },
    /// A device stopped answering or was unplugged; said once per loss.
    DeviceLost {
        kind: DeviceKind,
        device: String,
    },
    DeviceBack {
        kind: DeviceKind,
        device: String,
    },
    Error {
        device: String,
        message: String,
    },
}
