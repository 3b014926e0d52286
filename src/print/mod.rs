//! Printing vouchers and slips on ESC/POS printers. So far: printer addresses, the
//! real-time status a printer reports, and the templates (layouts as data files).
//! Rendering, ESC/POS encoding and transports are still to come (issue 3).

pub mod status;
pub mod template;
pub mod url;
