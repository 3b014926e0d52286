//! The status a USB printer-class device reports through the kernel's lp driver
//! (`LPGETSTATUS` on `/dev/usb/lp0`): the class's GET_PORT_STATUS byte, whose bits are
//! those of a parallel port. It is the one thing a USB printer without a back channel can
//! tell, so paper out is not mistaken for printed.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::status::PrinterStatus;

/// `LPGETSTATUS` of `<linux/lp.h>`: `_IO(0x06, 0x0b)` without a direction, an `int` out.
const LPGETSTATUS: u32 = 0x060b;
/// Paper empty (`LP_POUTPA`).
const PAPER_EMPTY: i32 = 0x20;
/// Selected, that is on line (`LP_PSELECD`).
const SELECTED: i32 = 0x10;
/// Not error: set while the printer has *no* error (`LP_PERRORP`, active low).
const NOT_ERROR: i32 = 0x08;

nix::ioctl_read_bad!(lp_get_status, LPGETSTATUS, nix::libc::c_int);

/// What the port status bits say, as the same status the `DLE EOT` answers give.
pub fn decode(bits: i32) -> PrinterStatus {
    PrinterStatus {
        paper_end: bits & PAPER_EMPTY != 0,
        offline: bits & SELECTED == 0,
        error: bits & NOT_ERROR == 0,
        cover_open: false,
        paper_near_end: false,
    }
}

/// Asks the lp driver for the port status. `Ok(None)` when the device is not an lp device
/// (a serial line, a pty, a plain file): such a device has no port status to give.
pub fn read(fd: BorrowedFd<'_>) -> io::Result<Option<i32>> {
    let mut bits: nix::libc::c_int = 0;
    // SAFETY: LPGETSTATUS writes one int through the pointer, which lives for the call.
    match unsafe { lp_get_status(fd.as_raw_fd(), &mut bits) } {
        Ok(_) => Ok(Some(bits)),
        Err(nix::errno::Errno::ENOTTY | nix::errno::Errno::EINVAL | nix::errno::Errno::ENOSYS) => Ok(None),
        Err(e) => Err(io::Error::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::status::PrinterFault;

    /// A ready printer: selected, no error, paper in (what most USB printers answer idle).
    const READY: i32 = SELECTED | NOT_ERROR;

    #[test]
    fn a_ready_port_may_print() {
        assert_eq!(decode(READY).fault(), None);
        assert_eq!(decode(0x18), PrinterStatus::default());
    }

    #[test]
    fn paper_out_offline_and_error_are_told_apart() {
        assert_eq!(decode(READY | PAPER_EMPTY).fault(), Some(PrinterFault::PaperOut));
        assert_eq!(decode(NOT_ERROR).fault(), Some(PrinterFault::Offline));
        assert_eq!(decode(SELECTED).fault(), Some(PrinterFault::Error));
        // Paper out usually comes with an error and deselect: paper out is what is said.
        assert_eq!(decode(PAPER_EMPTY).fault(), Some(PrinterFault::PaperOut));
    }

    #[test]
    fn a_device_that_is_not_an_lp_port_has_no_port_status() {
        let file = tempfile::tempfile().unwrap();
        use std::os::fd::AsFd;
        assert_eq!(read(file.as_fd()).unwrap(), None);
    }
}
