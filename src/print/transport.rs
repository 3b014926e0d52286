//! Getting bytes to a printer and status bytes back, with a timeout on every step: a
//! printer that is switched off or unplugged must turn into a message for the clerk,
//! never into a kiosk that hangs.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::url::PrinterUrl;

/// Waiting for a TCP printer to accept the connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Waiting for the answer to one `DLE EOT` query.
pub const STATUS_TIMEOUT: Duration = Duration::from_millis(1500);
/// Waiting for the printer to take more bytes before the job is given up.
pub const WRITE_STALL_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole job may take this long, plus the time its bytes need at 9600 baud: a printer
/// that takes a byte now and then never holds the kiosk for longer.
pub const JOB_BASE_TIME: Duration = Duration::from_secs(15);
/// The slowest line a job is allowed (9600 baud serial), in bytes a second.
pub const SLOWEST_LINE: u64 = 960;
/// Unasked bytes thrown away before a status query, at most: a printer that keeps
/// talking is a fault, not a reason to wait for ever.
pub const MAX_STRAY_BYTES: usize = 4096;
/// How long unasked bytes are drained, at most.
pub const MAX_DRAIN_TIME: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot open the printer at {url}: {source}")]
    Open { url: String, source: io::Error },
    #[error("the printer at {url} took no data for {}s", WRITE_STALL_TIMEOUT.as_secs())]
    Stalled { url: String },
    #[error("writing to the printer at {url} failed: {source}")]
    Write { url: String, source: io::Error },
    #[error("reading from the printer at {url} failed: {source}")]
    Read { url: String, source: io::Error },
    #[error("the printer at {url} took longer than {}s for a job of {bytes} bytes", .limit.as_secs())]
    JobTooSlow { url: String, bytes: usize, limit: Duration },
    #[error(
        "the printer at {url} keeps sending data unasked (more than {} bytes)",
        MAX_STRAY_BYTES
    )]
    Babbling { url: String },
}

/// How long a job of `bytes` may take in all.
pub fn job_time_limit(bytes: usize) -> Duration {
    JOB_BASE_TIME + Duration::from_secs(bytes as u64 / SLOWEST_LINE)
}

/// An open line to a printer.
pub trait Connection {
    /// Sends the whole job, or fails when the printer stops taking bytes.
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError>;
    /// Reads whatever is waiting, for up to `wait`; stray bytes must not be taken for the
    /// answer to a status query.
    fn read_some(&mut self, buf: &mut [u8], wait: Duration) -> Result<usize, TransportError>;
    /// Whether a silent printer is a fault (a network or serial printer answers status
    /// queries); a USB printer class device often cannot answer at all.
    fn must_answer(&self) -> bool;

    /// The printer's name in messages.
    fn url(&self) -> &str;

    /// The port status a USB printer-class device gives through the lp driver
    /// (`lp_status::decode` reads it); `None` on every other line.
    fn port_status(&mut self) -> Result<Option<i32>, TransportError> {
        Ok(None)
    }

    /// Sends a whole job within `job_time_limit`, in pieces, so a printer that takes a
    /// byte now and then cannot hold the kiosk.
    fn send_job(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        let limit = job_time_limit(bytes.len());
        let deadline = Instant::now() + limit;
        for piece in bytes.chunks(1024) {
            if Instant::now() > deadline {
                return Err(TransportError::JobTooSlow {
                    url: self.url().to_string(),
                    bytes: bytes.len(),
                    limit,
                });
            }
            self.send(piece)?;
        }
        Ok(())
    }

    /// Throws away bytes the printer sent unasked (earlier answers, ASB messages), at
    /// most `MAX_STRAY_BYTES` within `MAX_DRAIN_TIME`.
    fn drain(&mut self) -> Result<usize, TransportError> {
        let mut buf = [0; 256];
        let mut thrown = 0;
        let deadline = Instant::now() + MAX_DRAIN_TIME;
        loop {
            match self.read_some(&mut buf, Duration::from_millis(30))? {
                0 => return Ok(thrown),
                n => thrown += n,
            }
            if thrown > MAX_STRAY_BYTES || Instant::now() > deadline {
                return Err(TransportError::Babbling {
                    url: self.url().to_string(),
                });
            }
        }
    }

    /// Sends a `DLE EOT n` query and returns the one-byte answer, `None` if none came.
    fn ask(&mut self, query: &[u8]) -> Result<Option<u8>, TransportError> {
        self.send(query)?;
        let mut byte = [0];
        let deadline = Instant::now() + STATUS_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            if self.read_some(&mut byte, left)? == 1 {
                return Ok(Some(byte[0]));
            }
        }
    }
}

