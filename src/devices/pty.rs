//! A pseudo-terminal pair for the device simulators: the simulator holds the master
//! side, the kiosk opens the slave path exactly as it would open `/dev/ttyUSB0`.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::pty::openpty;
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};

/// The simulator's end of a pty.
pub struct PtyMaster {
    master: File,
    /// Kept open so the master never sees a hang-up before the kiosk opens the slave.
    _slave: OwnedFd,
    path: PathBuf,
}

impl PtyMaster {
    /// Opens a pty in raw mode (no echo, no line editing: bytes pass as they are).
    pub fn open() -> std::io::Result<PtyMaster> {
        let pair = openpty(None, None).map_err(std::io::Error::from)?;
        let mut termios = tcgetattr(&pair.slave).map_err(std::io::Error::from)?;
        cfmakeraw(&mut termios);
        tcsetattr(&pair.slave, SetArg::TCSANOW, &termios).map_err(std::io::Error::from)?;
        let path = nix::unistd::ttyname(pair.slave.as_fd()).map_err(std::io::Error::from)?;
        Ok(PtyMaster {
            master: File::from(pair.master),
            _slave: pair.slave,
            path,
        })
    }

    /// The path the kiosk opens, e.g. `/dev/pts/3`.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Reads what the kiosk sent, waiting at most `timeout`; an empty vector on timeout.
    pub fn read_timeout(&mut self, timeout: Duration) -> std::io::Result<Vec<u8>> {
        let ms = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
        let ready = poll(&mut fds, PollTimeout::from(ms)).map_err(std::io::Error::from)?;
        if ready == 0 {
            return Ok(Vec::new());
        }
        let mut buf = [0u8; 4096];
        let n = self.master.read(&mut buf)?;
        Ok(buf[..n].to_vec())
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.master.write_all(bytes)?;
        self.master.flush()
    }
}
