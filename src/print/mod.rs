//! Printing vouchers and slips on ESC/POS printers. So far: printer addresses and the
//! real-time status a printer reports. Rendering, ESC/POS encoding and transports are
//! still to come (issue 3).

pub mod status;
pub mod url;