/// Opens the printer at `url` (not `preview:`, which writes files instead).
pub fn open(url: &PrinterUrl) -> Result<Box<dyn Connection>, TransportError> {
    let name = url.to_string();
    let opening = |source| TransportError::Open {
        url: name.clone(),
        source,
    };
    match url {
        PrinterUrl::Tcp { host, port } => {
            let addr = (host.as_str(), *port)
                .to_socket_addrs()
                .map_err(opening)?
                .next()
                .ok_or_else(|| opening(io::Error::new(io::ErrorKind::NotFound, "the host has no address")))?;
            let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).map_err(opening)?;
            stream.set_write_timeout(Some(WRITE_STALL_TIMEOUT)).map_err(opening)?;
            stream.set_nodelay(true).map_err(opening)?;
            Ok(Box::new(TcpLine { stream, url: name }))
        }
        PrinterUrl::Serial { path, baud } => {
            let port = serialport::new(path.to_string_lossy(), *baud)
                .timeout(WRITE_STALL_TIMEOUT)
                .open()
                .map_err(|e| opening(io::Error::other(e.to_string())))?;
            Ok(Box::new(SerialLine { port, url: name }))
        }
        PrinterUrl::Usb(path) => Ok(Box::new(DeviceFile::open(path).map_err(opening)?.named(name))),
        PrinterUrl::Preview(_) => Err(opening(io::Error::new(
            io::ErrorKind::Unsupported,
            "a preview folder is not a printer line",
        ))),
    }
}

struct TcpLine {
    stream: TcpStream,
    url: String,
}

impl Connection for TcpLine {
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.stream.write_all(bytes).map_err(|e| write_error(&self.url, e))
    }

    fn read_some(&mut self, buf: &mut [u8], wait: Duration) -> Result<usize, TransportError> {
        let read_error = |source| TransportError::Read {
            url: self.url.clone(),
            source,
        };
        self.stream
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
            .map_err(read_error)?;
        match self.stream.read(buf) {
            Ok(0) => Err(read_error(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the printer closed the connection",
            ))),
            Ok(n) => Ok(n),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => Ok(0),
            Err(e) => Err(read_error(e)),
        }
    }

    fn must_answer(&self) -> bool {
        true
    }

    fn url(&self) -> &str {
        &self.url
    }
}

struct SerialLine {
    port: Box<dyn serialport::SerialPort>,
    url: String,
}

impl Connection for SerialLine {
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.port
            .set_timeout(WRITE_STALL_TIMEOUT)
            .map_err(|e| write_error(&self.url, e.into()))?;
        self.port.write_all(bytes).map_err(|e| write_error(&self.url, e))?;
        self.port.flush().map_err(|e| write_error(&self.url, e))
    }

    fn read_some(&mut self, buf: &mut [u8], wait: Duration) -> Result<usize, TransportError> {
        let read_error = |source| TransportError::Read {
            url: self.url.clone(),
            source,
        };
        self.port.set_timeout(wait).map_err(|e| read_error(e.into()))?;
        match self.port.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(0),
            Err(e) => Err(read_error(e)),
        }
    }

    fn must_answer(&self) -> bool {
        true
    }

    fn url(&self) -> &str {
        &self.url
    }
}

/// A USB printer class device (`/dev/usb/lp0`), opened non-blocking so that writes and
/// reads wait in `poll` with a timeout rather than forever in the kernel.
struct DeviceFile {
    file: File,
    url: String,
}

impl DeviceFile {
    fn open(path: &Path) -> io::Result<DeviceFile> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(path)?;
        Ok(DeviceFile {
            file,
            url: String::new(),
        })
    }

    fn named(mut self, url: String) -> DeviceFile {
        self.url = url;
        self
    }

    fn wait(&self, flags: PollFlags, wait: Duration) -> io::Result<bool> {
        let mut fds = [PollFd::new(self.file.as_fd(), flags)];
        let ms = PollTimeout::try_from(wait.as_millis().min(60_000) as i32).unwrap_or(PollTimeout::MAX);
        Ok(poll(&mut fds, ms).map_err(io::Error::from)? > 0)
    }
}

impl Connection for DeviceFile {
    fn send(&mut self, mut bytes: &[u8]) -> Result<(), TransportError> {
        while !bytes.is_empty() {
            match self.file.write(bytes) {
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !self
                        .wait(PollFlags::POLLOUT, WRITE_STALL_TIMEOUT)
                        .map_err(|e| write_error(&self.url, e))?
                    {
                        return Err(TransportError::Stalled { url: self.url.clone() });
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(write_error(&self.url, e)),
            }
        }
        Ok(())
    }

    fn read_some(&mut self, buf: &mut [u8], wait: Duration) -> Result<usize, TransportError> {
        let read_error = |source| TransportError::Read {
            url: self.url.clone(),
            source,
        };
        if !self.wait(PollFlags::POLLIN, wait).map_err(read_error)? {
            return Ok(0);
        }
        match self.file.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            // A printer without a back channel refuses reads; it simply cannot answer.
            Err(_) => Ok(0),
        }
    }

    fn must_answer(&self) -> bool {
        false
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn port_status(&mut self) -> Result<Option<i32>, TransportError> {
        super::lp_status::read(self.file.as_fd()).map_err(|source| TransportError::Read {
            url: self.url.clone(),
            source,
        })
    }

    /// One wait: a device without a back channel reads as end-of-file at once, and
    /// asking again would only spin.
    fn ask(&mut self, query: &[u8]) -> Result<Option<u8>, TransportError> {
        self.send(query)?;
        let mut byte = [0];
        Ok((self.read_some(&mut byte, STATUS_TIMEOUT)? == 1).then_some(byte[0]))
    }
}

fn write_error(url: &str, source: io::Error) -> TransportError {
    if matches!(source.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) {
        TransportError::Stalled { url: url.to_string() }
    } else {
        TransportError::Write {
            url: url.to_string(),
            source,
        }
    }
}
