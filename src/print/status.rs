//! Real-time printer status (ESC/POS `DLE EOT n`), asked before and after a job so a
//! paper-out printer is never sent a voucher it would print unannounced later.

/// The three status queries the kiosk sends: printer, offline cause, roll paper sensor.
pub const QUERY_PRINTER: [u8; 3] = [0x10, 0x04, 0x01];
pub const QUERY_OFFLINE_CAUSE: [u8; 3] = [0x10, 0x04, 0x02];
pub const QUERY_PAPER: [u8; 3] = [0x10, 0x04, 0x04];

/// What the three answers say together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrinterStatus {
    pub offline: bool,
    pub cover_open: bool,
    pub paper_end: bool,
    pub paper_near_end: bool,
    /// A mechanical or cutter error (offline cause bit 6).
    pub error: bool,
}

/// A condition under which no job may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PrinterFault {
    #[error("缺纸，请联系管理员")]
    PaperOut,
    #[error("打印机盖没有关好，请联系管理员")]
    CoverOpen,
    #[error("打印机出错，请联系管理员")]
    Error,
    #[error("打印机离线，请联系管理员")]
    Offline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    #[error("the printer's status byte {0:#04x} is not a status byte (stray data on the line?)")]
    NotAStatusByte(u8),
}

impl PrinterStatus {
    /// Decodes the answers to `DLE EOT 1`, `2` and `4`. Every status byte has bit 1 and
    /// bit 4 set and bits 0 and 7 clear; anything else is refused, not guessed at.
    pub fn decode(printer: u8, offline_cause: u8, paper: u8) -> Result<PrinterStatus, StatusError> {
        for b in [printer, offline_cause, paper] {
            if b & 0x93 != 0x12 {
                return Err(StatusError::NotAStatusByte(b));
            }
        }
        Ok(PrinterStatus {
            offline: printer & 0x08 != 0,
            cover_open: offline_cause & 0x04 != 0,
            error: offline_cause & 0x40 != 0,
            paper_end: paper & 0x60 == 0x60 || offline_cause & 0x20 != 0,
            paper_near_end: paper & 0x0C == 0x0C,
        })
    }

    /// Both reports together: a fault either one sees is a fault.
    pub fn with(self, other: PrinterStatus) -> PrinterStatus {
        PrinterStatus {
            offline: self.offline || other.offline,
            cover_open: self.cover_open || other.cover_open,
            paper_end: self.paper_end || other.paper_end,
            paper_near_end: self.paper_near_end || other.paper_near_end,
            error: self.error || other.error,
        }
    }

    /// The reason not to print now, most specific first; `None` when a job may be sent.
    /// Paper near end is only a warning: the voucher still fits.
    pub fn fault(self) -> Option<PrinterFault> {
        if self.paper_end {
            Some(PrinterFault::PaperOut)
        } else if self.cover_open {
            Some(PrinterFault::CoverOpen)
        } else if self.error {
            Some(PrinterFault::Error)
        } else if self.offline {
            Some(PrinterFault::Offline)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The idle answers of a healthy printer.
    const OK: (u8, u8, u8) = (0x12, 0x12, 0x12);

    #[test]
    fn a_healthy_printer_may_print() {
        let s = PrinterStatus::decode(OK.0, OK.1, OK.2).unwrap();
        assert_eq!(s, PrinterStatus::default());
        assert_eq!(s.fault(), None);
    }

    #[test]
    fn paper_out_cover_open_and_offline_are_told_apart_in_words() {
        let paper_out = PrinterStatus::decode(0x1A, 0x32, 0x7E).unwrap();
        assert!(paper_out.paper_end && paper_out.offline && paper_out.paper_near_end);
        assert_eq!(paper_out.fault(), Some(PrinterFault::PaperOut));
        assert_eq!(paper_out.fault().unwrap().to_string(), "缺纸，请联系管理员");
        let cover = PrinterStatus::decode(0x1A, 0x16, 0x12).unwrap();
        assert_eq!(cover.fault(), Some(PrinterFault::CoverOpen));
        let offline = PrinterStatus::decode(0x1A, 0x12, 0x12).unwrap();
        assert_eq!(offline.fault(), Some(PrinterFault::Offline));
        let near_end = PrinterStatus::decode(0x12, 0x12, 0x1E).unwrap();
        assert!(near_end.paper_near_end);
        assert_eq!(near_end.fault(), None, "near end is a warning, not a stop");
    }

    #[test]
    fn stray_bytes_are_not_taken_for_status() {
        assert_eq!(
            PrinterStatus::decode(0x41, 0x12, 0x12),
            Err(StatusError::NotAStatusByte(0x41))
        );
        assert!(PrinterStatus::decode(0x12, 0x12, 0x93).is_err());
        assert_eq!(QUERY_PAPER, [0x10, 0x04, 0x04]);
    }
}
