//! Printer addresses as URLs (DESIGN.md §4): `usb:/dev/usb/lp0`,
//! `serial:/dev/ttyUSB0?baud=9600`, `tcp://host:9100`, `preview:DIR`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterUrl {
    /// A USB printer class device written as a file.
    Usb(PathBuf),
    Serial {
        path: PathBuf,
        baud: u32,
    },
    Tcp {
        host: String,
        port: u16,
    },
    /// Writes `<serial>.png` and the exact `<serial>.bin` a printer would receive.
    Preview(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("printer address '{url}': {reason} (use usb:/dev/usb/lp0, serial:/dev/ttyUSB0?baud=9600, tcp://host:9100 or preview:DIR)")]
pub struct PrinterUrlError {
    url: String,
    reason: &'static str,
}

const BAUDS: [u32; 8] = [2400, 4800, 9600, 19200, 38400, 57600, 115_200, 230_400];

impl FromStr for PrinterUrl {
    type Err = PrinterUrlError;
    fn from_str(s: &str) -> Result<PrinterUrl, PrinterUrlError> {
        let url = s.trim();
        let bad = |reason| PrinterUrlError {
            url: url.to_string(),
            reason,
        };
        let non_empty = |p: &str| {
            if p.is_empty() {
                Err(bad("the path is empty"))
            } else {
                Ok(PathBuf::from(p))
            }
        };
        if let Some(rest) = url.strip_prefix("tcp://") {
            let (host, port) = rest.rsplit_once(':').unwrap_or((rest, "9100"));
            let host = host.trim_end_matches('/');
            if host.is_empty() {
                return Err(bad("the host is empty"));
            }
            let port = port
                .trim_end_matches('/')
                .parse()
                .map_err(|_| bad("the port is not a number"))?;
            return Ok(PrinterUrl::Tcp {
                host: host.to_string(),
                port,
            });
        }
        if let Some(rest) = url.strip_prefix("serial:") {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            let mut baud = 9600;
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some(("baud", v)) => baud = v.parse().map_err(|_| bad("baud is not a number"))?,
                    _ => return Err(bad("the only serial option is baud=N")),
                }
            }
            if !BAUDS.contains(&baud) {
                return Err(bad("baud must be a standard rate such as 9600 or 115200"));
            }
            return Ok(PrinterUrl::Serial {
                path: non_empty(path)?,
                baud,
            });
        }
        if let Some(path) = url.strip_prefix("usb:") {
            return Ok(PrinterUrl::Usb(non_empty(path)?));
        }
        if let Some(path) = url.strip_prefix("preview:") {
            return Ok(PrinterUrl::Preview(non_empty(path)?));
        }
        Err(bad("unknown kind"))
    }
}

impl fmt::Display for PrinterUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrinterUrl::Usb(p) => write!(f, "usb:{}", p.display()),
            PrinterUrl::Serial { path, baud } => write!(f, "serial:{}?baud={baud}", path.display()),
            PrinterUrl::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            PrinterUrl::Preview(p) => write!(f, "preview:{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_address_parses_and_prints_back() {
        for s in [
            "usb:/dev/usb/lp0",
            "serial:/dev/ttyUSB0?baud=115200",
            "tcp://192.0.2.7:9100",
            "preview:/tmp/previews",
        ] {
            assert_eq!(s.parse::<PrinterUrl>().unwrap().to_string(), s);
        }
        assert_eq!(
            "serial:/dev/ttyS1".parse::<PrinterUrl>().unwrap(),
            PrinterUrl::Serial {
                path: "/dev/ttyS1".into(),
                baud: 9600
            }
        );
        assert_eq!(
            "tcp://printer".parse::<PrinterUrl>().unwrap().to_string(),
            "tcp://printer:9100"
        );
    }

    #[test]
    fn bad_addresses_say_what_is_wrong() {
        let e = "serial:/dev/ttyUSB0?baud=9601".parse::<PrinterUrl>().unwrap_err();
        assert!(e.to_string().contains("baud must be a standard rate"), "{e}");
        assert!("lpt1"
            .parse::<PrinterUrl>()
            .unwrap_err()
            .to_string()
            .contains("unknown kind"));
        assert!("usb:".parse::<PrinterUrl>().is_err());
        assert!("tcp://host:port".parse::<PrinterUrl>().is_err());
    }
}
